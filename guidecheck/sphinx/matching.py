"""Match the code blocks Sphinx rendered with the blocks the engine runs, and refuse what does not match.

Every page is run through the engine's own classifier (``guidecheck.blocks.read_blocks``); each refused
fence is a warning at page:line, and so is any code block Sphinx renders that the engine did not find (an
indented code block, say) and any block the engine found that Sphinx did not render.
"""

from __future__ import annotations

from pathlib import Path

from docutils import nodes
from sphinx.util import logging

from .. import transcript
from ..blocks import Block, BlockError, read_blocks
from ..pages import PAGE_SUFFIX
from ..vocabulary import CONSOLE, FILE, PSQL
from .nodes import page_status, verified_block
from .state import page_of, state

logger = logging.getLogger(__name__)

_PROMPTS = {CONSOLE: transcript.CONSOLE_PROMPT, PSQL: transcript.PSQL_PROMPT}


def _code_unit(node: nodes.literal_block) -> nodes.Element:
    """The literal block, or the captioned container Sphinx wraps it in."""
    parent = node.parent
    if isinstance(parent, nodes.container) and "literal-block-wrapper" in parent["classes"]:
        return parent
    return node


def describe(block: Block) -> str:
    """A block in a few words, to name it in a page's time estimate: its first command, say."""
    if block.kind == FILE:
        return f"saving {block.options.file_path}" if block.options.file_path else f"the {block.language} block"
    if block.kind in _PROMPTS:
        first = _PROMPTS[block.kind].sub("", block.body.lstrip().split("\n", 1)[0], count=1).strip()
        return first if len(first) <= 40 else first[:39] + "…"
    return f"the {block.language} block"


def _warn(message: str, location) -> None:
    logger.warning("%s", message, location=location, type="guidecheck", subtype="block")


def doctree_read(app, doctree: nodes.document) -> None:
    env = app.env
    docname = env.docname
    source = Path(env.doc2path(docname)).resolve()
    if source.suffix != PAGE_SUFFIX:
        return
    page = page_of(app, docname)
    found = read_blocks(source, page)
    blocks: dict[int, Block] = {}
    for item in found:
        if isinstance(item, Block):
            blocks[item.line] = item
        else:
            _warn(item.message, (docname, item.line))
    # Fences the engine refused were reported just above; their rendering needs no second warning.
    refused = {item.fence_line for item in found if isinstance(item, BlockError)}

    rendered: set[int] = set()
    for node in list(doctree.findall(nodes.literal_block)):
        same_file = not node.source or Path(node.source).resolve() == source
        block = blocks.get(node.line) if same_file else None
        if block is None and same_file and node.line in refused:
            continue
        if block is None or block.line in rendered:
            _warn("this code block is not a fenced block the tests know about (an indented code "
                  "block, or a block from another file?): write it as a ``` fence with a language", node)
            continue
        rendered.add(block.line)
        unit = _code_unit(node)
        wrapper = verified_block(
            page=page, line=block.line, skip=block.options.skip, file_path=block.options.file_path,
            body=block.body if block.options.file_path else None, ids=[f"block-{block.line}"])
        wrapper.source, wrapper.line = node.source, node.line
        unit.parent.replace(unit, wrapper)
        wrapper += unit

    for block in blocks.values():
        if block.line not in rendered and not block.options.hidden:
            _warn("the tests run this block but Sphinx does not render it; check its indentation and the "
                  "directive around it", (docname, block.line))

    state(env)["pages"][docname] = {
        "page": page,
        "blocks": [
            {"line": b.line, "language": b.language, "action": b.action, "tier": b.tier,
             "skip": b.options.skip, "hidden": b.options.hidden, "what": describe(b)}
            for b in blocks.values()
        ],
    }
    if blocks and not any(True for _ in doctree.findall(page_status)):
        holder = page_status(classes=["guidecheck-page-status"])
        section = next(iter(doctree.findall(nodes.section)), None)
        if section is not None and section.children and isinstance(section[0], nodes.title):
            section.insert(1, holder)
        else:
            doctree.insert(0, holder)


def setup(app) -> None:
    app.connect("doctree-read", doctree_read)
