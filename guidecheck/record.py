"""``:record:`` blocks: the output a block produced in the run, kept for readers, and the machine it ran on.

Pages never state a number that was not measured: a block with ``:record:`` (a load test, a failover
drill) shows, right under it, what it printed in the last verified run. What is kept is redacted with the
engine's redaction and capped, so a report never carries a secret or megabytes of log.
"""

from __future__ import annotations

import os
import platform
from pathlib import Path

from . import transcript
from .redact import redact

MAX_LINES = 200
MAX_BYTES = 20_000


def console_transcript(steps: list[tuple[str, str]]) -> str:
    """``$ command`` lines, each followed by what it printed, as a terminal shows them."""
    lines: list[str] = []
    for command, output in steps:
        first, *rest = command.split("\n")
        lines.append(transcript.CONSOLE_PROMPT_TEXT + first)
        lines += ["> " + line for line in rest]  # the continuation prompt readers type after
        lines += transcript.terminal_lines(output)
    return "\n".join(lines)


def kept(output: str, env: dict[str, str]) -> str:
    """What the report keeps of *output*: secrets masked, at most the last MAX_LINES lines / MAX_BYTES."""
    lines = transcript.terminal_lines(redact(output, env))
    total = len(lines)
    lines = lines[-MAX_LINES:]
    while len(lines) > 1 and len("\n".join(lines).encode()) > MAX_BYTES:
        lines = lines[1:]
    text = "\n".join(lines)
    if len(text.encode()) > MAX_BYTES:  # one huge line: keep its end
        text = text.encode()[-MAX_BYTES:].decode(errors="ignore")
    if len(lines) < total or text != "\n".join(lines):
        kept_words = f"the last {len(lines)} of {total} lines" if total > 1 else "the end of one long line"
        text = f"[output shortened: {kept_words}]\n" + text
    return text


def machine() -> dict:
    """The run's machine as the report records it: CPU model, cores, memory in GiB."""
    return {"cpu": _cpu_model(), "cores": os.cpu_count(), "memory_gib": _memory_gib()}


def machine_words(described: object) -> str:
    """``Intel Xeon … · 2 cores · 7.8 GiB``; "an unrecorded machine" for older reports."""
    if not isinstance(described, dict):
        return "an unrecorded machine"
    words = [str(described.get("cpu") or "unknown CPU")]
    if described.get("cores"):
        words.append(f"{described['cores']} cores")
    if described.get("memory_gib"):
        words.append(f"{described['memory_gib']} GiB")
    return " · ".join(words)


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            name, _, value = line.partition(":")
            if name.strip() in ("model name", "Model", "Hardware") and value.strip():
                return " ".join(value.split())
    except OSError:
        pass
    return platform.processor() or platform.machine() or "unknown CPU"


def _memory_gib() -> float | None:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return round(int(line.split()[1]) / 1024 ** 2, 1)  # the kernel counts kB
    except (OSError, ValueError, IndexError):
        pass
    return None
