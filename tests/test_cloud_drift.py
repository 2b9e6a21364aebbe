"""Drift demos on the cloud pages: one realistic mistake per platform fails at the block that shows it.

Each case changes one thing in a copy of a real page (a wrong port, a missing variable, a misspelled
key) and runs the copy with the engine's backends; the run must fail, naming the page and the line of
the block that catches the mistake. The unchanged pages pass in the guide's own run.
"""

import shutil
from pathlib import Path

import pytest

from guidecheck.blocks import Block, page_blocks

ROOT = Path(__file__).resolve().parent.parent

# page, text to change, its replacement, a snippet of the block that must fail, tools the page needs
CASES = {
    "gcloud-wrong-port": ("google-cloud.md", "--port=3000", "--port=3001",
                          "gcloud run services describe meshhook-web", ("gcloud",)),
    "aws-missing-variable": ("aws-cli.md", '    environment="[{\\"name\\": \\"ORIGIN\\"',
                             '    environment="[{\\"name\\": \\"ORIGN\\"', "for the task definitions", ("aws",)),
    "azure-wrong-port": ("azure.md", "      targetPort: 3000\n", "      targetPort: 8080\n",
                         ":caption: azure/web.yaml", ()),
    "railway-misspelled-key": ("railway.md", 'healthcheckPath = "/"', 'healthCheckPath = "/"',
                               ":caption: railway.web.toml", ()),
}


def failing_line(text: str, page: str, snippet: str) -> int:
    """The opening line of the first block whose source contains *snippet*."""
    for block in page_blocks(text, page):
        if isinstance(block, Block) and snippet in text[block.start:block.end]:
            return block.line
    raise AssertionError(f"no block of {page} contains {snippet!r}")


@pytest.mark.parametrize("case", sorted(CASES))
def test_cloud_drift_fails_at_its_block(case, run_pages):
    page, old, new, snippet, tools = CASES[case]
    for tool in tools:
        if not shutil.which(tool):
            pytest.skip(f"{tool} is not installed on this machine")
    original = (ROOT / "source" / "cloud" / page).read_text()
    assert original.count(old) == 1, f"{page} no longer contains {old!r} exactly once"
    mutated = original.replace(old, new)
    name = f"drift/{case}.md"
    line = failing_line(mutated, f"source/{name}", snippet)
    run = run_pages({name: mutated}, backends=True)
    assert run.report, run.output
    outcome = run.outcome(f"source/{name}", line)
    assert outcome["outcome"] == "failed", f"{case}: the block at line {line} did not fail:\n{outcome}"
    assert f"source/{name}:{line}:" in run.output
    earlier = [b for b in run.report["blocks"] if b["line"] < line and b["outcome"] == "failed"]
    assert not earlier, f"{case}: a block before the mistake failed: {earlier}"
