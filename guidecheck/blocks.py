"""Turn the fences of a page into classified blocks, refusing anything the engine cannot classify."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from .backends import registry
from .fences import Fence, find_fences
from .files import PARSERS
from .frontmatter import FrontMatterError, page_settings
from .pages import SOURCE, PageError, location, read_page
from .screenshot import declaration
from .transcript import CONSOLE_PROMPT, CONSOLE_PROMPT_TEXT, PSQL_PROMPT, PSQL_PROMPT_TEXT
from .vocabulary import (CODE_DIRECTIVES, CONSOLE, CONTAINER_DIRECTIVES, FILE, LANGUAGES,
                         PROSE_DIRECTIVES, PSQL, SCREENSHOT, SCRIPT, SQL, BlockOptions, OptionError,
                         parse_options)

# What a block does, as the report names it.
RUN, CHECK, SKIP = "run", "check", "skip"


class BlockError(Exception):
    """A block the engine refuses; always names page:line."""

    def __init__(self, page: str, line: int, message: str) -> None:
        super().__init__(location(page, line) + ": " + message)
        self.page, self.line, self.message = page, line, message
        self.start = self.end = 0  # where the refused fence is, once known
        self.fence_line = line  # its opening line (``line`` may point at one of its options)


@dataclass
class Block:
    page: str  # path relative to the repository root
    line: int  # opening fence
    language: str
    kind: str  # console, script, psql, sql, file (vocabulary)
    options: BlockOptions
    body: str
    body_line: int
    start: int
    end: int
    fence: Fence = field(repr=False)
    shot: declaration.Shot | None = None  # what a screenshot block opens and expects

    @property
    def action(self) -> str:
        if self.options.skip:
            return SKIP
        return CHECK if self.kind == FILE else RUN

    @property
    def tier(self) -> str:
        """What the block needs: its :tier:, else what the latest backend claiming it infers."""
        if self.options.tier:
            return self.options.tier
        inferred = registry.inferred(self)
        return inferred[-1] if inferred else registry.HERMETIC

    @property
    def needs(self) -> set[str]:
        """Every tier the block needs: its own, and any a backend infers from what it does."""
        return {self.tier, *registry.inferred(self)}

    @property
    def where(self) -> str:
        return location(self.page, self.line)


def classify(fence: Fence, page: str) -> Block | None:
    """A Block for a code fence, None for prose directives and containers; BlockError otherwise."""
    def refuse(message: str, line: int | None = None) -> BlockError:
        return BlockError(page, line or fence.line, message)

    if not fence.closed:
        raise refuse(f"the fence {fence.marker} is never closed")
    if fence.directive in CONTAINER_DIRECTIVES or fence.directive in PROSE_DIRECTIVES:
        return None
    if fence.directive == declaration.DIRECTIVE:
        return _screenshot(fence, page, refuse)
    if fence.directive is not None and fence.directive not in CODE_DIRECTIVES:
        raise refuse(f"unknown directive {{{fence.directive}}}: the engine cannot classify it")
    if fence.malformed:
        raise refuse(fence.malformed)
    words = fence.argument.split()
    if not words:
        raise refuse("a code block without a language cannot be classified; name one "
                     f"({', '.join(sorted(LANGUAGES))})")
    if len(words) > 1:
        raise refuse(f"unexpected words after the language in {fence.info!r}: "
                     "write options as :name: value lines of a {code-block} directive")
    language = words[0]
    if language not in LANGUAGES:
        raise refuse(f"unknown language {language!r}; known: {', '.join(sorted(LANGUAGES))}")
    try:
        options = parse_options(fence.options)
    except OptionError as error:
        raise _option_error(fence, error, refuse) from None
    kind = LANGUAGES[language]
    if options.file_path and kind in (SCRIPT, SQL):
        kind = FILE  # a script or SQL file the reader saves: written and syntax-checked, not run here
    block = Block(page=page, line=fence.line, language=language, kind=kind, options=options,
                  body=fence.body, body_line=fence.body_line, start=fence.start, end=fence.end,
                  fence=fence)
    _check_consistency(block, refuse)
    return block


def _option_error(fence: Fence, error: OptionError, refuse) -> BlockError:
    """The error at the line of the option it names, else at the fence."""
    bad = next((n for n in fence.options if f":{n}:" in str(error)), None)
    return refuse(str(error), fence.option_lines.get(bad))


def _screenshot(fence: Fence, page: str, refuse) -> Block:
    """A ``{screenshot}`` declaration: the page's address, what must show, and its caption."""
    if fence.malformed:
        raise refuse(fence.malformed)
    try:
        shot, shared = declaration.parse(fence.argument, fence.options)
        options = parse_options(shared)
    except OptionError as error:
        raise _option_error(fence, error, refuse) from None
    if not fence.body.strip():
        raise refuse("a screenshot needs a caption (its body): what the picture shows")
    return Block(page=page, line=fence.line, language=SCREENSHOT, kind=SCREENSHOT, options=options,
                 body=fence.body, body_line=fence.body_line, start=fence.start, end=fence.end,
                 fence=fence, shot=shot)


