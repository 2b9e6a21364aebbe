"""The guide's environment variables: one data file, two checks.

``source/configuration/variables.yaml`` lists every variable a MeshHook deployment may set (section
``meshhook``: read by MeshHook, its web server or its build; section ``deployment``: introduced by this
guide for its own containers). This module

* checks the .env templates, compose files and Caddyfiles of the guide for variables missing from it
  (``check``), and
* checks a MeshHook checkout for variables its code reads that are missing from it (``drift``).

Both print one line per problem, naming the variable and the file, and exit 1 when there is any::

    python3 -m guidecheck.variables check .env compose.yaml
    python3 -m guidecheck.variables drift "$MESHHOOK_DIR"
"""

from __future__ import annotations

import argparse
import re
import sys
from dataclasses import dataclass
from pathlib import Path

import yaml

from .pages import SOURCE

DATA = Path(__file__).resolve().parents[1] / SOURCE / "configuration" / "variables.yaml"

READERS = ("web", "worker", "build", "scripts", "none")
PHASES = ("build", "runtime")
FIELDS = ("name", "read_by", "phase", "required", "default", "secret", "purpose")
DEPLOYMENT_FIELDS = ("name", "used_by", "required", "default", "secret", "purpose")
_NAME = re.compile(r"^[A-Z][A-Z0-9_]*$")


class DataError(ValueError):
    """variables.yaml itself is malformed."""


@dataclass(frozen=True)
class Variable:
    name: str
    section: str  # meshhook | deployment
    read_by: tuple[str, ...]
    phase: str | None
    required: bool
    default: str | None
    secret: bool
    purpose: str


def load(path: Path = DATA) -> dict[str, Variable]:
    """Read and validate the data file; every entry must have every field, names once."""
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    if set(data) - {"meshhook", "deployment"}:
        raise DataError(f"{path}: unknown sections {sorted(set(data) - {'meshhook', 'deployment'})}")
    found: dict[str, Variable] = {}
    for section, fields in (("meshhook", FIELDS), ("deployment", DEPLOYMENT_FIELDS)):
        for index, entry in enumerate(data.get(section) or []):
            where = f"{path}: {section}[{index}]"
            if not isinstance(entry, dict) or set(entry) != set(fields):
                raise DataError(f"{where}: needs exactly the fields {', '.join(fields)}")
            name = entry["name"]
            if not isinstance(name, str) or not _NAME.match(name):
                raise DataError(f"{where}: bad name {name!r}")
            if name in found:
                raise DataError(f"{where}: {name} is listed twice")
            readers = tuple(entry["read_by"] if section == "meshhook" else entry["used_by"])
            if section == "meshhook":
                if not readers or set(readers) - set(READERS):
                    raise DataError(f"{where}: read_by must be a list of {', '.join(READERS)}")
                if entry["phase"] not in PHASES:
                    raise DataError(f"{where}: phase must be one of {', '.join(PHASES)}")
            for flag in ("required", "secret"):
                if not isinstance(entry[flag], bool):
                    raise DataError(f"{where}: {flag} must be true or false")
            if not str(entry["purpose"] or "").strip():
                raise DataError(f"{where}: purpose must say what {name} is for")
            found[name] = Variable(
                name=name, section=section, read_by=readers, phase=entry.get("phase"),
                required=entry["required"],
                default=None if entry["default"] is None else str(entry["default"]),
                secret=entry["secret"], purpose=" ".join(str(entry["purpose"]).split()))
    return found


# --- what a file uses -----------------------------------------------------------------------------

_DOTENV_LINE = re.compile(r"^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=")
# ${NAME}, ${NAME:-x}, ${NAME?err}, $NAME; $$ is a literal dollar in compose files.
_INTERPOLATION = re.compile(r"(?<!\$)(?:\$\$)*\$(?:\{([A-Za-z_][A-Za-z0-9_]*)[^}]*\}|([A-Za-z_][A-Za-z0-9_]*))")
# Caddy's environment placeholders: {$NAME} and {$NAME:default}; {env.NAME} at run time.
_CADDY = re.compile(r"\{\$([A-Za-z_][A-Za-z0-9_]*)(?::[^}]*)?\}|\{env\.([A-Za-z_][A-Za-z0-9_]*)\}")


def _dotenv_names(text: str) -> list[tuple[str, int]]:
    names = []
    for number, line in enumerate(text.splitlines(), 1):
        if line.lstrip().startswith("#"):
            continue
        match = _DOTENV_LINE.match(line)
        if match:
            names.append((match.group(1), number))
    return names


def _line_of(text: str, offset: int) -> int:
    return text.count("\n", 0, offset) + 1


def _interpolated(text: str) -> list[tuple[str, int]]:
    names = []
    for line_number, line in enumerate(text.splitlines(), 1):
        if line.lstrip().startswith("#"):
            continue
        for match in _INTERPOLATION.finditer(line):
            names.append((match.group(1) or match.group(2), line_number))
    return names


