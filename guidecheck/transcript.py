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

# Beyond this many differing lines on each side, aligning them costs more than it shows a reader.
_ALIGN_LIMIT = 2000
# A long diff keeps its head and its tail: where the output first differs, and where a failing command
# says why (its last lines).
_DIFF_HEAD_SHOWN = 100
_DIFF_TAIL_SHOWN = 100

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


# The prompts as pages write them (and messages show them), and as the parser recognises them.
CONSOLE_PROMPT_TEXT, PSQL_PROMPT_TEXT = "$ ", "=> "
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
    expected, actual = expected.rstrip(), actual.rstrip()
    if ANY_TEXT not in expected and not expected.endswith(REGEX_SUFFIX):
        return expected == actual  # literal: no pattern to compile or cache
    return _compiled(expected).fullmatch(actual) is not None


def matches(expected: list[str], actual: list[str]) -> bool:
    """Whether the output matches, ``...`` lines matching any run of lines.

    Iterative: it keeps the output positions the expected lines so far can reach, so a 100,000-line
    output costs a fraction of a second and there is no recursion to overflow.
    """
    # The positions in the output that the expected lines so far can have consumed, ascending.
    reach: list[int] | range = [0]
    for line in expected:
        if line.strip() == ANY_LINES:
            reach = range(reach[0], len(actual) + 1)  # a ``...`` may absorb any run of lines
        else:
            reach = [j + 1 for j in reach if j < len(actual) and line_matches(line, actual[j])]
        if not reach:
            return False
    return reach[-1] == len(actual)


def updated(expected: list[str], actual: list[str]) -> list[str]:
    """New expected output: the actual lines, but wildcard lines kept wherever they still match.

    An alignment that keeps as many of the author's lines as possible (a kept line scores 1, an
    author's line replaced in place by the actual one scores 1/2); everything else becomes the
    literal actual lines.
    """
    if matches(expected, actual):
        return list(expected)
    n, m = len(expected), len(actual)
    if (n + 1) * (m + 1) > _ALIGN_LIMIT ** 2:
        return list(actual)  # too long to align in memory: the literal output is still correct
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


class _Aligned(difflib.SequenceMatcher):
    """A matcher whose opcodes were computed elsewhere, for difflib's grouping into hunks."""

    def __init__(self, opcodes: list[tuple[str, int, int, int, int]]) -> None:
        super().__init__(None, [], [])
        self._fixed = opcodes

    def get_opcodes(self):
        return self._fixed


def _opcodes(a: list[str], b: list[str]) -> list[tuple[str, int, int, int, int]]:
    """difflib's opcodes, with common head and tail trimmed first and a bounded middle."""
    head = 0
    while head < min(len(a), len(b)) and a[head] == b[head]:
        head += 1
    tail = 0
    while tail < min(len(a), len(b)) - head and a[-1 - tail] == b[-1 - tail]:
        tail += 1
    a_end, b_end = len(a) - tail, len(b) - tail
    if min(a_end, b_end) - head > _ALIGN_LIMIT:
        middle = [("replace", head, a_end, head, b_end)]
    else:
        middle = [(tag, i1 + head, i2 + head, j1 + head, j2 + head) for tag, i1, i2, j1, j2 in
                  difflib.SequenceMatcher(None, a[head:a_end], b[head:b_end], autojunk=False).get_opcodes()]
    codes = [("equal", 0, head, 0, head)] if head else []
    codes += [code for code in middle if code[1] != code[2] or code[3] != code[4]]
    if tail:
        codes.append(("equal", a_end, len(a), b_end, len(b)))
    return codes or [("equal", 0, 0, 0, 0)]


def diff(expected: list[str], actual: list[str], where: str,
         key: Callable[[str], str] = lambda line: line) -> str:
    """A unified diff that aligns lines by ``key`` (layout-blind for psql) but shows them as written.

    Linear in the common head and tail, and bounded in what it prints, however long the output.
    """
    matcher = _Aligned(_opcodes([key(line) for line in expected], [key(line) for line in actual]))
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
    if len(out) > 2 + _DIFF_HEAD_SHOWN + _DIFF_TAIL_SHOWN:
        hidden = len(out) - 2 - _DIFF_HEAD_SHOWN - _DIFF_TAIL_SHOWN
        out = out[:2 + _DIFF_HEAD_SHOWN] + [f"… {hidden} lines of diff not shown …"] + out[-_DIFF_TAIL_SHOWN:]
    return "\n".join(out)
