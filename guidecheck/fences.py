"""Find every fenced block in a MyST page.

Unlike a regular expression over the whole info string, this lexer sees *every* fence (backticks or
tildes, any info string, nested inside admonitions and tabs), so that the classifier can refuse the
ones it does not understand instead of letting them pass untested.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .vocabulary import CONTAINER_DIRECTIVES

_OPENING = re.compile(r"^(?P<indent>[ \t]*)(?P<marker>`{3,}|~{3,})(?P<info>.*)$")
_DIRECTIVE = re.compile(r"^\{(?P<name>[\w:-]+)\}(?P<argument>.*)$")
_OPTION = re.compile(r"^:(?P<name>[\w-]+):(?:\s+(?P<value>.*?))?\s*$")


@dataclass
class Fence:
    """One fenced block as written: where it is, what its info string says, its options and body."""

    line: int  # 1-based line of the opening fence
    start: int  # character offset of the opening fence
    end: int  # character offset just past the closing fence
    indent: str
    marker: str
    info: str  # the whole info string, stripped
    directive: str | None  # ``code-block`` for ```{code-block} bash, else None
    argument: str  # what follows the directive name (or the plain fence's info string)
    options: dict[str, str | None] = field(default_factory=dict)
    option_lines: dict[str, int] = field(default_factory=dict)
    body: str = ""
    body_line: int = 0  # 1-based line of the body's first line
    closed: bool = True
    malformed: str | None = None  # why the options could not be read, if so


def _is_closing(line: str, marker: str) -> bool:
    stripped = line.strip()
    return bool(stripped) and set(stripped) == {marker[0]} and len(stripped) >= len(marker)


def _dedent(line: str, indent: str) -> str:
    return line[len(indent):] if line.startswith(indent) else line.lstrip(" \t")


def _read_options(fence: Fence, lines: list[str]) -> list[str]:
    """Take the leading ``:name: value`` lines of a directive; return the remaining body lines."""
    index = 0
    if lines and lines[0].strip() == "---":
        fence.malformed = "YAML option blocks are not supported; write options as :name: value lines"
        return lines
    while index < len(lines):
        match = _OPTION.match(lines[index].strip())
        if not match or not lines[index].strip():
            break
        name = match.group("name")
        if name in fence.options:
            fence.malformed = f"option :{name}: is given twice"
        fence.options[name] = match.group("value")
        fence.option_lines[name] = fence.line + 1 + index
        index += 1
    fence.body_line = fence.line + 1 + index
    if index < len(lines) and not lines[index].strip() and index:
        # MyST allows one blank line between the options and the body.
        index += 1
        fence.body_line += 1
    return lines[index:]


def _skip_front_matter(lines: list[str]) -> int:
    if lines and lines[0].rstrip() == "---":
        for index in range(1, len(lines)):
            if lines[index].rstrip() in ("---", "..."):
                return index + 1
    return 0


def find_fences(text: str) -> list[Fence]:
    """All fences of a page in document order, containers included (their bodies are searched too)."""
    lines = text.splitlines(keepends=True)
    offsets = [0]
    for line in lines:
        offsets.append(offsets[-1] + len(line))
    fences: list[Fence] = []
    _scan(lines, offsets, _skip_front_matter(lines), len(lines), fences)
    return fences


def _scan(lines: list[str], offsets: list[int], first: int, last: int, out: list[Fence]) -> None:
    index = first
    while index < last:
        match = _OPENING.match(lines[index].rstrip("\r\n"))
        if not match or (match.group("marker")[0] == "`" and "`" in match.group("info")):
            index += 1
            continue
        indent, marker = match.group("indent"), match.group("marker")
        info = match.group("info").strip()
        close = index + 1
        while close < last and not _is_closing(lines[close], marker):
            close += 1
        directive = _DIRECTIVE.match(info)
        fence = Fence(
            line=index + 1,
            start=offsets[index],
            end=offsets[min(close + 1, last)],
            indent=indent,
            marker=marker,
            info=info,
            directive=directive.group("name") if directive else None,
            argument=(directive.group("argument") if directive else info).strip(),
            closed=close < last,
            body_line=index + 2,
        )
        raw_body = [_dedent(line.rstrip("\r\n"), indent) for line in lines[index + 1:close]]
        if fence.directive:
            raw_body = _read_options(fence, raw_body)
        fence.body = "".join(line + "\n" for line in raw_body)
        out.append(fence)
        if fence.directive in CONTAINER_DIRECTIVES:
            _scan(lines, offsets, fence.body_line - 1, close, out)
        index = close + 1
