"""What a block's test hands the report beyond its outcome: a :record: block's output, a screenshot.

The page's session lives in the process that ran it (an xdist worker, say); the report is written by
the controller. What the report needs travels as the test's user properties, set here after the block
ran and read back into its entry when the controller hears of the outcome.
"""

from __future__ import annotations

from pathlib import Path

from .blocks import Block
from .evaluate import RECORDED
from .report import BlockEntry
from .screenshot import runner

_OUTPUT = "guidecheck_output"  # what a :record: block printed
_SCREENSHOT = "guidecheck_screenshot"  # where a screenshot block's picture was kept, beside the report


def carry(item, report: Path) -> None:
    """After a block's test ran in this process: note its output or keep its picture."""
    example = getattr(item, "example", None)
    block = getattr(getattr(example, "region", None), "parsed", None)
    if not isinstance(block, Block):
        return
    if block.options.record:
        # The evaluator leaves a :record: block's output in the page's namespace.
        output = example.namespace.get(RECORDED, {}).pop(block.line, None)
        if output is not None:
            item.user_properties.append((_OUTPUT, output))
    page = example.namespace.get("page")
    if block.shot and page is not None and runner.picture(page, block).is_file():
        item.user_properties.append((_SCREENSHOT, runner.keep(page, block, report)))


def fill(entry: BlockEntry, properties: dict) -> None:
    """The report entry of a block that passed gets what its test carried."""
    entry.output = properties.get(_OUTPUT)
    entry.screenshot = properties.get(_SCREENSHOT)
