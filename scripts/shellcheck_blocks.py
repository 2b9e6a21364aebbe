#!/usr/bin/env python3
"""Run ShellCheck over the shell a reader of the guide would copy, and name findings by page:line.

    python scripts/shellcheck_blocks.py                 # every page under source/
    python scripts/shellcheck_blocks.py source/secrets.md source/deploy

What is checked, as the engine reads it (guidecheck.blocks.page_blocks):

* every ``bash``/``sh``/``shell`` block body, as one script, headed by the ``set -euo pipefail`` the
  engine runs it with (``bash -euo pipefail``), so ShellCheck knows that a failing command stops it;
* every ``console`` block's commands: the ``$ `` lines with their ``> `` continuations, prompts removed,
  as one script per block (the expected output is not shell and is left out). The engine fails a block
  whose command exits non-zero, so SC2164 (``cd`` without ``|| exit``) is not reported for a command
  that is a lone ``cd``: its status is checked. A ``cd`` followed by more commands in one step still is.

Skipped and hidden blocks are checked too: readers copy the first, the run executes the second.
Fences the engine refuses are left to the guide's tests, which fail on them with their page:line.

Each finding is printed as ``page:line: SCxxxx level: message`` with ShellCheck's line mapped back to
the page. The exit status is 1 when a finding is at or above ``--fail-on`` (default: warning), 2 when
ShellCheck is missing or cannot be run, else 0. Needs ``shellcheck`` on PATH (Debian: shellcheck).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from guidecheck.blocks import Block, read_blocks  # noqa: E402
from guidecheck.transcript import CONSOLE_CONTINUATION, CONSOLE_PROMPT, parse  # noqa: E402
from guidecheck.pages import SOURCE, location  # noqa: E402
from guidecheck.vocabulary import SHELL_LANGUAGES  # noqa: E402

LEVELS = ["style", "info", "warning", "error"]  # ShellCheck's severities, least severe first
ERREXIT = "set -euo pipefail\n"  # how the engine runs a script block (guidecheck.vocabulary.INTERPRETERS)
# One ``cd`` and nothing else on the command line (no list, pipe, background or second line).
_LONE_CD = re.compile(r"^\s*cd(?:\s+[^;&|\n]*)?$")


@dataclass
class Script:
    """Shell source cut out of a page, and the page line of each of its lines."""

    page: str
    block_line: int
    source: str
    lines: list[int]  # lines[i] is the page line of the script's line i + 1
    # Page lines of console commands that are a lone ``cd``: the engine checks their exit status.
    lone_cd: frozenset[int] = frozenset()


@dataclass
class Finding:
    page: str
    line: int
    code: int
    level: str
    message: str

    def __str__(self) -> str:
        return f"{location(self.page, self.line)}: SC{self.code} {self.level}: {self.message}"


def block_script(block: Block) -> Script | None:
    """The shell of one block, or None when the block holds no shell."""
    if block.language in SHELL_LANGUAGES:
        body = block.body.split("\n")
        # The header line stands for the block's options: its findings point at the opening fence.
        return Script(block.page, block.line, ERREXIT + block.body,
                      [block.line] + [block.body_line + index for index in range(len(body))])
    if block.language != "console":
        return None
    texts: list[str] = []
    lines: list[int] = []
    lone_cd: set[int] = set()
    for step in parse(block.body, block.body_line, CONSOLE_PROMPT, CONSOLE_CONTINUATION):
        if _LONE_CD.match(step.text):
            lone_cd.add(step.line)
        # A step's continuation lines follow its prompt line directly on the page.
        for offset, text in enumerate(step.text.split("\n")):
            texts.append(text)
            lines.append(step.line + offset)
    if not texts:
        return None
    return Script(block.page, block.line, "\n".join(texts) + "\n", lines, frozenset(lone_cd))


def page_scripts(path: Path, name: str) -> list[Script]:
    scripts = []
    for block in read_blocks(path, name):
        if isinstance(block, Block):
            script = block_script(block)
            if script is not None:
                scripts.append(script)
    return scripts


def shellcheck(script: Script, executable: str) -> list[Finding]:
    result = subprocess.run([executable, "--shell=bash", "--format=json1", "-"], input=script.source,
                            capture_output=True, text=True, timeout=120)
    # 0: clean, 1: findings; anything else is ShellCheck failing to run.
    if result.returncode not in (0, 1):
        raise RuntimeError(f"shellcheck failed on the block at {location(script.page, script.block_line)}: "
                           f"{result.stderr.strip()}")
    findings = []
    for comment in json.loads(result.stdout or "{}").get("comments", []):
        index = min(max(comment["line"], 1), len(script.lines)) - 1
        if comment["code"] == 2164 and script.lines[index] in script.lone_cd:
            continue
        findings.append(Finding(script.page, script.lines[index], comment["code"], comment["level"],
                                comment["message"]))
    return findings


def pages(arguments: list[str]) -> list[Path]:
    found: list[Path] = []
    for argument in arguments:
        path = Path(argument)
        if path.is_dir():
            found.extend(sorted(p for p in path.rglob("*.md") if "_build" not in p.parts))
        elif path.is_file():
            found.append(path)
        else:
            raise SystemExit(f"shellcheck_blocks: no such page or directory: {argument}")
    return found


def display_name(path: Path) -> str:
    """The page as the engine names it (relative to the repository), else as given."""
    resolved = path.resolve()
    for base in (ROOT, Path.cwd()):
        try:
            return resolved.relative_to(base).as_posix()
        except ValueError:
            continue
    return os.fspath(path)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("paths", nargs="*", default=[str(ROOT / SOURCE)],
                        help="pages or directories of pages (default: the guide's source/)")
    parser.add_argument("--fail-on", choices=LEVELS, default="warning",
                        help="the least severe finding that fails the run (default: warning)")
    parser.add_argument("--show", choices=LEVELS, default="style",
                        help="the least severe finding to print (default: style, i.e. all)")
    parser.add_argument("--shellcheck", default="shellcheck", help="the shellcheck executable")
    args = parser.parse_args(argv)

    executable = shutil.which(args.shellcheck)
    if executable is None:
        print(f"shellcheck_blocks: {args.shellcheck} not found (Debian: apt-get install shellcheck)",
              file=sys.stderr)
        return 2
    fail_from, show_from = LEVELS.index(args.fail_on), LEVELS.index(args.show)
    scripts = [s for path in pages(args.paths) for s in page_scripts(path, display_name(path))]
    failing = shown = 0
    try:
        for script in scripts:
            for finding in shellcheck(script, executable):
                rank = LEVELS.index(finding.level) if finding.level in LEVELS else len(LEVELS) - 1
                if rank >= show_from:
                    print(finding)
                    shown += 1
                failing += rank >= fail_from
    except RuntimeError as error:
        print(f"shellcheck_blocks: {error}", file=sys.stderr)
        return 2
    print(f"shellcheck_blocks: {len(scripts)} blocks checked, {shown} findings shown, "
          f"{failing} at {args.fail_on} or above", file=sys.stderr)
    return 1 if failing else 0


if __name__ == "__main__":
    sys.exit(main())
