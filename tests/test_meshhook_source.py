"""MeshHook obtained by the run: cloned once per commit into a cache, safely when two runs do it at
once; and, in a strict run, a failure with a clear message when it cannot be had."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from guidecheck.backends import meshhook_source
from guidecheck.backends.meshhook_source import SourceError, obtain

ROOT = Path(__file__).resolve().parent.parent


def git(*args: str, cwd: Path) -> str:
    return subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@example.invalid", *args], cwd=cwd,
                          check=True, capture_output=True, text=True).stdout.strip()


@pytest.fixture
def upstream(tmp_path: Path) -> Path:
    """A stand-in for MeshHook's repository: two commits, the first being "the pin"."""
    repo = tmp_path / "upstream"
    repo.mkdir()
    git("init", "--quiet", "--initial-branch=main", cwd=repo)
    (repo / "package.json").write_text('{"name": "meshhook"}\n')
    git("add", ".", cwd=repo)
    git("commit", "--quiet", "-m", "pin", cwd=repo)
    (repo / "NEXT").write_text("a later commit\n")
    git("add", ".", cwd=repo)
    git("commit", "--quiet", "-m", "next", cwd=repo)
    return repo


def commits(repo: Path) -> list[str]:
    return git("rev-list", "--reverse", "HEAD", cwd=repo).split()


def test_clones_the_commit_once_and_reuses_the_cache(upstream, tmp_path):
    pin, _ = commits(upstream)
    said: list[str] = []
    checkout, commit = obtain(str(upstream), pin, tmp_path / "cache", said.append)
    assert (commit, checkout) == (pin, tmp_path / "cache" / pin)
    assert not (checkout / "NEXT").exists() and (checkout / "package.json").is_file()
    assert any("cloning" in line for line in said)

    (checkout / "package.json").write_text("changed by a page\n")
    (checkout / "node_modules").mkdir()
    said.clear()
    again, _ = obtain(str(upstream / "does-not-exist"), pin, tmp_path / "cache", said.append)
    assert again == checkout  # a full commit in the cache needs no source at all
    assert not any("cloning" in line for line in said)
    assert (checkout / "package.json").read_text() == '{"name": "meshhook"}\n'  # restored to the commit
    assert not (checkout / "node_modules").exists()


def test_a_branch_is_resolved_to_its_commit(upstream, tmp_path):
    checkout, commit = obtain(str(upstream), "main", tmp_path / "cache", lambda _: None)
    assert commit == commits(upstream)[-1] and (checkout / "NEXT").is_file()


def test_a_bundle_is_a_source(upstream, tmp_path):
    bundle = tmp_path / "meshhook.bundle"
    git("bundle", "create", "--quiet", str(bundle), "--all", cwd=upstream)
    pin = commits(upstream)[0]
    checkout, commit = obtain(str(bundle), pin, tmp_path / "cache", lambda _: None)
    assert commit == pin and meshhook_source.head(checkout) == pin


def test_a_commit_the_source_does_not_have_is_an_error(upstream, tmp_path):
    missing = "0123456789abcdef0123456789abcdef01234567"
    with pytest.raises(SourceError, match=f"has no commit {missing}"):
        obtain(str(upstream), missing, tmp_path / "cache", lambda _: None)
    with pytest.raises(SourceError, match="cannot clone MeshHook from /nonexistent/meshhook"):
        obtain("/nonexistent/meshhook", missing, tmp_path / "cache", lambda _: None)
    assert [p.name for p in (tmp_path / "cache").iterdir()] == []  # no half-made clone left


def test_a_cache_entry_at_another_commit_is_replaced(upstream, tmp_path):
    pin, later = commits(upstream)
    cache = tmp_path / "cache"
    checkout, _ = obtain(str(upstream), pin, cache, lambda _: None)
    git("checkout", "--quiet", later, cwd=checkout)  # someone moved it
    again, commit = obtain(str(upstream), pin, cache, lambda _: None)
    assert again == checkout and commit == pin and meshhook_source.head(again) == pin


