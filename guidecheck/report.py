"""The verification report (shared/report-schema.md): every block, what was done with it, how it went.

One module for both sides: the pytest integration records and writes it, the Sphinx extension reads it
back into the same classes, so the schema (its fields, their checks, its version) is written once.
"""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

from . import files
from .backends import registry
from .blocks import CHECK, RUN, SKIP, Block, BlockError

SCHEMA = 1
DEFAULT_PATH = "build/verify/report.json"  # relative to the repository root
PASSED, FAILED, SKIPPED = "passed", "failed", "skipped"
OUTCOMES = (PASSED, FAILED, SKIPPED)
ACTIONS = (RUN, CHECK, SKIP)

Key = tuple[str, int]  # (page, line): how a block is found in the report


class ReportError(ValueError):
    """The report exists but cannot be used; the message says why."""


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
    outcome: str = SKIPPED
    reason: str | None = None
    seconds: float = 0.0
    via: str | None = None  # what a "run" ran against when it stands in for the real target
    output: str | None = None  # what a :record: block printed when it passed (redacted, capped)
    screenshot: str | None = None  # a passed screenshot block's picture, relative to the report's directory

    @property
    def key(self) -> Key:
        return (self.page, self.line)

    @classmethod
    def describe(cls, block: Block | BlockError) -> BlockEntry:
        """What the report says of a block before it runs."""
        if isinstance(block, BlockError):
            # A block the engine refused: it was not run, and that is a failure, not a skip.
            return cls(page=block.page, line=block.line, language="unknown", action=SKIP, checks=[],
                       tier="hermetic", outcome=FAILED, reason=block.message)
        checks = files.checks_for(block.language, block.options.check) if block.kind == "file" else []
        via = registry.via(block) if block.action == RUN else None
        return cls(page=block.page, line=block.line, language=block.language, action=block.action,
                   checks=checks, tier=block.tier, via=via)

    @classmethod
    def from_json(cls, data: object, where: str) -> BlockEntry:
        """An entry read back from the report; ReportError naming *where* when it breaks the schema."""
        _require(isinstance(data, dict), f"{where} must be an object")
        _require(isinstance(data.get("page"), str), f"{where}: 'page' must be a string")
        _require(isinstance(data.get("line"), int) and data["line"] > 0,
                 f"{where}: 'line' must be a positive integer")
        _require(data.get("outcome") in OUTCOMES,
                 f"{where}: 'outcome' must be one of {', '.join(OUTCOMES)}, got {data.get('outcome')!r}")
        _require(data.get("action") in ACTIONS,
                 f"{where}: 'action' must be one of {', '.join(ACTIONS)}, got {data.get('action')!r}")
        if data["outcome"] == SKIPPED:
            _require(bool(data.get("reason")), f"{where}: a skipped block needs a reason")
        checks = data.get("checks") or []
        _require(isinstance(checks, list) and all(isinstance(c, str) for c in checks),
                 f"{where}: 'checks' must be a list of strings")
        _require(isinstance(data.get("seconds", 0), (int, float)), f"{where}: 'seconds' must be a number")
        _require(data.get("via") is None or isinstance(data["via"], str), f"{where}: 'via' must be text or null")
        _require(data.get("output") is None or isinstance(data["output"], str),
                 f"{where}: 'output' must be text or null")
        shot = data.get("screenshot")
        _require(shot is None or (isinstance(shot, str) and shot.endswith(".png") and not shot.startswith("/")
                                  and ".." not in shot.split("/")),
                 f"{where}: 'screenshot' must be a .png path inside the report's directory, or null")
        known = {f.name for f in fields(cls)}  # fields may be added: newer ones are ignored here
        values = {name: value for name, value in data.items() if name in known}
        return cls(**{"language": "", "tier": "", **values, "checks": checks})


def _require(condition: bool, message: str) -> None:
    if not condition:
        raise ReportError(message)


@dataclass
class Report:
    environment: dict
    started: str | None = field(default_factory=_now)
    finished: str | None = None
    blocks: dict[Key, BlockEntry] = field(default_factory=dict)
    digest: str | None = None  # of the file it was read from
    duplicates: list[Key] = field(default_factory=list)  # keys the file lists more than once

    def get(self, page: str, line: int) -> BlockEntry | None:
        return self.blocks.get((page, line))

    @property
    def entries(self) -> list[BlockEntry]:
        return [entry for _, entry in sorted(self.blocks.items())]

    def record(self, entry: BlockEntry, outcome: str, reason: str | None, seconds: float) -> None:
        entry.outcome, entry.seconds = outcome, round(seconds, 3)
        if outcome == SKIPPED:
            entry.reason = reason or "skipped without a reason (engine defect)"
            if entry.action != SKIP:
                entry.action = SKIP  # it was neither run nor validated
            entry.via = None  # it ran against nothing
        elif outcome == FAILED and reason:
            entry.reason = reason
        self.blocks[entry.key] = entry

    def write(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        document = {
            "schema": SCHEMA,
            "started": self.started,
            "finished": _now(),
            "environment": self.environment,
            "blocks": [asdict(entry) for entry in self.entries],
        }
        temporary = path.with_suffix(".tmp")
        temporary.write_text(json.dumps(document, indent=2) + "\n")
        temporary.replace(path)


def load(path: Path) -> Report | None:
    """The report at *path*; None when there is no file; ReportError when it is unusable."""
    if not path.is_file():
        return None
    raw = path.read_bytes()
    try:
        data = json.loads(raw)
    except ValueError as error:
        raise ReportError(f"{path}: not valid JSON: {error}") from None
    _require(isinstance(data, dict), f"{path}: the report must be a JSON object")
    _require(data.get("schema") == SCHEMA, f"{path}: unsupported report schema {data.get('schema')!r}")
    environment = data.get("environment") or {}
    _require(isinstance(environment, dict), f"{path}: 'environment' must be an object")
    blocks = data.get("blocks")
    _require(isinstance(blocks, list), f"{path}: 'blocks' must be a list")
    report = Report(environment=environment, started=data.get("started"), finished=data.get("finished"),
                    digest=hashlib.sha256(raw).hexdigest())
    for number, item in enumerate(blocks):
        entry = BlockEntry.from_json(item, f"{path}: blocks[{number}]")
        if entry.key in report.blocks:
            report.duplicates.append(entry.key)
        report.blocks[entry.key] = entry
    return report
