"""Helpers for the engine's own tests: run the engine over throwaway pages in a subprocess."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@dataclass
class PageRun:
    status: int
    output: str
    report: dict | None
    root: Path

    def outcome(self, page: str, line: int) -> dict:
        for block in (self.report or {}).get("blocks", []):
            if block["page"] == page and block["line"] == line:
                return block
        raise AssertionError(f"{page}:{line} is not in the report:\n{self.output}")


@dataclass
class ScratchProject:
    """A throwaway project with the guide's conftest: pages under source/, verified in a subprocess."""

    root: Path

    def write(self, pages: dict[str, str | bytes], conftest_extra: str = "") -> None:
        for name, text in pages.items():
            path = self.root / "source" / name
            path.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(text, bytes):  # exactly these bytes: a page that is not valid UTF-8, say
                path.write_bytes(text)
            else:
                path.write_text(textwrap.dedent(text).lstrip())
        conftest = (ROOT / "conftest.py").read_text() + textwrap.dedent(conftest_extra)
        (self.root / "conftest.py").write_text(conftest)
        (self.root / "pytest.ini").write_text("[pytest]\n")

    def command(self, *args: str) -> list[str]:
        return [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", "source", *args]

    @property
    def env(self) -> dict[str, str]:
        """The engine importable from this checkout; strictness only when a test asks for it."""
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        env.pop("GUIDE_STRICT", None)
        return env


@pytest.fixture
def scratch_project(tmp_path: Path) -> ScratchProject:
    return ScratchProject(tmp_path)


@pytest.fixture
def run_pages(scratch_project: ScratchProject):
    """Write pages into a scratch project and verify them with the engine, as a contributor would."""

    def run(pages: dict[str, str | bytes], *args: str, backends: bool = False,
            conftest_extra: str = "") -> PageRun:
        scratch_project.write(pages, conftest_extra)
        command = scratch_project.command(*args, *([] if backends else ["--guide-no-backends"]))
        done = subprocess.run(command, cwd=scratch_project.root, env=scratch_project.env,
                              capture_output=True, text=True, timeout=300)
        report_path = scratch_project.root / "build" / "verify" / "report.json"
        report = json.loads(report_path.read_text()) if report_path.exists() else None
        return PageRun(done.returncode, done.stdout + done.stderr, report, scratch_project.root)

    return run


@pytest.fixture
def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]
