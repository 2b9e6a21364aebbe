"""The pin is defined once: every mention agrees with guidecheck/pin.py, and repin moves them all."""

from __future__ import annotations

import shutil
import subprocess
import sys
from datetime import date
from pathlib import Path

from upstream_commits import ROOT
from upstream_commits import git as _git

from guidecheck import pin, repin


def fake_meshhook(path: Path, day: str) -> str:
    """A repository with one commit of that committer date; its full commit."""
    path.mkdir()
    _git(path, "init", "-q")
    (path / "README.md").write_text("a newer commit\n")
    _git(path, "add", "README.md")
    _git(path, "commit", "-qm", "newer", GIT_COMMITTER_DATE=f"{day}T10:00:00Z", GIT_AUTHOR_DATE=f"{day}T10:00:00Z")
    return _git(path, "rev-parse", "HEAD")


def scratch_copy(destination: Path) -> Path:
    """The guide's tracked files (as in the working tree) in a fresh repository of their own."""
    for path in repin.tracked_files(ROOT):
        target = destination / path.relative_to(ROOT)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(path, target)
    _git(destination, "init", "-q")
    _git(destination, "add", "-A")
    return destination


def test_every_mention_of_the_pin_agrees_with_pin_py():
    found = repin.mentions(ROOT)
    assert repin.stale(ROOT) == [], "mentions of another MeshHook commit: run python3 -m guidecheck.repin"
    places = {mention.path for mention in found}
    # The scan sees the places that matter, or agreeing would prove nothing.
    assert {"guidecheck/pin.py", "source/overview/index.md", "source/deploy/images.md"} <= places
    assert any(m.kind == "date" and m.path.startswith("source/") for m in found)


def test_a_stale_mention_is_found_with_its_place(tmp_path):
    copy = scratch_copy(tmp_path / "guide")
    page = copy / "source" / "deploy" / "images.md"
    page.write_text(page.read_text().replace("meshhook-guide/web:11e288f", "meshhook-guide/web:0a1b2c3", 1))
    overview = copy / "source" / "overview" / "index.md"
    overview.write_text(overview.read_text().replace("(16 October", "(17 October", 1))
    stale = repin.stale(copy)
    assert [(m.path, m.kind, m.text) for m in stale] == [
        ("source/deploy/images.md", "commit", "0a1b2c3"),
        ("source/overview/index.md", "date", "2025-10-17"),
    ]
    assert stale[0].line == next(number for number, line in enumerate(page.read_text().splitlines(), 1)
                                 if "web:0a1b2c3" in line)


def test_repin_rewrites_every_mention_and_moves_no_line(tmp_path):
    copy = scratch_copy(tmp_path / "guide")
    before = {path: path.read_text().count("\n") for path in repin.tracked_files(copy)}
    meshhook = tmp_path / "meshhook"
    commit = fake_meshhook(meshhook, "2026-03-05")
    # This fixed commit's short form has no letter, unlike most: a repin must still find it afterwards.
    assert commit[:7].isdigit(), commit

    done = subprocess.run([sys.executable, "-m", "guidecheck.repin", str(meshhook), "--root", str(copy)],
                          capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    assert f"pinned MeshHook {commit[:7]} (2026-03-05)" in done.stdout

    assert repin.stale(copy, commit, "2026-03-05") == []
    assert len(repin.mentions(copy)) == len(repin.mentions(ROOT))
    assert {path: path.read_text().count("\n") for path in before} == before
    pin_py = (copy / "guidecheck" / "pin.py").read_text()
    assert f'COMMIT = "{commit}"' in pin_py and 'DATE = "2026-03-05"' in pin_py
    assert f"meshhook-guide/web:{commit[:7]}" in (copy / "source" / "deploy" / "images.md").read_text()
    overview = (copy / "source" / "overview" / "index.md").read_text()
    assert f"commit `{commit[:7]}` (5 March\n2026)" in overview  # the line break stays where it was
    prerequisites = (copy / "source" / "prerequisites.md").read_text()
    assert f"\n{commit}\n" in prerequisites  # the transcript's expected `git rev-parse HEAD`


def test_repin_resolves_a_named_ref_and_refuses_an_unknown_one(tmp_path):
    meshhook = tmp_path / "meshhook"
    fake_meshhook(meshhook, "2025-12-31")
    _git(meshhook, "tag", "v1")
    assert repin.resolve(meshhook, "v1") == (_git(meshhook, "rev-parse", "HEAD"), date(2025, 12, 31))
    done = subprocess.run([sys.executable, "-m", "guidecheck.repin", str(meshhook), "--ref", "nope",
                           "--root", str(tmp_path)], capture_output=True, text=True, cwd=ROOT)
    assert done.returncode != 0 and "has no commit nope" in done.stderr
    assert pin.SHORT == pin.COMMIT[:7]
