"""MeshHook's source at one commit, cloned by the run itself into a cache keyed by commit.

``obtain(source, ref, cache)`` returns a checkout of ``ref`` from ``source`` (a git URL, a local
repository or a git bundle): ``cache/<commit>``, reused by later runs. A clone is made in a temporary
directory beside the cache entry and renamed into place, so two runs obtaining the same commit at once
never see a half-made checkout: the loser of the rename uses the winner's. MeshHook is cloned, never
copied into this repository.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Callable
from pathlib import Path

from .. import pin

_COMMIT = re.compile(r"^[0-9a-f]{40}$")
_TEMP_PREFIX = ".clone-"  # temporary clones: .clone-<pid>-<random>
_GIT_ENV = {"GIT_TERMINAL_PROMPT": "0", "GIT_ADVICE": "0"}


class SourceError(RuntimeError):
    """MeshHook could not be obtained; the message says from where, which commit and why."""


def settings() -> tuple[str, str, Path]:
    """Source, ref and cache directory, from the environment or the pin."""
    source = os.environ.get("GUIDE_MESHHOOK_SOURCE") or pin.UPSTREAM
    ref = os.environ.get("GUIDE_MESHHOOK_REF") or pin.COMMIT
    cache = os.environ.get("GUIDE_MESHHOOK_CACHE")
    if not cache:
        base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
        cache = Path(base) / "meshhook-guide" / "meshhook"
    return source, ref, Path(cache)


def git(*args: str, cwd: Path | None = None, timeout: float = 300) -> str:
    """Run git; its trimmed standard output, or SourceError with its last line of error."""
    try:
        done = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, timeout=timeout,
                              stdin=subprocess.DEVNULL, env={**os.environ, **_GIT_ENV})
    except subprocess.TimeoutExpired:
        raise SourceError(f"git {args[0]} did not finish within {timeout:.0f} s") from None
    except OSError as error:
        raise SourceError(f"cannot run git: {error}") from None
    if done.returncode != 0:
        why = (done.stderr.strip().splitlines() or ["no message"])[-1]
        raise SourceError(f"git {args[0]} failed: {why}")
    return done.stdout.strip()


def head(checkout: Path) -> str:
    """The commit a checkout is at."""
    return git("rev-parse", "--verify", "HEAD^{commit}", cwd=checkout, timeout=30)


def _ready(target: Path, commit: str) -> bool:
    if not (target / ".git").exists():
        return False
    try:
        return head(target) == commit
    except SourceError:
        return False


def _pristine(target: Path, say: Callable[[str], None]) -> None:
    """A cached checkout is the commit and nothing else: undo anything a page changed in it."""
    if git("status", "--porcelain", "--ignored", cwd=target, timeout=60):
        say(f"{target} was changed since it was cloned: restoring it to its commit")
        git("checkout", "--force", "--quiet", "HEAD", cwd=target)
        git("clean", "-fdxq", cwd=target)


def _resolve_remote(source: str, ref: str) -> str | None:
    """The commit a branch or tag names in the source, without cloning (None for a short hash)."""
    if _COMMIT.match(ref):
        return ref
    try:
        listed = git("ls-remote", source, ref, timeout=120)
    except SourceError:
        return None  # the clone below says why, with the whole story
    commits = {line.split()[0] for line in listed.splitlines() if line.strip()}
    return commits.pop() if len(commits) == 1 else None


def obtain(source: str, ref: str, cache: Path, say: Callable[[str], None]) -> tuple[Path, str]:
    """A checkout of ``ref`` from ``source`` in ``cache``, cloned once per commit: (path, commit)."""
    commit = _resolve_remote(source, ref)
    if commit and _ready(cache / commit, commit):
        _pristine(cache / commit, say)
        return cache / commit, commit
    cache.mkdir(parents=True, exist_ok=True)
    temporary = Path(tempfile.mkdtemp(prefix=f"{_TEMP_PREFIX}{os.getpid()}-", dir=cache))
    try:
        say(f"cloning MeshHook {ref[:12]} from {source} into {cache}")
        try:
            git("clone", "--quiet", "--no-checkout", source, str(temporary))
        except SourceError as error:
            raise SourceError(f"cannot clone MeshHook from {source} (GUIDE_MESHHOOK_SOURCE: a git URL or "
                              f"bundle): {error}") from None
        try:
            commit = git("rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}", cwd=temporary, timeout=30)
        except SourceError:
            raise SourceError(f"MeshHook's source {source} has no commit {ref} (GUIDE_MESHHOOK_REF)") from None
        git("-c", "advice.detachedHead=false", "checkout", "--quiet", "--detach", commit, cwd=temporary)
        target = cache / commit
        try:
            temporary.rename(target)
        except OSError:  # another run renamed its clone first, or a broken entry is in the way
            if not _ready(target, commit):
                say(f"{target} is not a checkout of {commit}: replacing it")
                discarded = Path(tempfile.mkdtemp(prefix=f"{_TEMP_PREFIX}{os.getpid()}-", dir=cache))
                target.rename(discarded / "old")
                temporary.rename(target)
                shutil.rmtree(discarded, ignore_errors=True)
        return target, commit
    finally:
        shutil.rmtree(temporary, ignore_errors=True)


def sweep(cache: Path) -> int:
    """Remove temporary clones that runs killed mid-clone left in the cache."""
    from .docker import pid_alive

    removed = 0
    for leftover in cache.glob(f"{_TEMP_PREFIX}*") if cache.is_dir() else ():
        try:
            pid = int(leftover.name.removeprefix(_TEMP_PREFIX).split("-", 1)[0])
        except ValueError:
            continue
        if not pid_alive(pid):
            shutil.rmtree(leftover, ignore_errors=True)
            removed += 1
    return removed
