"""Update mode: rewrite a transcript's expected output in the page source, and nothing else."""

from __future__ import annotations

from pathlib import Path


def apply(source: Path, updates: list) -> bool:
    """Replace the expected-output lines of each (block, step, new lines); True if the file changed.

    Lines are addressed by page line numbers taken when the page was parsed, so edits are applied
    from the bottom up to keep earlier addresses valid.
    """
    if not updates:
        return False
    original = source.read_text()
    lines = original.splitlines(keepends=True)
    for block, step, new in sorted(updates, key=lambda update: -update[1].line):
        indent = block.fence.indent
        first = block.body_line - 1 + step.expected_from  # 0-based index into the file
        last = block.body_line - 1 + step.expected_to
        lines[first:last] = [(indent + line).rstrip() + "\n" for line in new]
    text = "".join(lines)
    if text == original:
        return False
    source.write_text(text)
    return True
