"""What the report means for readers: each block's status words, counts, timings, time to follow a page."""

from __future__ import annotations

import math
import re

from ..report import FAILED, SKIPPED, BlockEntry, Report

# Status of a block as the HTML shows it: a CSS class suffix and the words readers see.
RAN, VALIDATED, SKIPPED_MARK, FAILED_MARK, MISSING = "ran", "validated", "skipped", "failed", "missing"
NOT_IN_RUN = "not in the last verification run"
# Time a reader spends on a block besides waiting for it: reading it, copying it, looking at the output.
READING_SECONDS = 20
# A step this long is named in the page's estimate: the reader should know the wait is coming.
LONG_WAIT_SECONDS = 30

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


def duration(seconds: float) -> str:
    """``0.4 s``, ``12 s``, ``2 min 5 s``: how long a step took, as a reader reads it."""
    if seconds < 0.05:
        return "under 0.1 s"
    if seconds < 10:
        return f"{seconds:.1f} s"
    if seconds < 60:
        return f"{seconds:.0f} s"
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes} min {rest} s" if rest else f"{minutes} min"


def block_status(entry: BlockEntry | None) -> tuple[str, str]:
    """(status, label) of a block given its report entry (None: the run did not report it)."""
    if entry is None:
        return MISSING, NOT_IN_RUN
    if entry.outcome == FAILED:
        return FAILED_MARK, "failed"
    if entry.outcome == SKIPPED:
        return SKIPPED_MARK, f"not executed: {entry.reason}"
    took = f" in {duration(entry.seconds)}"
    if entry.action == "check":
        checks = [tool_name(check) for check in entry.checks]
        return VALIDATED, (("validated by " + ", ".join(checks)) if checks else "validated") + took
    return RAN, "verified · ran" + (f" against {entry.via}" if entry.via else "") + took


def count(entries) -> dict[str, int]:
    """How many of *entries* (report entries, None for unreported blocks) have each status."""
    totals = {RAN: 0, VALIDATED: 0, SKIPPED_MARK: 0, FAILED_MARK: 0, MISSING: 0}
    for entry in entries:
        totals[block_status(entry)[0]] += 1
    return totals


def counts_words(totals: dict[str, int]) -> str:
    words = [f"{totals[RAN]} ran", f"{totals[VALIDATED]} validated", f"{totals[SKIPPED_MARK]} skipped"]
    if totals[FAILED_MARK]:
        words.append(f"{totals[FAILED_MARK]} failed")
    if totals[MISSING]:
        words.append(f"{totals[MISSING]} {NOT_IN_RUN}")
    return ", ".join(words)


def report_date(report: Report) -> str:
    """The day the run finished (or started), as written in the report."""
    stamp = report.finished or report.started or ""
    return stamp[:10] if len(stamp) >= 10 else (stamp or "an unknown date")


def environment_words(report: Report) -> str:
    from ..backends.registry import environment_words as words  # each backend words its own entry

    return words(report.environment)


def time_to_follow(blocks: list[dict], entries: list[BlockEntry | None]) -> str | None:
    """"About N minutes to follow": the waits the last run measured plus reading time, long waits named.

    *blocks* are the page's visible blocks (line, what), *entries* their report entries in the same order.
    None when the run measured none of them (nothing honest to say).
    """
    measured = [(block, entry) for block, entry in zip(blocks, entries, strict=True)
                if entry is not None and entry.outcome != SKIPPED]
    if not measured:
        return None
    waiting = sum(entry.seconds for _, entry in measured)
    total = waiting + READING_SECONDS * len(blocks)
    minutes = max(1, math.ceil(total / 60))
    words = (f"About {minutes} minute{'s' if minutes > 1 else ''} to follow: {duration(waiting)} waiting "
             f"for commands in the last run, and about {READING_SECONDS} s to read and copy each of "
             f"{len(blocks)} blocks")
    long = sorted(((entry.seconds, block) for block, entry in measured if entry.seconds >= LONG_WAIT_SECONDS),
                  key=lambda item: -item[0])[:3]
    if long:
        words += "; the longest waits: " + ", ".join(
            f"{block['what']} (line {block['line']}, {duration(seconds)})" for seconds, block in long)
    return words + "."