def test_two_runs_obtaining_at_once_share_one_checkout(upstream, tmp_path):
    pin = commits(upstream)[0]
    script = ("import sys; from guidecheck.backends.meshhook_source import obtain; "
              "print(obtain(sys.argv[1], sys.argv[2], __import__('pathlib').Path(sys.argv[3]), print)[0])")
    runs = [subprocess.Popen([sys.executable, "-c", script, str(upstream), pin, str(tmp_path / "cache")],
                             cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
            for _ in range(4)]
    outputs = [run.communicate(timeout=120)[0] for run in runs]
    assert all(run.returncode == 0 for run in runs), outputs
    assert {output.splitlines()[-1] for output in outputs} == {str(tmp_path / "cache" / pin)}
    assert sorted(p.name for p in (tmp_path / "cache").iterdir()) == [pin]


def test_sweep_removes_clones_of_dead_runs_only(tmp_path):
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    (tmp_path / f".clone-{dead.pid}-abc").mkdir()
    (tmp_path / f".clone-{os.getpid()}-def").mkdir()
    assert meshhook_source.sweep(tmp_path) == 1
    assert [p.name for p in tmp_path.iterdir()] == [f".clone-{os.getpid()}-def"]


MESHHOOK_PAGE = {"mh.md": """
    ```{code-block} console
    :tier: meshhook

    $ test -f "$MESHHOOK_DIR/package.json" && echo found
    found
    ```
    """}


def run_strict(run_pages, scratch_project, monkeypatch, **env: str):
    for name in ("GUIDE_MESHHOOK_CHECKOUT", "GUIDE_MESHHOOK_SOURCE", "GUIDE_MESHHOOK_REF"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("GUIDE_MESHHOOK_CACHE", str(scratch_project.root / "cache"))
    return run_pages(MESHHOOK_PAGE, "--guide-strict", backends=True)


def test_strict_run_fails_when_meshhook_cannot_be_cloned(run_pages, scratch_project, monkeypatch):
    run = run_strict(run_pages, scratch_project, monkeypatch, GUIDE_MESHHOOK_SOURCE="/nonexistent/meshhook")
    assert run.status == 1
    assert "source/mh.md:1: needs MeshHook's source code (cannot clone MeshHook from /nonexistent/meshhook" \
           in run.output
    assert run.outcome("source/mh.md", 1)["outcome"] == "failed"
    assert run.report["environment"]["meshhook"] is None


def test_strict_run_fails_on_a_commit_the_source_lacks(run_pages, scratch_project, monkeypatch, upstream):
    run = run_strict(run_pages, scratch_project, monkeypatch, GUIDE_MESHHOOK_SOURCE=str(upstream),
                     GUIDE_MESHHOOK_REF="0123456789abcdef0123456789abcdef01234567")
    assert run.status == 1 and "has no commit 0123456789abcdef0123456789abcdef01234567" in run.output


def test_a_run_clones_from_the_source_and_reports_the_commit(run_pages, scratch_project, monkeypatch,
                                                              upstream):
    pin = commits(upstream)[0]
    run = run_strict(run_pages, scratch_project, monkeypatch, GUIDE_MESHHOOK_SOURCE=str(upstream),
                     GUIDE_MESHHOOK_REF=pin)
    assert run.status == 0, run.output
    assert run.report["environment"]["meshhook"] == pin
    assert (scratch_project.root / "cache" / pin / "package.json").is_file()


def test_a_given_checkout_is_used_as_it_is(run_pages, scratch_project, monkeypatch, upstream):
    run = run_strict(run_pages, scratch_project, monkeypatch, GUIDE_MESHHOOK_CHECKOUT=str(upstream),
                     GUIDE_MESHHOOK_SOURCE="/nonexistent/meshhook")
    assert run.status == 0, run.output
    assert run.report["environment"]["meshhook"] == commits(upstream)[-1]  # not the pin: as it is
    assert not (scratch_project.root / "cache").exists()
