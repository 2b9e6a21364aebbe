"""An upstream change to a fact the guide states fails the page that states it, at its check.

Each case commits one change of its kind on top of the pin in a scratch clone and verifies the one page
that states the fact against that clone. Docker and PostgreSQL are left out: the checks read the source.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from upstream_commits import HOOK, check_line, clone_at_pin, commit_change

from guidecheck import canary, repin

# The webhook's success status is the canary's own example (tests/test_canary.py).
CASES = {
    # kind: (page, the check's command, file, old text or None for a new file, new text)
    "variable no longer read by the worker": (
        "source/configuration/index.md", "upstream readers", "workers/lib/db.js",
        "process.env.DATABASE_URL", "process.env.PG_URL"),
    "signature header name": (
        "source/deploy/validation.md", "upstream signature", HOOK, '"x-hub-signature-256"', '"x-hub-signature"'),
    "new migration": (
        "source/database/index.md", "upstream migrations", "supabase/migrations/20250113000010_tags.sql",
        None, "create table if not exists workflow_tags (id bigint primary key);\n"),
    "declared Node.js version": (
        "source/overview/index.md", "upstream requirements", "package.json",
        '"private": true,', '"private": true,\n  "engines": { "node": ">=22" },'),
    "build script": (
        "source/deploy/images.md", "upstream scripts", "apps/web/package.json",
        '"build": "vite build"', '"build": "vite build --mode staging"'),
    "dev server port": (
        "source/prerequisites.md", "upstream server", "apps/web/vite.config.js",
        "plugins: [sveltekit()],", "plugins: [sveltekit()],\n\tserver: { port: 3001 },"),
    "health endpoint added": (
        "source/overview/known-issues.md", "upstream route", "apps/web/src/routes/health/+server.js",
        None, "export function GET() {\n  return new Response('ok', { status: 200 });\n}\n"),
}


def verify_page(page: str, checkout: Path, report: Path) -> tuple[subprocess.CompletedProcess, dict]:
    """Verify one page, as the canary does: in a copy of the guide re-pinned to the checkout's commit
    (re-pinning moves no line), so only what the commit changed can fail."""
    guide = report.parent / "guide"
    if not guide.exists():
        guide.mkdir(parents=True)
        canary.copy_guide(guide)
    repin.repin(guide, *repin.resolve(checkout))
    env = {**os.environ, "GUIDE_MESHHOOK_CHECKOUT": str(checkout), "PYTHONPATH": str(guide)}
    env.pop("GUIDE_STRICT", None)
    done = subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-p", "no:xdist", "-q",
                           "--guide-backends=meshhook", f"--guide-report={report}", page],
                          cwd=guide, env=env, capture_output=True, text=True, timeout=300)
    return done, json.loads(report.read_text())


@pytest.fixture(scope="module")
def pinned(tmp_path_factory) -> Path:
    return clone_at_pin(tmp_path_factory.mktemp("meshhook") / "meshhook")


def test_every_check_passes_at_the_pin(pinned, tmp_path):
    for page in sorted({case[0] for case in CASES.values()}):
        done, report = verify_page(page, pinned, tmp_path / "report.json")
        failed = [b for b in report["blocks"] if b["outcome"] == "failed"]
        hidden = [check_line(page, case[1]) for case in CASES.values() if case[0] == page]
        ran = {b["line"] for b in report["blocks"] if b["outcome"] == "passed"}
        assert set(hidden) <= ran, (page, done.stdout[-3000:])
        # images.md goes on to use what its Docker steps built; without Docker only its checks matter here.
        assert not failed or page == "source/deploy/images.md", done.stdout[-3000:]


@pytest.mark.parametrize("kind", CASES)
def test_an_upstream_change_fails_the_page_that_states_it(kind, pinned, tmp_path):
    page, command, path, old, new = CASES[kind]
    checkout = tmp_path / "meshhook"
    subprocess.run(["git", "clone", "--quiet", str(pinned), str(checkout)], check=True)
    commit_change(checkout, path, old, new, f"test: {kind}")
    line = check_line(page, command)
    done, report = verify_page(page, checkout, tmp_path / "report.json")
    assert done.returncode == 1, done.stdout[-3000:]
    failed = [(b["page"], b["line"]) for b in report["blocks"] if b["outcome"] == "failed"]
    assert failed == [(page, line)], done.stdout[-3000:]
    assert f"{page}:{line}: " in done.stdout
