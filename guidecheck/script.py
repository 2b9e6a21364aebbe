"""A page as one shell script: the exact commands a reader types, with file blocks as heredocs.

Generated from the same blocks the tests run, so the download and the verified page cannot drift apart.
Hidden blocks (the tests' own assertions) are left out; skipped blocks stay as comments, with their reason.
"""

from __future__ import annotations

from pathlib import Path

from . import transcript
from .blocks import Block, BlockError, page_blocks, saved_files
from .evaluate import PSQL_FLAGS, SQL_FLAGS
from .frontmatter import FrontMatterError, page_settings
from .pages import PageError, read_page
from .vocabulary import CONSOLE, FILE, INTERPRETERS, SCREENSHOT, SCRIPT, SHELL_LANGUAGES, SQL

_HEADER = """#!/usr/bin/env bash
# {page}: every command of the page, in order, as the guide's tests ran them.
# Run it in an empty directory; it stops at the first command that fails.
set -e
"""


def _heredoc(command: str, body: str) -> str:
    """``command`` reading *body* exactly, through a quoted heredoc (no expansion inside)."""
    marker = "GUIDE_EOF"
    while marker in body.splitlines():
        marker += "_"
    if body.endswith("\n"):
        return f"{command} <<'{marker}'\n{body}{marker}"
    # No final newline (an empty file, say): keep it that way.
    return f"printf '%s' \"$(cat <<'{marker}'\n{body}\n{marker}\n)\" | {command}"


def _expecting(command: str, status: int) -> str:
    return command if status == 0 else f"{command} || [ $? -eq {status} ]  # the guide expects exit status {status}"


def _file(block: Block) -> str:
    path = block.options.file_path
    directory = path.rsplit("/", 1)[0] if "/" in path else None
    lines = [f"mkdir -p {directory}"] if directory else []
    lines.append(_heredoc(f"cat > {path}", block.body))
    if block.options.mode is not None:
        lines.append(f"chmod {block.options.mode:o} {path}")
    return "\n".join(lines)


def _commands(block: Block) -> str:
    """The block's commands as a reader runs them."""
    status = block.options.exit
    if block.kind == FILE:
        return _file(block)
    if block.kind == CONSOLE:
        steps = transcript.parse(block.body, block.body_line, transcript.CONSOLE_PROMPT,
                                 transcript.CONSOLE_CONTINUATION)
        return "\n".join(_expecting(step.text, status if n == len(steps) - 1 else 0)
                         for n, step in enumerate(steps))
    if block.kind == SCRIPT and block.language in SHELL_LANGUAGES and status == 0:
        # The tests run a bash block in the page's shell with these options, then drop them.
        return f"set -uo pipefail\n{block.body.rstrip()}\nset +uo pipefail"
    if block.kind == SCRIPT:
        return _expecting(_heredoc(" ".join(INTERPRETERS[block.language]) + " -", block.body), status)
    if block.kind == SQL:
        return _expecting(_heredoc(f"psql {SQL_FLAGS}", block.body), status)
    steps = transcript.parse(block.body, block.body_line, transcript.PSQL_PROMPT,
                             transcript.PSQL_CONTINUATION)
    return _heredoc(f"psql {PSQL_FLAGS}", "".join(step.text + "\n" for step in steps))


def _commented(text: str) -> str:
    return "\n".join("# " + line if line else "#" for line in text.splitlines())


def _section(block: Block) -> str | None:
    if block.options.hidden:
        return None  # the tests' own checks: nothing a reader types
    where = f"# {block.where}"
    if block.kind == SCREENSHOT:  # a picture the guide shows: nothing to type
        return f"{where}: open {block.shot.url} in your browser; it should show {block.shot.expect!r}"
    if block.options.skip:
        note = f"{where} (not run by the guide's tests: {block.options.skip})"
        # Commands the reader may adapt stay visible, commented out; a skipped file is only named.
        return note if block.kind == FILE else f"{note}\n{_commented(_commands(block))}"
    if block.kind == FILE:
        return f"{where}: save {block.options.file_path}\n{_commands(block)}"
    return f"{where}\n{_commands(block)}"


def page_script(root: Path, page: str) -> str | None:
    """The script of *page* (relative to *root*); None when the page has no command or file to run."""
    try:
        text = read_page(root / page, page)
        earlier = page_settings(text).files_from
    except (PageError, FrontMatterError):
        return None  # the page's error is reported where it is verified and built
    blocks = page_blocks(text, page)
    if any(isinstance(block, BlockError) for block in blocks):
        return None
    # What the reader saved on the pages this one builds on.
    sections = [f"# saved on {other}: {block.options.file_path}\n{_file(block)}"
                for other, block in saved_files(root, earlier)]
    sections += [section for section in map(_section, blocks) if section]
    if not any(isinstance(b, Block) and not b.options.hidden and not b.options.skip for b in blocks):
        return None
    return _HEADER.format(page=page) + "\n" + "\n\n".join(sections) + "\n"
