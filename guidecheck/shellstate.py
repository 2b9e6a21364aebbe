"""A page's terminal state between blocks — its exported variables and working directory — as a file of
``declare -x`` lines that bash writes (``declare -px``) and sources, and that Python reads and writes too.

Bash prints a value double-quoted, or ANSI-C quoted (``$'…'``) when it holds control characters.
"""

from __future__ import annotations

import re

# What a session's shell runs on exit to save its state ({state}: the quoted path of the state file),
# keeping the exit status of what it ran.
SAVE = "__gc_rc=$?; set +euo pipefail; declare -px > {state}; exit $__gc_rc"
# Variables bash manages itself (some read-only): never part of what the engine reports or sets.
SHELL_OWNED = {"SHLVL", "_", "OLDPWD", "PWD", "SHELLOPTS", "BASHOPTS"}
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_DECLARATION = re.compile(
    rb'^declare -[-a-zA-Z]* ([A-Za-z_][A-Za-z0-9_]*)(?:=(?:"((?:[^"\\]|\\.)*)"|\$\'((?:[^\'\\]|\\.)*)\'))?$',
    re.MULTILINE | re.DOTALL)
_DOUBLE_QUOTED_ESCAPE = re.compile(rb'\\([\\"$`])')
_UNQUOTED_SPECIAL = re.compile(r'[\\"$`]')  # what a double-quoted value escapes
_ANSI_C_ESCAPE = re.compile(rb"\\(?:([0-7]{1,3})|x([0-9a-fA-F]{1,2})|c(.)|(.))", re.DOTALL)
_ANSI_C_LETTERS = {b"a": b"\a", b"b": b"\b", b"e": b"\x1b", b"E": b"\x1b", b"f": b"\f", b"n": b"\n",
                   b"r": b"\r", b"t": b"\t", b"v": b"\v"}


def _ansi_c(match: re.Match) -> bytes:
    octal, hexa, control, other = match.groups()
    if octal:
        return bytes([int(octal, 8) & 0xFF])
    if hexa:
        return bytes([int(hexa, 16)])
    if control:
        return bytes([control[0] & 0x1F])
    return _ANSI_C_LETTERS.get(other, other)


def _text(raw: bytes) -> str:
    return raw.decode("utf-8", errors="surrogateescape")


def parse(declarations: bytes) -> dict[str, str]:
    """Every exported variable that has a value, from ``declare -px`` output."""
    variables = {}
    for match in _DECLARATION.finditer(declarations):
        name, double_quoted, ansi_c = match.groups()
        if double_quoted is not None:
            variables[_text(name)] = _text(_DOUBLE_QUOTED_ESCAPE.sub(rb"\1", double_quoted))
        elif ansi_c is not None:
            variables[_text(name)] = _text(_ANSI_C_ESCAPE.sub(_ansi_c, ansi_c))
    return variables


def _escape(value: str) -> str:
    return _UNQUOTED_SPECIAL.sub(r"\\\g<0>", value)


def render(env: dict[str, str], cwd: str) -> bytes:
    """The state file for a page's first block, written as bash writes one: its environment and cwd."""
    variables = {name: value for name, value in env.items() if _NAME.fullmatch(name) and name not in SHELL_OWNED}
    variables["PWD"] = cwd
    text = "".join(f'declare -x {name}="{_escape(value)}"\n' for name, value in sorted(variables.items()))
    return text.encode("utf-8", errors="surrogateescape")
