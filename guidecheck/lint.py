"""Classify the blocks of pages without running them: the quickest check of a page being written.

    python3 -m guidecheck.lint source/secrets.md [more pages…]

Prints each refused block as page:line and exits 1 if there is one.
"""

from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path

from .blocks import BlockError, read_blocks


def main(paths: list[str]) -> int:
    refused = 0
    for name in paths:
        found = read_blocks(Path(name), name)
        errors = [block for block in found if isinstance(block, BlockError)]
        for error in errors:
            print(error)
        refused += len(errors)
        kinds = Counter(block.kind for block in found if not isinstance(block, BlockError))
        summary = ", ".join(f"{count} {kind}" for kind, count in sorted(kinds.items())) or "no blocks"
        print(f"{name}: {summary}" + (f", {len(errors)} refused" if errors else ""))
    return 1 if refused else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
