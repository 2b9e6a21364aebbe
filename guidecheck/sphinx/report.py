"""Read the verification report (``build/verify/report.json``) and say what it means for one block.

The report's shape is described in the team's report schema: one entry per code block, keyed by the
page's path relative to the repository root and the 1-based line of the block's opening fence.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

OUTCOMES = ("passed", "failed", "skipped")
ACTIONS = ("run", "check", "skip")

# Status of a block as the HTML shows it: a CSS class suffix and the words readers see.
RAN, VALIDATED, SKIPPED, FAILED, MISSING = "ran", "validated", "skipped", "failed", "missing"
NOT_IN_RUN = "not in the last verification run"


class ReportError(ValueError):
    """The report exists but cannot be used; the message says why."""


@dataclass
class Report:
    path: Path
    started: str | None
    finished: str | None
    environment: dict
    entries: list[dict]
    digest: str
    index: dict[tuple[str, int], dict] = field(default_factory=dict)
    duplicates: list[tuple[str, int]] = field(default_factory=list)

    def get(self, page: str, line: int) -> dict | None:
        return self.index.get((page, line))

    @property
    def date(self) -> str:
        """The day the run finished (or started), as written in the report."""
        stamp = self.finished or self.started or ""
        return stamp[:10] if len(stamp) >= 10 else (stamp or "an unknown date")

    def environment_words(self) -> str:
        env = self.environment
        meshhook = env.get("meshhook")
        parts = [
            f"Docker {env['docker']}" if env.get("docker") else "no Docker engine",
            f"PostgreSQL {env['postgres']}" if env.get("postgres") else "no PostgreSQL server",
            f"MeshHook {str(meshhook)[:7]}" if meshhook else "no MeshHook checkout",
        ]
        return ", ".join(parts)


def _require(condition: bool, message: str) -> None:
    if not condition:
        raise ReportError(message)


def load_report(path: Path) -> Report | None:
    """The report at *path*; None when there is no file; ReportError when it is unusable."""
    if not path.is_file():
        return None
    raw = path.read_bytes()
    try:
        data = json.loads(raw)
    except ValueError as error:
        raise ReportError(f"{path}: not valid JSON: {error}") from None
    _require(isinstance(data, dict), f"{path}: the report must be a JSON object")
    _require(data.get("schema") == 1, f"{path}: unsupported report schema {data.get('schema')!r}")
    environment = data.get("environment") or {}
    _require(isinstance(environment, dict), f"{path}: 'environment' must be an object")
    blocks = data.get("blocks")
    _require(isinstance(blocks, list), f"{path}: 'blocks' must be a list")
    report = Report(path=path, started=data.get("started"), finished=data.get("finished"),
                    environment=environment, entries=[], digest=hashlib.sha256(raw).hexdigest())
    for number, entry in enumerate(blocks):
        where = f"{path}: blocks[{number}]"
        _require(isinstance(entry, dict), f"{where} must be an object")
        _require(isinstance(entry.get("page"), str), f"{where}: 'page' must be a string")
        _require(isinstance(entry.get("line"), int) and entry["line"] > 0,
                 f"{where}: 'line' must be a positive integer")
        _require(entry.get("outcome") in OUTCOMES,
                 f"{where}: 'outcome' must be one of {', '.join(OUTCOMES)}, got {entry.get('outcome')!r}")
        _require(entry.get("action") in ACTIONS,
                 f"{where}: 'action' must be one of {', '.join(ACTIONS)}, got {entry.get('action')!r}")
        if entry["outcome"] == "skipped":
            _require(bool(entry.get("reason")), f"{where}: a skipped block needs a reason")
        checks = entry.get("checks") or []
        _require(isinstance(checks, list) and all(isinstance(c, str) for c in checks),
                 f"{where}: 'checks' must be a list of strings")
        key = (entry["page"], entry["line"])
        if key in report.index:
            report.duplicates.append(key)
        report.index[key] = entry
        report.entries.append(entry)
    return report


# Validators a reader recognises, found inside longer check commands (a docker run wrapper, say).
_KNOWN_TOOLS = re.compile(r"caddy validate|nginx -t|docker compose\b.*?\bconfig\b|bash -n|node --check|"
                          r"shellcheck|check-jsonschema|python3 -m [\w.]+")


def tool_name(check: str) -> str:
    """A badge-sized name for a validator: the tool inside the command, not the whole command line."""
    if len(check) <= 32:
        return check
    found = _KNOWN_TOOLS.search(check)
    if found:
        return "docker compose config" if found.group(0).startswith("docker compose") else found.group(0)
    words = check.split()
    return " ".join(words[:2]) + (" …" if len(words) > 2 else "")


def block_status(entry: dict | None) -> tuple[str, str]:
    """(status, label) of a block given its report entry (None: the run did not report it)."""
    if entry is None:
        return MISSING, NOT_IN_RUN
    outcome = entry["outcome"]
    if outcome == "failed":
        return FAILED, "failed"
    if outcome == "skipped":
        return SKIPPED, f"not executed: {entry.get('reason')}"
    if entry["action"] == "check":
        checks = [tool_name(check) for check in entry.get("checks") or []]
        return VALIDATED, ("validated by " + ", ".join(checks)) if checks else "validated"
    if entry.get("via"):
        return RAN, f"verified · ran against {entry['via']}"
    return RAN, "verified · ran"


def count(entries) -> dict[str, int]:
    """How many of *entries* (report entries, None for unreported blocks) have each status."""
    totals = {RAN: 0, VALIDATED: 0, SKIPPED: 0, FAILED: 0, MISSING: 0}
    for entry in entries:
        totals[block_status(entry)[0]] += 1
    return totals
