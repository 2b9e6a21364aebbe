"""Join the reports of a sharded verification into one, as if one machine had run every page.

    python3 -m guidecheck.merge build/verify/shard-*.json --output build/verify/report.json

Refuses (exit 1, naming page:line) a block reported by two shards, and with ``--complete`` a block of the
guide that no shard reported; the Sphinx build then reads the merged report like any other.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from .backends import registry
from .blocks import read_blocks
from .pages import SOURCE, location, page_name, pages_under
from .record import machine_words
from .report import DEFAULT_PATH


class MergeError(ValueError):
    """The shards' reports do not add up to one run."""


def merge(reports: list[dict]) -> dict:
    if not reports:
        raise MergeError("no reports to merge")
    schemas = {report["schema"] for report in reports}
    if len(schemas) != 1:
        raise MergeError(f"reports of different schemas: {sorted(schemas)}")
    blocks: dict[tuple[str, int], dict] = {}
    for report in reports:
        for block in report["blocks"]:
            key = (block["page"], block["line"])
            if key in blocks:
                raise MergeError(f"{key[0]}:{key[1]} is in two shards' reports")
            blocks[key] = block
    environment = dict(reports[0]["environment"])
    for field in (backend.name for backend in registry.backends()):
        values = {report["environment"].get(field) for report in reports} - {None}
        if len(values) > 1:
            raise MergeError(f"the shards ran on different {field} versions: {', '.join(sorted(values))}")
        environment[field] = values.pop() if values else None
    environment["strict"] = all(report["environment"].get("strict") for report in reports)
    machines = [report["environment"].get("machine") for report in reports]
    if any(machine != machines[0] for machine in machines):
        # Recorded outputs came from different shards' machines: the label must not name just one.
        environment["machine"] = {"cpu": "one of: " + "; ".join(sorted({machine_words(m) for m in machines}))}
    return {"schema": schemas.pop(), "started": min(report["started"] for report in reports),
            "finished": max(report["finished"] for report in reports), "environment": environment,
            "blocks": [blocks[key] for key in sorted(blocks)]}


def unreported(merged: dict, root: Path) -> list[str]:
    """page:line of every block of the guide's pages that the merged report lacks."""
    seen = {(block["page"], block["line"]) for block in merged["blocks"]}
    missing = []
    for path in pages_under(root / SOURCE):
        page = page_name(path, root)
        missing += [location(page, block.line) for block in read_blocks(path, page)
                    if (page, block.line) not in seen]
    return missing


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python3 -m guidecheck.merge", description=__doc__.split("\n")[0])
    parser.add_argument("reports", nargs="+", type=Path)
    parser.add_argument("--output", type=Path, default=Path(DEFAULT_PATH))
    parser.add_argument("--complete", action="store_true", help="every block of source/ must be reported")
    parser.add_argument("--root", type=Path, default=Path("."), help="the guide, for --complete")
    args = parser.parse_args(argv)
    try:
        merged = merge([json.loads(path.read_text()) for path in args.reports])
        missing = unreported(merged, args.root) if args.complete else []
        if missing:
            raise MergeError(f"{len(missing)} blocks in no shard's report: {', '.join(missing[:10])}")
    except (MergeError, OSError, ValueError, KeyError) as error:
        print(f"merge: {error}", file=sys.stderr)
        return 1
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(merged, indent=2) + "\n")
    failed = sum(block["outcome"] == "failed" for block in merged["blocks"])
    print(f"merged {len(args.reports)} reports: {len(merged['blocks'])} blocks, {failed} failed -> {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