def _check_consistency(block: Block, refuse) -> None:
    options = block.options
    if block.kind == FILE and options.caption and not (options.file_path or options.skip):
        raise refuse(f"the caption {options.caption!r} of a {block.language} block must be the file's path "
                     "relative to the reader's directory (no '/' at the start, no '.' or '..' parts)")
    if block.kind == FILE and not (options.file_path or options.skip):
        raise refuse(f"a {block.language} block must name the file it is (:caption: path/to/file) "
                     "or say why it is not tested (:skip: reason)")
    if block.kind == FILE and not options.skip and not options.check and block.language not in PARSERS:
        raise refuse(f"the engine has no parser for {block.language} files: say how this one is validated "
                     "(:check: command) or why it is not (:skip: reason)")
    if block.kind != FILE:
        for name in ("mode", "check", "image"):
            if getattr(options, name) not in (None, False):
                raise refuse(f":{name}: applies only to file blocks")
    if options.image and block.language != "dockerfile":
        raise refuse(":image: applies only to Dockerfile blocks")
    if options.unordered and block.kind != PSQL:
        raise refuse(":unordered: applies only to psql transcripts")
    if options.hidden and options.skip:
        raise refuse("a hidden block cannot be skipped: readers would never see the reason")
    if options.record and (options.hidden or options.skip):
        raise refuse(":record: shows a block's output under it: a hidden or skipped block has none to show")
    if options.record and block.kind not in (CONSOLE, SCRIPT):
        raise refuse(":record: applies only to console transcripts and scripts")
    if block.kind == CONSOLE and not options.skip and not CONSOLE_PROMPT.match(block.body.lstrip()):
        raise refuse(f"a console transcript must start with a '{CONSOLE_PROMPT_TEXT}' command line")
    if block.kind == PSQL and not options.skip and not PSQL_PROMPT.match(block.body.lstrip()):
        raise refuse(f"a psql transcript must start with a '{PSQL_PROMPT_TEXT}' statement line")


def page_blocks(text: str, page: str) -> list[Block | BlockError]:
    """Every code block of a page in order; refused fences come back as BlockError values."""
    found: list[Block | BlockError] = []
    try:
        page_settings(text)
    except FrontMatterError as error:
        refused = BlockError(page, 1, str(error))
        refused.start, refused.end = 0, len(text.split("\n", 1)[0])
        found.append(refused)
    for fence in find_fences(text):
        try:
            block = classify(fence, page)
        except BlockError as error:
            # Only the opening line: a refused container must not overlap the blocks inside it.
            error.start, error.end = fence.start, fence.start + len(text[fence.start:].split("\n", 1)[0])
            error.fence_line = fence.line
            found.append(error)
            continue
        if block is not None:
            found.append(block)
    return found


def read_blocks(path: Path, page: str) -> list[Block | BlockError]:
    """Every code block of the page at *path*; a page that cannot be read is one refused block."""
    try:
        text = read_page(path, page)
    except PageError as error:
        return [BlockError(page, error.line, error.message)]
    return page_blocks(text, page)


def saved_files(root: Path, pages: list[str]) -> list[tuple[str, Block]]:
    """The file blocks a reader saved on *pages* (front matter ``files-from``): (page, block) in order."""
    saved = []
    for name in pages:
        page = f"{SOURCE}/{name}"
        saved += [(page, block) for block in read_blocks(root / page, page)
                  if isinstance(block, Block) and block.options.file_path and not block.options.skip]
    return saved
