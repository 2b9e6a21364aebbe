"""Match the code blocks Sphinx rendered with the blocks the engine runs, and refuse what does not match.

Every page is run through the engine's own classifier (``guidecheck.blocks.read_blocks``); each refused
fence is a warning at page:line, and so is any code block Sphinx renders that the engine did not find (an
indented code block, say) and any block the engine found that Sphinx did not render.
"""

from __future__ import annotations

import codecs
from pathlib import Path

from docutils import nodes
from sphinx.util import logging

from .. import transcript
from ..blocks import Block, BlockError, page_blocks
from ..pages import PAGE_SUFFIX, PageError, read_page
from ..vocabulary import CONSOLE, FILE, PSQL
from .nodes import page_status, verified_block
from .screenshots import screenshot_figure
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
    if block.shot is not None:
        return f"the screenshot of {block.shot.url}"
    if block.kind in _PROMPTS:
        first = _PROMPTS[block.kind].sub("", block.body.lstrip().split("\n", 1)[0], count=1).strip()
        return first if len(first) <= 40 else first[:39] + "…"
    return f"the {block.language} block"


def _warn(message: str, location) -> None:
    logger.warning("%s", message, location=location, type="guidecheck", subtype="block")


def _wrap(unit: nodes.Element, node: nodes.Element, block: Block, page: str) -> None:
    """Put a rendered block (a code block, a screenshot) in the wrapper that will carry its mark."""
    wrapper = verified_block(
        page=page, line=block.line, skip=block.options.skip, file_path=block.options.file_path,
        body=block.body if block.options.file_path else None, ids=[f"block-{block.line}"])
    wrapper.source, wrapper.line = node.source, node.line
    unit.parent.replace(unit, wrapper)
    wrapper += unit


def doctree_read(app, doctree: nodes.document) -> None:
    env = app.env
    docname = env.docname
    source = Path(env.doc2path(docname)).resolve()
    if source.suffix != PAGE_SUFFIX:
        return
    page = page_of(app, docname)
    try:
        found = page_blocks(read_page(source, page), page)
    except PageError:
        return  # named once, before reading (refuse_unreadable); its blocks cannot be known
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
        _wrap(_code_unit(node), node, block, page)
    for node in list(doctree.findall(screenshot_figure)):
        block = blocks.get(node.line)
        if block is not None and block.shot is not None and block.line not in rendered:
            rendered.add(block.line)
            node["page"], node["block_line"] = page, block.line
            _wrap(node, node, block, page)

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


# Sphinx's own reading of a page that is not UTF-8 would crash the build; once the page is named in a
# warning, Sphinx reads it with this codec instead: UTF-8, undecodable bytes shown as U+FFFD.
_LENIENT = "guidecheck_lenient_utf_8"
_UTF8 = codecs.lookup("utf-8-sig")


class _LenientDecoder(_UTF8.incrementaldecoder):
    def __init__(self, errors: str = "strict") -> None:
        super().__init__("replace")


def _find_codec(name: str) -> codecs.CodecInfo | None:
    if name != _LENIENT:
        return None
    return codecs.CodecInfo(_UTF8.encode, lambda data, errors="strict": _UTF8.decode(data, "replace"),
                            incrementalencoder=_UTF8.incrementalencoder, incrementaldecoder=_LenientDecoder,
                            streamreader=_UTF8.streamreader, streamwriter=_UTF8.streamwriter, name=_LENIENT)


codecs.register(_find_codec)


def refuse_unreadable(app, env, docnames: list[str]) -> None:
    """A page that is not UTF-8 is a warning naming it (page:line, byte), not a crash of the build."""
    for docname in docnames:
        path = Path(env.doc2path(docname))
        if path.suffix != PAGE_SUFFIX:
            continue
        try:
            read_page(path, page_of(app, docname))
        except PageError as error:
            _warn(error.message, (docname, error.line))
            env.settings["input_encoding"] = _LENIENT


def setup(app) -> None:
    app.connect("env-before-read-docs", refuse_unreadable)
    app.connect("doctree-read", doctree_read)
