"""make canary on a local MeshHook clone with commits of the test's own on top of the pin.

A commit that changes the webhook's success status (202 -> 200) makes the canary fail at the page that
promises 202; a commit that changes nothing the guide states (a README line) passes. Only the pages that
show it run: the one that states the status, and the overview, whose `git rev-parse HEAD` transcript
passes only because the scratch copy was re-pinned to the new commit.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from upstream_commits import HOOK, ROOT, check_line, clone_at_pin, commit_change, git

from guidecheck import pin

PAGES = ["source/deploy/validation.md", "source/overview/index.md"]


@pytest.fixture(scope="module")
def upstream(tmp_path_factory) -> dict[str, str]:
    """A MeshHook 'upstream': the pin, then a README edit, then the status change (its newest commit)."""
    checkout = clone_at_pin(tmp_path_factory.mktemp("upstream") / "meshhook")
    readme = commit_change(checkout, "README.md", None, (checkout / "README.md").read_text() + "\nA line.\n",
                           "README: one more line")
    status = commit_change(checkout, HOOK, "status: 202", "status: 200", "webhook: answer 200")
    return {"source": str(checkout), "readme": readme, "status": status}


def canary(upstream: dict, output: Path, ref: str | None) -> subprocess.CompletedProcess:
    env = {**os.environ, "GUIDE_WORKERS": "0"}
    env.pop("CANARY_REF", None)
    if ref:
        env["CANARY_REF"] = ref
    return subprocess.run([sys.executable, "-m", "guidecheck.canary", "--source", upstream["source"],
                           "--output", str(output), *PAGES, "--guide-backends=meshhook"],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)


def _repository_state() -> str:
    """Every file of the working tree that git sees, with its content (ignored output such as build/ aside)."""
    untracked = git(ROOT, "ls-files", "--others", "--exclude-standard").split()
    return "\n".join([git(ROOT, "rev-parse", "HEAD"), git(ROOT, "diff", "HEAD", "--binary"),
                      *(f"{name} {git(ROOT, 'hash-object', name)}" for name in untracked)])


def test_a_changed_success_status_breaks_the_page_that_promises_it(upstream, tmp_path):
    before = _repository_state()
    done = canary(upstream, tmp_path, ref=None)  # the source's newest commit
    assert done.returncode == 1, done.stdout[-3000:] + done.stderr
    line = check_line("source/deploy/validation.md", "upstream route")
    summary = (tmp_path / "summary.md").read_text()
    assert f"MeshHook {upstream['status'][:7]} (" in summary and f"2 commit(s) after the pin {pin.SHORT}" in summary
    assert "1 block(s) would break:" in summary
    assert f"- source/deploy/validation.md:{line}: output of the command at line {line + 4} differs" in summary
    assert "- expected: /api/hooks/[slug]: POST answers 202 401 404" in summary
    assert "- got:      /api/hooks/[slug]: POST answers 200 401 404" in summary
    assert summary in done.stdout  # the same list ends the run's output
    report = json.loads((tmp_path / "report.json").read_text())
    assert report["environment"]["meshhook"] == upstream["status"] and report["environment"]["strict"]
    assert _repository_state() == before, "the canary changed the repository"


def test_a_commit_that_changes_nothing_the_guide_states_passes(upstream, tmp_path):
    before = _repository_state()
    done = canary(upstream, tmp_path, ref=upstream["readme"][:10])
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr
    summary = (tmp_path / "summary.md").read_text()
    assert f"MeshHook {upstream['readme'][:7]} (" in summary and "1 commit(s) after the pin" in summary
    assert "No block would break" in summary
    report = json.loads((tmp_path / "report.json").read_text())
    overview_checks = [b for b in report["blocks"] if b["page"] == "source/overview/index.md"
                       and b["tier"] == "meshhook"]
    assert overview_checks and all(b["outcome"] == "passed" for b in overview_checks)
    assert _repository_state() == before


def test_an_unknown_ref_is_a_clear_error(upstream, tmp_path):
    done = canary(upstream, tmp_path, ref="no-such-branch")
    assert done.returncode != 0
    assert "has no commit or branch no-such-branch" in done.stderr


def test_the_images_a_canary_built_are_untagged_and_the_pins_are_kept():
    from guidecheck import canary

    if subprocess.run(["docker", "image", "inspect", "debian:trixie-slim"], capture_output=True).returncode:
        pytest.skip("needs a Docker engine with the guide's base image")
    short = "c4a1a2b"
    subprocess.run(["docker", "tag", "debian:trixie-slim", f"guide-canary-test/web:{short}"], check=True)
    assert canary.remove_images(short) == [f"guide-canary-test/web:{short}"]
    assert subprocess.run(["docker", "image", "inspect", f"guide-canary-test/web:{short}"],
                          capture_output=True).returncode != 0
    assert canary.remove_images(pin.SHORT) == []  # the pin's images are a cache, kept as after any run
