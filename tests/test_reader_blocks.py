"""What a reader copies is what they should type: no test-only noise in visible blocks.

A person pastes a visible console or shell block into an interactive terminal. Such a block must not
close that terminal (``exit``), must not throw output away just so a transcript matches
(``> /dev/null``), and no visible block or skip reason may name the engine that tests the pages
(readers do not have it). Hidden blocks may assert whatever they like; the contributor pages, which
teach the engine, are exempt.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from guidecheck.blocks import Block, page_blocks
from guidecheck.backends.registry import tiers
from guidecheck.vocabulary import CONSOLE, SCRIPT

ROOT = Path(__file__).resolve().parent.parent
# Pages about the engine itself, for people who write pages.
CONTRIBUTOR_PAGES = "source/contributing/"
PASTED_LANGUAGES = {"console", "bash", "sh", "shell"}

# ``exit`` as a command word: at the start of a command, or after ; && || | ( {
_EXIT = re.compile(r"(?:^|[;&|({]|\bthen|\belse|\bdo)\s*exit\b(?!\s*\))", re.MULTILINE)
# A shell redirection of a stream to /dev/null (not ``--output /dev/null``, which is a tool's option).
_DEV_NULL = re.compile(r"(?:^|\s)(?:\d|&)?>>?\s*/dev/null")
_ENGINE = re.compile(r"guidecheck|\bGUIDE_[A-Z_]+|bootstrap-engine|test run provides")
_TIER_WORDS = re.compile(r"\b(?:" + "|".join(tiers()) + r") tier\b|\btiers?\b")


def reader_blocks():
    for path in sorted((ROOT / "source").rglob("*.md")):
        page = path.relative_to(ROOT).as_posix()
        if page.startswith(CONTRIBUTOR_PAGES):
            continue
        for block in page_blocks(path.read_text(), page):
            if isinstance(block, Block) and not block.options.hidden:
                yield block


def commands(block: Block) -> str:
    """The text a reader pastes: a transcript's commands without prompts and output; a script whole."""
    if block.kind != CONSOLE:
        return block.body
    lines = [line[2:] for line in block.body.splitlines() if line.startswith(("$ ", "> "))]
    return "\n".join(lines)


def problems(block: Block) -> list[str]:
    found = []
    pasted = block.language in PASTED_LANGUAGES and block.kind in (CONSOLE, SCRIPT)
    text = commands(block)
    if pasted and _EXIT.search(text):
        found.append("`exit` would close the reader's terminal")
    if pasted and _DEV_NULL.search(text):
        found.append("a redirection to /dev/null: match the output in the transcript instead")
    shown = "\n".join([block.body, block.options.skip or ""])
    if _ENGINE.search(shown):
        found.append(f"names the test engine: {_ENGINE.search(shown).group(0)!r}")
    if block.options.skip and _TIER_WORDS.search(block.options.skip):
        found.append("its skip reason talks about test tiers, not about what the reader would need")
    return found


def test_visible_blocks_hold_only_what_readers_should_type():
    found = [f"{block.where}: {problem}" for block in reader_blocks() for problem in problems(block)]
    assert not found, "\n".join(found)


@pytest.mark.parametrize("body, expected", [
    ("$ false || exit 1\n", "`exit`"),
    ("$ docker build . > /dev/null\n", "/dev/null"),
    ("$ docker compose up 2>/dev/null\n", "/dev/null"),
    ("$ python3 -m guidecheck.variables check .env\n", "test engine"),
])
def test_the_scan_catches_each_kind_of_noise(body, expected):
    block = next(b for b in page_blocks(f"```console\n{body}```\n", "source/x.md") if isinstance(b, Block))
    assert any(expected in problem for problem in problems(block)), problems(block)


def test_the_scan_leaves_honest_blocks_alone():
    text = ("```console\n$ curl --silent --output /dev/null --write-out '%{http_code}' http://x/\n200\n```\n"
            "```{code-block} console\n:skip: needs a Supabase project\n\n$ supabase projects list\n```\n")
    assert [problems(b) for b in page_blocks(text, "source/x.md") if isinstance(b, Block)] == [[], []]
