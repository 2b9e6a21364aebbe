"""Transcripts: commands (or SQL statements) and the output a reader should expect to see.

A console block alternates ``$ command`` lines (``> `` continues a command) with output lines; a psql
block does the same with ``=> `` statements (``-> `` continues). Expected output may use three kinds of
wildcard, all visible to readers and all common in docs-test tools:

* a line that is exactly ``...`` matches any number of lines (zero included);
* ``[..]`` inside a line matches any text within that line;
* a line ending in `` (re)`` is a regular expression the whole line must match.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from collections.abc import Callable
from functools import lru_cache

ANY_LINES = "..."
ANY_TEXT = "[..]"
REGEX_SUFFIX = " (re)"

_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


@dataclass
class Step:
    """One command or statement and the output written under it."""

    text: str  # what to run, continuation prompts removed
    line: int  # 1-based page line of the prompt line
    expected: list[str] = field(default_factory=list)
    # Body line indexes (0-based) of the expected output, for rewriting it in update mode.
    expected_from: int = 0
    expected_to: int = 0


def parse(body: str, body_line: int, prompt: re.Pattern, continuation: re.Pattern) -> list[Step]:
    """Split a transcript into steps; text before the first prompt is a classification error upstream."""
    steps: list[Step] = []
    lines = body.splitlines()
    for index, raw in enumerate(lines):
        start = prompt.match(raw)
        if start:
            steps.append(Step(text=raw[start.end():], line=body_line + index,
                              expected_from=index + 1, expected_to=index + 1))
            continue
        if not steps:
            continue
        step = steps[-1]
        more = continuation.match(raw)
        if more and not step.expected:
            step.text += "\n" + raw[more.end():]
            step.expected_from = step.expected_to = index + 1
            continue
        step.expected.append(raw)
        step.expected_to = index + 1
    for step in steps:
        # Blank lines that only separate one step from the next are not expected output.
        while step.expected and not step.expected[-1].strip():
            step.expected.pop()
            step.expected_to -= 1
    return steps


CONSOLE_PROMPT = re.compile(r"^\$ ?")
CONSOLE_CONTINUATION = re.compile(r"^> ?")
PSQL_PROMPT = re.compile(r"^\w*=[>#] ?")
PSQL_CONTINUATION = re.compile(r"^\w*-[>#] ?")


def terminal_lines(raw: str) -> list[str]:
    """What a terminal would finally show: colours dropped, carriage returns overwrite, no trailing blanks."""
    lines = []
    for line in _ANSI.sub("", raw.replace("\r\n", "\n")).split("\n"):
        lines.append(line.rsplit("\r", 1)[-1].rstrip())
    while lines and not lines[-1]:
        lines.pop()
    return lines


def _line_pattern(expected: str) -> re.Pattern | None:
    """A regex for a wildcard line, None for a literal one."""
    if expected.endswith(REGEX_SUFFIX):
        return re.compile(expected[: -len(REGEX_SUFFIX)])
    if ANY_TEXT in expected:
        return re.compile(".*?".join(re.escape(part) for part in expected.split(ANY_TEXT)))
    return None


@lru_cache(maxsize=4096)
def _compiled(expected: str) -> re.Pattern | None:
    return _line_pattern(expected)


def line_matches(expected: str, actual: str) -> bool:
    pattern = _compiled(expected.rstrip())
    if pattern is None:
        return expected.rstrip() == actual.rstrip()
    return pattern.fullmatch(actual.rstrip()) is not None


def matches(expected: list[str], actual: list[str]) -> bool:
    """Whether the output matches, ``...`` lines matching any run of lines.

    Bottom-up, one row per expected line, so that long outputs (a Terraform apply prints hundreds
    of lines) cannot exhaust Python's recursion limit.
    """
    n, m = len(expected), len(actual)
    below = [j == m for j in range(m + 1)]  # expected[n:] matches actual[j:] only when both are empty
    for i in range(n - 1, -1, -1):
        row = [False] * (m + 1)
        if expected[i].strip() == ANY_LINES:
            for j in range(m, -1, -1):
                row[j] = below[j] or (j < m and row[j + 1])
        else:
            for j in range(m):
                row[j] = below[j + 1] and line_matches(expected[i], actual[j])
        below = row
    return below[0]


def updated(expected: list[str], actual: list[str]) -> list[str]:
    """New expected output: the actual lines, but wildcard lines kept wherever they still match.

    An alignment that keeps as many of the author's lines as possible (a kept line scores 1, an
    author's line replaced in place by the actual one scores 1/2); everything else becomes the
    literal actual lines.
    """
    if matches(expected, actual):
        return list(expected)
    n, m = len(expected), len(actual)
    keep, replace = 1.0, 0.5
    best = [[0.0] * (m + 1) for _ in range(n + 1)]
    for i in range(n - 1, -1, -1):
        for j in range(m, -1, -1):
            # Drop this author line, or insert an actual line (a ``...`` absorbs it instead).
            choices = [best[i + 1][j], best[i][j + 1] if j < m else -1.0]
            if expected[i].strip() == ANY_LINES:
                choices.append(keep + best[i + 1][j])
            elif j < m:
                choices.append(replace + best[i + 1][j + 1])
                if line_matches(expected[i], actual[j]):
                    choices.append(keep + best[i + 1][j + 1])
            best[i][j] = max(choices)
    result: list[str] = []
    i = j = 0
    while i < n or j < m:
        wildcard = i < n and expected[i].strip() == ANY_LINES
        if wildcard and j < m and best[i][j + 1] == best[i][j]:
            j += 1  # absorbed by the ``...``
        elif wildcard and best[i][j] == keep + best[i + 1][j]:
            result.append(expected[i])
            i += 1
        elif (i < n and j < m and not wildcard and line_matches(expected[i], actual[j])
              and best[i][j] == keep + best[i + 1][j + 1]):
            result.append(expected[i])
            i, j = i + 1, j + 1
        elif i < n and j < m and not wildcard and best[i][j] == replace + best[i + 1][j + 1]:
            result.append(actual[j])
            i, j = i + 1, j + 1
        elif i < n and best[i][j] == best[i + 1][j]:
            i += 1  # an author line that no longer matches anything: dropped
        else:
            result.append(actual[j])
            j += 1
    return result


def diff(expected: list[str], actual: list[str], where: str,
         key: Callable[[str], str] = lambda line: line) -> str:
    """A unified diff that aligns lines by ``key`` (layout-blind for psql) but shows them as written."""
    matcher = difflib.SequenceMatcher(None, [key(line) for line in expected], [key(line) for line in actual],
                                      autojunk=False)
    out = [f"--- expected ({where})", "+++ actual"]
    for group in matcher.get_grouped_opcodes(3):
        first, last = group[0], group[-1]
        out.append(f"@@ -{first[1] + 1},{last[2] - first[1]} +{first[3] + 1},{last[4] - first[3]} @@")
        for tag, i1, i2, j1, j2 in group:
            if tag == "equal":
                out += [" " + line for line in expected[i1:i2]]
                continue
            out += ["-" + line for line in expected[i1:i2]]
            out += ["+" + line for line in actual[j1:j2]]
    return "\n".join(out)
