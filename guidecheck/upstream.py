"""What a MeshHook checkout says about the facts the guide states, in the guide's words.

Hidden blocks next to a page's sentence run one of these and expect the facts the sentence states, so
an upstream change to that fact fails the run at that page (the canary shows it before the pin moves)::

    python3 -m guidecheck.upstream route "$MESHHOOK_DIR" /api/hooks/[slug] /health
    python3 -m guidecheck.upstream signature "$MESHHOOK_DIR"
    python3 -m guidecheck.upstream migrations "$MESHHOOK_DIR"
    python3 -m guidecheck.upstream requirements "$MESHHOOK_DIR"
    python3 -m guidecheck.upstream scripts "$MESHHOOK_DIR" apps/web:build .:start
    python3 -m guidecheck.upstream server "$MESHHOOK_DIR"
    python3 -m guidecheck.upstream readers "$MESHHOOK_DIR"     # against source/configuration/variables.yaml

Each reads the source as text (nothing of MeshHook runs) and prints facts, never MeshHook's code.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

ROUTES = Path("apps/web/src/routes")
WEBHOOK = ROUTES / "api/hooks/[slug]"
MIGRATIONS = Path("supabase/migrations")
_METHODS = r"GET|POST|PUT|PATCH|DELETE|OPTIONS|HEAD"
_EXPORT = re.compile(rf"export\s+(?:async\s+function|function|const|let)\s+({_METHODS})\b")
_STATUS = re.compile(r"\bstatus\s*:\s*(\d{3})\b|\b(?:error|redirect)\(\s*(\d{3})\b")


def _server_file(directory: Path) -> Path | None:
    for name in ("+server.js", "+server.ts"):
        if (directory / name).is_file():
            return directory / name
    return None


def route(checkout: Path, path: str) -> str:
    """``PATH: METHOD answers STATUS...`` for an endpoint, ``PATH: page`` or ``PATH: no route``."""
    directory = checkout / ROUTES / path.strip("/")
    server = _server_file(directory)
    if server:
        text = server.read_text(encoding="utf-8")
        methods = " ".join(sorted(set(_EXPORT.findall(text))))
        statuses = sorted({int(a or b) for a, b in _STATUS.findall(text)})
        return f"{path}: {methods or 'no method'} answers {' '.join(map(str, statuses)) or 'nothing explicit'}"
    if directory.is_dir() and any(directory.glob("+page*")):
        return f"{path}: page"
    return f"{path}: no route"


def signature(checkout: Path) -> list[str]:
    """Which headers carry a webhook's signature, and how the signature is written."""
    server = _server_file(checkout / WEBHOOK)
    if server is None:
        return [f"no webhook route at {WEBHOOK}"]
    text = server.read_text(encoding="utf-8")
    headers = re.findall(r"""headers(?:\[\s*|\.get\(\s*)["'](x-[a-z0-9-]+)["']""", text)
    algorithm = re.search(r"""createHmac\(\s*["']([a-z0-9-]+)["']""", text)
    digest = re.search(r"""\.digest\(\s*["']([a-z0-9]+)["']""", text)
    prefix = re.search(r"`([a-z0-9-]+=)\$\{", text)
    body = "body as text" if "request.text()" in text else "raw body" if "arrayBuffer()" in text else "?"
    scheme = (f"{prefix.group(1) if prefix else ''}<{digest.group(1) if digest else '?'} of "
              f"HMAC-{algorithm.group(1).upper() if algorithm else '?'} of the {body}>")
    return [f"headers: {' '.join(dict.fromkeys(headers)) or 'none'}", f"signature: {scheme}"]


_CREATE = re.compile(
    r"create\s+(?:or\s+replace\s+)?(table|view|extension)\s+(?:if\s+not\s+exists\s+)?"
    r"(?:public\.)?\"?(?!if\b)([a-z_][a-z0-9_]*)|pgmq\.create\(\s*'([a-z0-9_]+)'"
    r"|alter\s+table\s+(?:public\.)?([a-z_][a-z0-9_]*)\s+enable\s+row\s+level\s+security",
    re.IGNORECASE)
_KINDS = {"extension": "extensions", "table": "tables", "view": "views", "queue": "queues", "rls": "row-level security"}


def migrations(checkout: Path) -> list[str]:
    """One line per migration file, in the order they apply: what it creates."""
    lines = []
    for path in sorted((checkout / MIGRATIONS).glob("*.sql")):
        text = re.sub(r"--[^\n]*", "", path.read_text(encoding="utf-8"))
        found: dict[str, list[str]] = {}
        for kind, name, queue, secured in _CREATE.findall(text):
            kind, name = ("queue", queue) if queue else ("rls", secured) if secured else (kind.lower(), name)
            names = found.setdefault(kind, [])
            if name.lower() not in names:
                names.append(name.lower())
        parts = [f"{_KINDS[kind]} {', '.join(found[kind])}" for kind in _KINDS if kind in found]
        lines.append(f"{path.name}: {'; '.join(parts) or 'creates nothing'}")
    return lines or [f"no migrations in {MIGRATIONS}"]


