"""Drift demos on the real pages: a changed command or expected output line fails at its own page:line.

Every console block of the guide that runs without backends is copied twice — once with an extra line
expected at the top of its output, once with its first command made to exit 97 — and each copy must fail,
naming the block, where the unchanged page passes. Blocks behind a step its page declares slow (a
timeout above the default, such as a debootstrap) are left out: each copy would repeat that step, and
what is tested here is the engine's reaction, not the step.
"""

import re
from pathlib import Path

from guidecheck.blocks import Block, page_blocks
from guidecheck.fences import find_fences
from guidecheck.vocabulary import DEFAULT_TIMEOUT

ROOT = Path(__file__).resolve().parent.parent
MUTATION = "guidecheck-mutation"


def hermetic_console_blocks() -> dict[str, list[Block]]:
    found = {}
    for path in sorted((ROOT / "source").rglob("*.md")):
        page = path.relative_to(ROOT).as_posix()
        blocks = []
        for block in page_blocks(path.read_text(), page):
            if not isinstance(block, Block) or block.options.skip or block.needs != {"hermetic"}:
                continue
            if block.options.timeout > DEFAULT_TIMEOUT:
                break  # this block and every later one would repeat a slow step in each copy
            if block.kind == "console":
                blocks.append(block)
        if blocks:
            found[page] = blocks
    return found


def mutate(text: str, block: Block, how: str) -> str:
    """The page up to and including the block, with the block mutated (later blocks cannot matter)."""
    enclosing = [f for f in find_fences(text) if f.start < block.start and f.end >= block.end]
    closing = "".join(f"{f.indent}{f.marker}\n" for f in reversed(enclosing))
    lines = (text[:block.end] + closing).splitlines(keepends=True)
    first = block.body_line - 1  # the first command line
    while not lines[first].lstrip().startswith("$"):
        first += 1
    prompt = re.match(r"(\s*\$ ?)", lines[first]).group(1)
    if how == "output":
        command_end = first + 1
        while command_end < len(lines) and lines[command_end].lstrip().startswith(">"):
            command_end += 1
        lines.insert(command_end, block.fence.indent + MUTATION + "\n")
    else:
        lines[first] = prompt + "exit 97; " + lines[first][len(prompt):]
    return "".join(lines)


def test_every_mutated_console_block_fails_at_its_line(run_pages):
    targets = hermetic_console_blocks()
    assert targets, "the guide has no hermetic console blocks to mutate"
    pages, expected = {}, {}
    for page, blocks in targets.items():
        text = (ROOT / page).read_text()
        name = page.removeprefix("source/").replace("/", "--")
        pages[f"original/{name}"] = text
        for block in blocks:
            for how in ("output", "command"):
                copy = f"mutated/{name[:-3]}--L{block.line}-{how}.md"
                pages[copy] = mutate(text, block, how)
                expected[f"source/{copy}"] = (block.line, f"source/original/{name}")
    run = run_pages(pages, "--guide-no-backends", "-n", "4", "--dist", "loadfile")
    assert run.report, run.output
    passed_originally = {(b["page"], b["line"]) for b in run.report["blocks"] if b["outcome"] == "passed"}
    checked = 0
    for copy, (line, original) in expected.items():
        if (original, line) not in passed_originally:
            continue  # depends on a block this run cannot execute; the full run covers it
        checked += 1
        outcome = run.outcome(copy, line)
        assert outcome["outcome"] == "failed", f"mutating {copy} did not fail:\n{outcome}"
        assert f"{copy}:{line}:" in run.output
    assert checked >= 10, f"only {checked} mutations could be checked"
