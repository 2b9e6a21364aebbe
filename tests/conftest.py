"""Helpers for the engine's own tests: run the engine over throwaway pages in a subprocess."""

from __future__ import annotations

import json
import os
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


@pytest.fixture
def run_pages(tmp_path: Path):
    """Write pages into a scratch project and verify them with the engine, as a contributor would."""

    def run(pages: dict[str, str], *args: str, backends: bool = False) -> PageRun:
        for name, text in pages.items():
            path = tmp_path / "source" / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(textwrap.dedent(text).lstrip())
        (tmp_path / "conftest.py").write_text((ROOT / "conftest.py").read_text())
        (tmp_path / "pytest.ini").write_text("[pytest]\n")
        command = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", "source", *args]
        if not backends:
            command.append("--guide-no-backends")
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        env.pop("GUIDE_STRICT", None)
        done = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
        report_path = tmp_path / "build" / "verify" / "report.json"
        report = json.loads(report_path.read_text()) if report_path.exists() else None
        return PageRun(done.returncode, done.stdout + done.stderr, report, tmp_path)

    return run
