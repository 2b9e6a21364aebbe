"""File blocks: the exact text a reader saves, written where the reader would save it, then validated.

Each language has a real parser; a block's ``:check:`` adds a validating command (``docker compose
config``, ``caddy validate``…) run in the page's session once the file exists.
"""

from __future__ import annotations

import configparser
import json
import re
import subprocess
import tomllib
from collections.abc import Callable
from pathlib import Path

import yaml

_DOTENV_LINE = re.compile(r"^(?:export\s+)?[A-Za-z_][A-Za-z0-9_]*=(?:'[^']*'|\"(?:[^\"\\]|\\.)*\"|[^'\"\s#]*)"
                          r"(?:\s+#.*)?$")
_DOCKERFILE_INSTRUCTIONS = {
    "FROM", "RUN", "CMD", "LABEL", "EXPOSE", "ENV", "ADD", "COPY", "ENTRYPOINT", "VOLUME", "USER",
    "WORKDIR", "ARG", "ONBUILD", "STOPSIGNAL", "HEALTHCHECK", "SHELL", "MAINTAINER",
}


class InvalidFile(ValueError):
    """The file does not parse; the message names the line within the block when it can."""


def yaml_problem(error: yaml.YAMLError) -> str:
    """A YAML error in one line: where (line of the text) and what, without PyYAML's excerpt."""
    mark = getattr(error, "problem_mark", None)
    problem = getattr(error, "problem", None) or str(error).splitlines()[0]
    return f"line {mark.line + 1}: {problem}" if mark is not None else problem


def _yaml(text: str) -> None:
    try:
        list(yaml.safe_load_all(text))
    except yaml.YAMLError as error:
        raise InvalidFile(yaml_problem(error)) from None


def _json(text: str) -> None:
    try:
        json.loads(text)
    except json.JSONDecodeError as error:
        raise InvalidFile(f"line {error.lineno}: {error.msg}") from None


def _toml(text: str) -> None:
    try:
        tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise InvalidFile(str(error)) from None


def _ini(text: str) -> None:
    try:
        configparser.ConfigParser(interpolation=None).read_string(text)
    except configparser.Error as error:
        raise InvalidFile(str(error)) from None


def _dotenv(text: str) -> None:
    for number, line in enumerate(text.splitlines(), 1):
        stripped = line.strip()
        if stripped and not stripped.startswith("#") and not _DOTENV_LINE.match(stripped):
            raise InvalidFile(f"line {number}: not a NAME=value line: {line!r}")


def _dockerfile(text: str) -> None:
    logical = re.sub(r"\\\n", " ", text)  # join continuation lines
    first = True
    for line in logical.splitlines():
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        word = stripped.split()[0].upper()
        if word not in _DOCKERFILE_INSTRUCTIONS:
            raise InvalidFile(f"unknown Dockerfile instruction {stripped.split()[0]!r}")
        if first and word not in ("FROM", "ARG"):
            raise InvalidFile("a Dockerfile must start with FROM (or ARG)")
        first = False
    if first:
        raise InvalidFile("the Dockerfile is empty")


def _sql(text: str) -> None:
    """PostgreSQL's own parser (libpg_query, through pglast): syntax only, nothing is executed."""
    import pglast  # only when a saved SQL file is checked: classifying pages must not need it

    try:
        pglast.parse_sql(text)
    except pglast.parser.ParseError as error:
        at = re.search(r"at index (\d+)", str(error))
        line = text[: int(at.group(1))].count("\n") + 1 if at else None
        raise InvalidFile(f"line {line}: {error}" if line else str(error)) from None


def _hcl(text: str) -> None:
    """Terraform's configuration syntax, read by python-hcl2 (installed with checkov)."""
    import hcl2  # only when a Terraform file is checked

    try:
        hcl2.loads(text)
    except Exception as error:  # lark's parse errors share no public base class
        raise InvalidFile(str(error).splitlines()[0]) from None


def _python(text: str) -> None:
    try:
        compile(text, "<file block>", "exec")
    except SyntaxError as error:
        raise InvalidFile(f"line {error.lineno}: {error.msg}") from None


def _by_command(*argv: str) -> Callable[[str], None]:
    """A syntax check by the interpreter that will run the file, reading it from standard input."""
    def check(text: str) -> None:
        done = subprocess.run(argv, input=text, capture_output=True, text=True, timeout=60)
        if done.returncode != 0:
            raise InvalidFile((done.stderr or done.stdout).strip())
    return check


# language -> (name of the check in the report, parser)
PARSERS: dict[str, tuple[str, Callable[[str], None]]] = {
    "sql": ("PostgreSQL parser (pglast)", _sql),
    "bash": ("bash -n", _by_command("bash", "-n")),
    "sh": ("bash -n", _by_command("bash", "-n")),
    "shell": ("bash -n", _by_command("bash", "-n")),
    "python": ("python compile", _python),
    "javascript": ("node --check", _by_command("node", "--check", "-")),
    "js": ("node --check", _by_command("node", "--check", "-")),
    "yaml": ("yaml parser", _yaml),
    "json": ("json parser", _json),
    "toml": ("toml parser", _toml),
    "ini": ("ini parser", _ini),
    "dotenv": ("dotenv parser", _dotenv),
    "dockerfile": ("dockerfile parser", _dockerfile),
    "hcl": ("HCL parser", _hcl),
}


def checks_for(language: str, check_command: str | None) -> list[str]:
    """The names of the validators a file block goes through, for the report."""
    names = [PARSERS[language][0]] if language in PARSERS else []
    if check_command:
        names.append(check_command)
    return names


def write(directory: Path, relative: str, text: str, mode: int | None) -> Path:
    """Write the block's text where the reader would save it."""
    path = directory / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    if mode is not None:
        path.chmod(mode)
    return path


def parse(language: str, text: str) -> None:
    if language in PARSERS:
        PARSERS[language][1](text)
