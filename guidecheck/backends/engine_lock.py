"""Runs on one Docker engine take turns.

Pages use fixed container names and host ports, as readers should, so two runs whose pages drive the
same engine at once would collide (``container name "/meshhook-postgres" is already in use``). The
controller of a run whose pages need Docker takes an exclusive ``flock`` on a file named after the
engine; another run waits, saying whose turn it is. The kernel releases the lock when its holder's
process ends, however it ends, so a killed run never blocks the next one. The file descriptor is not
inherited by child processes, so an orphaned page process cannot hold the engine either.

Runs started inside a run (the engine's own tests verify scratch pages) share their parent's turn:
the holder exports ``GUIDE_ENGINE_LOCK_HELD`` (the lock's path) to its children.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

HELD = "GUIDE_ENGINE_LOCK_HELD"
_PATH = "GUIDE_ENGINE_LOCK"  # another lock file than the engine's default (tests)


def default_path() -> Path:
    """One lock per engine, on this machine: named after the engine's address."""
    engine = os.environ.get("DOCKER_HOST") or "unix:///var/run/docker.sock"
    digest = hashlib.sha256(engine.encode()).hexdigest()[:12]
    return Path(os.environ.get(_PATH) or Path(tempfile.gettempdir()) / f"guidecheck-engine-{digest}.lock")


class EngineLock:
    """An exclusive turn on the engine for one run: :meth:`acquire` waits, :meth:`release` ends it."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = Path(path) if path else default_path()
        self._fd: int | None = None
        self.waited = 0.0

    def acquire(self, say: Callable[[str], None], poll: float = 1.0) -> None:
        if os.environ.get(HELD) == str(self.path):
            return  # our parent run holds it: this run is part of its turn
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o666)  # not inherited (O_CLOEXEC by default)
        try:
            os.fchmod(fd, 0o666)  # runs as root and as users share one engine
        except PermissionError:
            pass  # someone else's file: opening it read-write was enough
        started = time.monotonic()
        told = None
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                holder = _holder(fd)
                if holder != told:  # once per holder, not once a second
                    say(f"waiting for the run started at {holder} to finish with the Docker engine "
                        "(pages use fixed container names and ports, so runs on one engine take turns)")
                    told = holder
                time.sleep(poll)
            except BaseException:
                os.close(fd)
                raise
        self.waited = time.monotonic() - started
        self._fd = fd
        now = datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{now} (pid {os.getpid()})\n".encode(), 0)
        os.environ[HELD] = str(self.path)

    def release(self) -> None:
        fd, self._fd = self._fd, None
        if fd is None:
            return
        if os.environ.get(HELD) == str(self.path):
            del os.environ[HELD]
        try:
            os.ftruncate(fd, 0)
        finally:
            os.close(fd)  # closing the last descriptor drops the flock


def _holder(fd: int) -> str:
    text = os.pread(fd, 200, 0).decode(errors="replace").strip()
    return text or "an unknown time (its pid is not recorded yet)"
