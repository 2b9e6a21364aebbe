"""psql's output layout, which is not content: column padding, rule widths, and (when asked) row order."""

from __future__ import annotations

import re


def normalise(line: str) -> str:
    """Column padding and separator widths are layout, not content."""
    line = line.strip()
    if line and set(line) <= set("-+ "):  # the rule under a result's header
        return re.sub(r"-+", "-", line.replace(" ", ""))
    return re.sub(r"\s*\|\s*", " | ", re.sub(r" {2,}", " ", line))


def sorted_rows(lines: list[str]) -> list[str]:
    """Sort the data rows between a result's header separator and its ``(N rows)`` footer."""
    out, rows, in_rows = [], [], False
    for line in lines:
        if in_rows and re.fullmatch(r"\(\d+ rows?\)", line.strip()):
            out.extend(sorted(rows))
            rows, in_rows = [], False
        if in_rows:
            rows.append(line)
            continue
        out.append(line)
        if set(line.strip()) <= {"-", "+"} and line.strip():
            in_rows = True
    return out + sorted(rows)