def _compose_names(text: str) -> list[tuple[str, int]]:
    """Interpolated variables plus the keys of every service's ``environment``."""
    names = _interpolated(text)
    document = yaml.safe_load(text) or {}
    for service in (document.get("services") or {}).values():
        environment = (service or {}).get("environment") or {}
        keys = environment if isinstance(environment, dict) else [str(item).split("=", 1)[0]
                                                                   for item in environment]
        for key in keys:
            match = re.search(rf"^\s*-?\s*{re.escape(str(key))}\s*[:=]", text, re.MULTILINE)
            names.append((str(key), _line_of(text, match.start()) if match else 0))
    return names


def _caddy_names(text: str) -> list[tuple[str, int]]:
    return [(match.group(1) or match.group(2), _line_of(text, match.start()))
            for match in _CADDY.finditer(text)]


def used_names(path: Path) -> list[tuple[str, int]]:
    """(variable, line) pairs a deployment file uses, by the kind of file its name says it is."""
    text = path.read_text(encoding="utf-8")
    name = path.name.lower()
    if name == ".env" or name.startswith(".env.") or name.endswith(".env"):
        return _dotenv_names(text)
    if name.endswith((".yaml", ".yml")):
        return _compose_names(text)
    if name == "caddyfile" or name.endswith(".caddyfile"):
        return _caddy_names(text)
    raise SystemExit(f"{path}: not a .env, compose or Caddyfile file")


def check(paths: list[Path], known: dict[str, Variable]) -> list[str]:
    problems = []
    for path in paths:
        for name, line in used_names(path):
            if name not in known:
                problems.append(f"{path}:{line}: {name} is not a documented variable")
    return problems


# --- what MeshHook's code reads -------------------------------------------------------------------

_SOURCE_SUFFIXES = {".js", ".mjs", ".cjs", ".ts", ".svelte"}
_SKIP_DIRS = {"node_modules", ".svelte-kit", "build", "dist", ".git", "coverage"}
_PROCESS_ENV = re.compile(r"process\.env(?:\.([A-Za-z_][A-Za-z0-9_]*)|\[\s*['\"]([A-Za-z_][A-Za-z0-9_]*)['\"]\s*\])")
_IMPORT_ENV = re.compile(r"import\s*\{([^}]*)\}\s*from\s*['\"]\$env/(?:static|dynamic)/(?:public|private)['\"]")
_DYNAMIC_ENV = re.compile(r"\benv\.([A-Z][A-Z0-9_]*)")
_META_ENV = re.compile(r"import\.meta\.env\.([A-Z][A-Z0-9_]*)")
_VITE_BUILTINS = {"MODE", "DEV", "PROD", "SSR", "BASE_URL"}


def code_reads(checkout: Path) -> dict[str, set[str]]:
    """Variable -> files (relative) in which MeshHook's code reads it."""
    reads: dict[str, set[str]] = {}
    stack = [checkout]
    while stack:
        for entry in sorted(stack.pop().iterdir()):
            if entry.is_dir():
                if entry.name not in _SKIP_DIRS:
                    stack.append(entry)
                continue
            if entry.suffix not in _SOURCE_SUFFIXES:
                continue
            text = entry.read_text(encoding="utf-8", errors="replace")
            names = {m.group(1) or m.group(2) for m in _PROCESS_ENV.finditer(text)}
            for imported in _IMPORT_ENV.finditer(text):
                names |= {part.split(" as ")[0].strip() for part in imported.group(1).split(",")}
            if re.search(r"['\"]\$env/dynamic/(?:public|private)['\"]", text):
                names |= set(_DYNAMIC_ENV.findall(text))
            names |= set(_META_ENV.findall(text)) - _VITE_BUILTINS
            for name in filter(None, names):
                reads.setdefault(name, set()).add(str(entry.relative_to(checkout)))
    return reads


def drift(checkout: Path, known: dict[str, Variable]) -> list[str]:
    documented = {name for name, variable in known.items() if variable.section == "meshhook"}
    problems = []
    for name, files in sorted(code_reads(checkout).items()):
        if name not in documented:
            for file in sorted(files):
                problems.append(f"{file}: reads {name}, which variables.yaml does not document")
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python3 -m guidecheck.variables", description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=DATA, help="the variables file (default: the guide's)")
    commands = parser.add_subparsers(dest="command", required=True)
    check_parser = commands.add_parser("check", help="files use only documented variables")
    check_parser.add_argument("files", nargs="+", type=Path)
    drift_parser = commands.add_parser("drift", help="MeshHook's code reads only documented variables")
    drift_parser.add_argument("checkout", type=Path)
    commands.add_parser("list", help="print the documented variables")
    args = parser.parse_args(argv)
    try:
        known = load(args.data)
    except (DataError, OSError, yaml.YAMLError) as error:
        print(f"variables: {error}", file=sys.stderr)
        return 2
    if args.command == "list":
        for variable in known.values():
            print(variable.name)
        return 0
    problems = check(args.files, known) if args.command == "check" else drift(args.checkout, known)
    for problem in problems:
        print(problem, file=sys.stderr)
    if problems:
        return 1
    what = f"{len(args.files)} file(s)" if args.command == "check" else "MeshHook's code"
    print(f"{what}: every variable is documented")
    return 0


if __name__ == "__main__":
    sys.exit(main())
