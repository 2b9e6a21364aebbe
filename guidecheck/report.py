"""The verification report (shared/report-schema.md): every block, what was done with it, how it went."""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from . import files
from .blocks import RUN, SKIP, Block, BlockError
from .vocabulary import VIA


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


@dataclass
class BlockEntry:
    page: str
    line: int
    language: str
    action: str
    checks: list[str]
    tier: str
    via: str | None = None  # the stand-in a "run" ran against (vocabulary.VIA), None for the real thing
    outcome: str = "skipped"
    reason: str | None = None
    seconds: float = 0.0

    @classmethod
    def describe(cls, block: Block | BlockError) -> BlockEntry:
        """What the report says of a block before it runs."""
        if isinstance(block, BlockError):
            # A block the engine refused: it was not run, and that is a failure, not a skip.
            return cls(page=block.page, line=block.line, language="unknown", action=SKIP, checks=[],
                       tier="hermetic", outcome="failed", reason=block.message)
        checks = files.checks_for(block.language, block.options.check) if block.kind == "file" else []
        via = VIA.get(block.tier) if block.action == RUN else None
        return cls(page=block.page, line=block.line, language=block.language, action=block.action,
                   checks=checks, tier=block.tier, via=via)


@dataclass
class Report:
    environment: dict
    started: str = field(default_factory=_now)
    blocks: dict[tuple[str, int], BlockEntry] = field(default_factory=dict)

    def record(self, entry: BlockEntry, outcome: str, reason: str | None, seconds: float) -> None:
        entry.outcome, entry.seconds = outcome, round(seconds, 3)
        if outcome == "skipped":
            entry.reason = reason or "skipped without a reason (engine defect)"
            if entry.action != SKIP:
                entry.action = SKIP  # it was neither run nor validated
            entry.via = None
        elif outcome == "failed" and reason:
            entry.reason = reason
        self.blocks[(entry.page, entry.line)] = entry

    def write(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        document = {
            "schema": 1,
            "started": self.started,
            "finished": _now(),
            "environment": self.environment,
            "blocks": [asdict(entry) for _, entry in sorted(self.blocks.items())],
        }
        temporary = path.with_suffix(".tmp")
        temporary.write_text(json.dumps(document, indent=2) + "\n")
        temporary.replace(path)
