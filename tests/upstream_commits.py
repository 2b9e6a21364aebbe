"""MeshHook at the pin, cloned from the bundle beside the project, with commits of a test's own on top."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from guidecheck import pin
from guidecheck.blocks import Block, page_blocks

ROOT = Path(__file__).resolve().parent.parent
BUNDLE = ROOT.parent / "shared" / "meshhook" / "meshhook-11e288f.bundle"
HOOK = "apps/web/src/routes/api/hooks/[slug]/+server.js"  # the webhook route at the pin


def local_source() -> Path | None:
    """The bundle beside the project; or GUIDE_MESHHOOK_SOURCE when it names a local bundle or clone
    (a worktree that is not beside ../shared)."""
    override = os.environ.get("GUIDE_MESHHOOK_SOURCE")
    for candidate in (BUNDLE, Path(override) if override else None):
        if candidate is not None and candidate.exists():
            return candidate
    return None


def git(cwd: Path, *args: str, **env: str) -> str:
    env = {**os.environ, "GIT_AUTHOR_NAME": "guide test", "GIT_AUTHOR_EMAIL": "test@example.com",
           "GIT_COMMITTER_NAME": "guide test", "GIT_COMMITTER_EMAIL": "test@example.com", **env}
    return subprocess.run(["git", "-C", str(cwd), *args], check=True, capture_output=True, text=True,
                          env=env).stdout.strip()


def clone_at_pin(destination: Path) -> Path:
    source = local_source()
    if source is None:
        pytest.skip("no MeshHook bundle at ../shared/meshhook/meshhook-11e288f.bundle beside the project")
    subprocess.run(["git", "clone", "--quiet", str(source), str(destination)], check=True)
    git(destination, "checkout", "--quiet", "--detach", pin.COMMIT)
    return destination


def commit_change(checkout: Path, path: str, old: str | None, new: str, message: str) -> str:
    """Replace ``old`` with ``new`` in a file (or write a new file when ``old`` is None) and commit it."""
    target = checkout / path
    if old is None:
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(new)
    else:
        text = target.read_text()
        assert old in text, f"{path} no longer contains {old!r}: the test needs updating"
        target.write_text(text.replace(old, new))
    git(checkout, "add", "--", path)
    git(checkout, "commit", "--quiet", "--message", message)
    return git(checkout, "rev-parse", "HEAD")


def check_line(page: str, command: str) -> int:
    """The line of the hidden block that runs ``command`` on the page."""
    lines = [block.line for block in page_blocks((ROOT / page).read_text(), page)
             if isinstance(block, Block) and block.options.hidden and command in block.body]
    assert len(lines) == 1, f"{page}: expected one hidden block running {command}, found {lines}"
    return lines[0]
