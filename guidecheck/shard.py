"""Split the guide's pages into shards for separate machines: whole pages, balanced by expected time.

``--guide-shard i/n`` (env GUIDE_SHARD) verifies the i-th of n shards. A page is one shell session, so
it never splits. Each page weighs what its blocks took in the last full report (build/verify/report.json)
when that report covers every page, else its number of blocks; the heaviest pages are placed first, each
on the lightest shard (longest-processing-time first), so every shard computes the same partition from
the same files. A shard writes build/verify/shard-i-of-n.json; ``python3 -m guidecheck.merge`` joins them.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from .blocks import Block, read_blocks
from .report import DEFAULT_PATH

_SPEC = re.compile(r"^(\d+)/(\d+)$")


class ShardError(ValueError):
    """A malformed --guide-shard value."""


def parse(spec: str) -> tuple[int, int]:
    match = _SPEC.match(spec.strip())
    if not match or not 1 <= int(match.group(1)) <= int(match.group(2)):
        raise ShardError(f"--guide-shard {spec!r}: expected i/n with 1 <= i <= n, such as 2/4")
    return int(match.group(1)), int(match.group(2))


def report_name(spec: str) -> str:
    index, count = parse(spec)
    return (Path(DEFAULT_PATH).parent / f"shard-{index}-of-{count}.json").as_posix()


def weights(root: Path, pages: list[str], report: Path | None = None) -> dict[str, float]:
    """Seconds per page from the last report when it covers them all, else blocks per page."""
    report = report or root / DEFAULT_PATH
    try:
        seconds: dict[str, float] = {}
        for block in json.loads(report.read_text())["blocks"]:
            seconds[block["page"]] = seconds.get(block["page"], 0.0) + float(block.get("seconds") or 0)
        if set(pages) <= set(seconds):
            return {page: seconds[page] for page in pages}
    except (OSError, ValueError, KeyError, TypeError):
        pass  # no usable report: fall back to counting blocks
    return {page: float(sum(isinstance(block, Block) for block in read_blocks(root / page, page)))
            for page in pages}


def partition(weighted: dict[str, float], count: int) -> list[list[str]]:
    """Every page in exactly one of ``count`` shards, the shards' total weights as even as greedy gets."""
    shards: list[list[str]] = [[] for _ in range(count)]
    totals = [0.0] * count
    for page in sorted(weighted, key=lambda name: (-weighted[name], name)):
        lightest = min(range(count), key=lambda index: (totals[index], index))
        shards[lightest].append(page)
        totals[lightest] += weighted[page]
    return [sorted(shard) for shard in shards]


def pages_of(spec: str, root: Path) -> set[str]:
    """The pages (relative to root) that shard ``spec`` verifies, out of every page of the guide."""
    index, count = parse(spec)
    pages = sorted(path.relative_to(root).as_posix() for path in (root / "source").rglob("*.md"))
    return set(partition(weights(root, pages), count)[index - 1])
