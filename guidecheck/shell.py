"""A page's shell session: one working directory and one set of exported variables, block after block.

Each command runs in its own ``bash`` process (a new session, so a timeout can kill everything it
started), which loads the state the previous command left and saves its own on exit. That gives the
reader's "one terminal" semantics without a long-lived shell whose hang would take the page down.
"""

from __future__ import annotations

import ctypes
import os
import shlex
import signal
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

# Variables bash manages itself: never carried from one command to the next.
_SHELL_OWNED = {"SHLVL", "_", "OLDPWD", "PWD"}
_PR_SET_CHILD_SUBREAPER = 36


def become_subreaper() -> None:
    """Adopt orphaned descendants (daemonised ``cmd &``), so page teardown can find and end them."""
    try:
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
    except (OSError, AttributeError):  # not Linux: the session-id sweep still applies
        pass


@dataclass
class Result:
    output: str  # stdout and stderr interleaved, as a terminal shows them
    status: int | None  # None when the command was killed at its timeout
    seconds: float

    @property
    def timed_out(self) -> bool:
        return self.status is None


def _process_table() -> dict[int, tuple[int, int]]:
    """pid -> (parent pid, session id) for every live process."""
    table = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as stat:
                fields = stat.read().rsplit(b")", 1)[1].split()
        except OSError:
            continue
        if fields[0] != b"Z":
            table[int(entry)] = (int(fields[1]), int(fields[3]))
    return table


def kill_sessions(session_ids: set[int], spare: set[int] = frozenset(), adopted: bool = False) -> int:
    """SIGKILL every process in the given sessions and all their descendants; returns how many.

    With ``adopted``, also the orphans this (subreaper) process inherited: daemons a page started
    that left their session.
    """
    table = _process_table()
    me = os.getpid()
    doomed = {pid for pid, (ppid, sid) in table.items() if sid in session_ids or (adopted and ppid == me)}
    grew = True
    while grew:  # descendants that called setsid() still have a doomed parent
        children = {pid for pid, (ppid, _) in table.items() if ppid in doomed} - doomed
        grew = bool(children)
        doomed |= children
    doomed -= set(spare) | {os.getpid()}
    for pid in doomed:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    _reap(doomed)
    return len(doomed)


def _reap(pids: set[int]) -> None:
    """Collect adopted children we killed, so they do not linger as zombies."""
    deadline = time.monotonic() + 2
    pending = set(pids)
    while pending and time.monotonic() < deadline:
        for pid in list(pending):
            try:
                done, _ = os.waitpid(pid, os.WNOHANG)
            except ChildProcessError:  # not our child: init reaps it
                done = pid
            if done:
                pending.discard(pid)
        if pending:
            time.sleep(0.02)


class PageShell:
    """The terminal a page's reader would type into."""

    def __init__(self, workspace: Path, scratch: Path, env: dict[str, str]) -> None:
        self.cwd = workspace
        self.env = dict(env)
        self.sessions: set[int] = set()
        # The engine's own files (scripts, saved state) live outside the reader's directory.
        self.scratch = scratch
        self._count = 0

    # -- running -------------------------------------------------------------------------------

    def bash(self, script: str, *, timeout: float, errexit: bool = False, name: str = "cmd") -> Result:
        """Run shell text in the session; its cwd and exported variables carry over to the next call."""
        self._count += 1
        stem = self.scratch / f"{self._count:03d}-{name}"
        script_file = stem.with_suffix(".sh")
        script_file.write_text(script if script.endswith("\n") else script + "\n")
        saved = shlex.quote(str(stem))
        wrapper = (
            f"__gc_save() {{ __gc_rc=$?; pwd > {saved}.cwd; env -0 > {saved}.env; exit $__gc_rc; }}\n"
            "trap __gc_save EXIT\n"
            + ("set -euo pipefail\n" if errexit else "")
            + f"source {shlex.quote(str(script_file))}\n"
        )
        result = self._spawn(["bash", "--noprofile", "--norc", "-c", wrapper], timeout)
        self._load_state(stem)
        return result

    def program(self, argv: list[str], source: str, *, timeout: float, suffix: str, name: str) -> Result:
        """Run a non-shell program (python, node) from a file; it cannot change the session's state."""
        self._count += 1
        path = self.scratch / f"{self._count:03d}-{name}{suffix}"
        path.write_text(source)
        return self._spawn([*argv, str(path)], timeout)

    def _spawn(self, argv: list[str], timeout: float) -> Result:
        started = time.monotonic()
        with tempfile.TemporaryFile(dir=self.scratch) as output:
            # Output goes to a file, not a pipe: a background job keeping the pipe open must not
            # make a finished command look hung.
            process = subprocess.Popen(argv, cwd=self.cwd, env=self.env, stdin=subprocess.DEVNULL,
                                       stdout=output, stderr=subprocess.STDOUT, start_new_session=True)
            self.sessions.add(process.pid)
            try:
                status: int | None = process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                kill_sessions({process.pid})
                process.wait()
                status = None
            output.seek(0)
            text = output.read().decode("utf-8", errors="replace")
        return Result(text, status, time.monotonic() - started)

    def _load_state(self, stem: Path) -> None:
        cwd, env = stem.with_suffix(".cwd"), stem.with_suffix(".env")
        try:
            new_cwd = Path(cwd.read_text().strip())
            entries = env.read_bytes().split(b"\0")
        except OSError:
            return  # killed before it could save: the session keeps its previous state
        if new_cwd.is_dir():
            self.cwd = new_cwd
        new_env = {}
        for entry in entries:
            name, sep, value = entry.decode("utf-8", errors="surrogateescape").partition("=")
            if sep and name not in _SHELL_OWNED and not name.startswith("BASH_FUNC_"):
                new_env[name] = value
        self.env = new_env

    # -- ending --------------------------------------------------------------------------------

    def close(self, spare: set[int] = frozenset()) -> int:
        """End every process the page started and is still running (background jobs, daemons)."""
        return kill_sessions(self.sessions, spare, adopted=True)