def _packages(checkout: Path) -> list[Path]:
    skip = {"node_modules", ".git", "build", ".svelte-kit"}
    return sorted(path for path in checkout.rglob("package.json") if not skip & set(path.parts))


def requirements(checkout: Path) -> list[str]:
    """The Node.js and package-manager versions each package.json declares."""
    lines = []
    for path in _packages(checkout):
        manifest = json.loads(path.read_text(encoding="utf-8"))
        engines = manifest.get("engines") or {}
        declared = [f"{name} {version}" for name, version in sorted(engines.items())]
        if manifest.get("packageManager"):
            declared.append(f"packageManager {manifest['packageManager']}")
        lines.append(f"{path.relative_to(checkout).as_posix()}: {', '.join(declared) or 'declares no versions'}")
    return lines


def scripts(checkout: Path, wanted: list[str]) -> list[str]:
    """``DIR:NAME`` -> the command that ``pnpm run NAME`` runs in DIR."""
    lines = []
    for item in wanted:
        directory, _, name = item.partition(":")
        manifest = checkout / (directory or ".") / "package.json"
        found = json.loads(manifest.read_text(encoding="utf-8")).get("scripts", {}) if manifest.is_file() else {}
        lines.append(f"{item}: {found.get(name, 'no such script')}")
    return lines


def server(checkout: Path) -> list[str]:
    """How the web application is served: its SvelteKit adapter and the dev server's port."""
    web = checkout / "apps/web"
    config = next((p for p in (web / "svelte.config.js", web / "svelte.config.ts") if p.is_file()), None)
    adapter = re.search(r"""from\s+["'](@sveltejs/adapter-[a-z-]+)["']""", config.read_text()) if config else None
    vite = next((p for p in (web / "vite.config.js", web / "vite.config.ts") if p.is_file()), None)
    port = re.search(r"\bport\s*:\s*(\d+)", vite.read_text()) if vite else None
    return [f"adapter: {adapter.group(1) if adapter else 'none'}",
            f"dev server port: {port.group(1) if port else '5173 (Vite default)'}"]


def _reader(relative: str, text: str) -> str:
    """Which of variables.yaml's readers a source file belongs to, by where it lives."""
    name = relative.rsplit("/", 1)[-1]
    if re.search(r"\.(test|spec)\.", name) or "/tests/" in f"/{relative}" or relative.startswith("src/"):
        return "none"  # tests, and the queue library that no process imports
    if relative.startswith("apps/web/"):
        return "build" if re.search(r"['\"]\$env/static/", text) else "web"
    if relative.startswith("packages/shared/"):
        return "web"  # the webhook route imports it; the workers have their own copy
    if relative.startswith("workers/"):
        return "worker"
    return "scripts"


def readers(checkout: Path) -> list[str]:
    """Problems: a process reads a variable the table does not say it reads, or the table says the
    worker, the build or a script reads one that its code does not (web also means the Node adapter,
    and NODE_* are read by Node.js itself, so neither shows in the code)."""
    from .variables import code_reads, load

    known = {name: v for name, v in load().items() if v.section == "meshhook"}
    found: dict[str, set[str]] = {}
    problems = []
    for name, files in sorted(code_reads(checkout).items()):
        for relative in sorted(files):
            reader = _reader(relative, (checkout / relative).read_text(encoding="utf-8", errors="replace"))
            found.setdefault(name, set()).add(reader)
            if name in known and reader != "none" and reader not in known[name].read_by:
                problems.append(f"{relative}: {reader} reads {name}; the table says {', '.join(known[name].read_by)}")
    for name, variable in known.items():
        for reader in ("worker", "build", "scripts"):
            if reader in variable.read_by and reader not in found.get(name, ()) and not name.startswith("NODE_"):
                problems.append(f"{name}: the table says {reader} reads it; no {reader} code does")
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python3 -m guidecheck.upstream", description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    for name, extra in (("route", "paths"), ("signature", None), ("migrations", None), ("requirements", None),
                        ("scripts", "names"), ("server", None), ("readers", None)):
        command = commands.add_parser(name)
        command.add_argument("checkout", type=Path)
        if extra:
            command.add_argument(extra, nargs="+")
    args = parser.parse_args(argv)
    if not (args.checkout / "package.json").is_file():
        print(f"{args.checkout}: not a MeshHook checkout", file=sys.stderr)
        return 2
    if args.command == "route":
        lines = [route(args.checkout, path) for path in args.paths]
    elif args.command == "scripts":
        lines = scripts(args.checkout, args.names)
    elif args.command == "readers":
        problems = readers(args.checkout)
        print("\n".join(problems or ["every variable is read where the table says"]))
        return 1 if problems else 0
    else:
        lines = globals()[args.command](args.checkout)
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
