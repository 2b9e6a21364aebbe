"""Finding and ending the processes a page started, wherever they went (new groups, new sessions, orphans)."""

from __future__ import annotations

import ctypes
import os
import signal
import time

_PR_SET_CHILD_SUBREAPER = 36


def become_subreaper() -> None:
    """Adopt orphaned descendants (daemonised ``cmd &``), so page teardown can find and end them."""
    try:
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
    except (OSError, AttributeError):  # not Linux: the session-id sweep still applies
        pass


def _process_table() -> dict[int, tuple[int, int, int]]:
    """pid -> (parent pid, process group, session id) for every live process."""
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
            table[int(entry)] = (int(fields[1]), int(fields[2]), int(fields[3]))
    return table


def kill_tree(sessions: set[int] = frozenset(), groups: set[int] = frozenset(), spare: set[int] = frozenset(),
              adopted: bool = False) -> int:
    """SIGKILL every process in the given sessions or process groups and all their descendants.

    With ``adopted``, also the orphans this (subreaper) process inherited: daemons a page started
    that left their session. Returns how many processes were killed.
    """
    table = _process_table()
    me = os.getpid()
    # A group is also named by its leader, which is doomed even if it is not (yet) in its group.
    doomed = {pid for pid, (ppid, group, session) in table.items()
              if session in sessions or group in groups or pid in groups or (adopted and ppid == me)}
    grew = True
    while grew:  # descendants that called setsid() still have a doomed parent
        children = {pid for pid, (ppid, _, _) in table.items() if ppid in doomed} - doomed
        grew = bool(children)
        doomed |= children
    doomed -= set(spare) | {me}
    # A whole group at once first: killed one by one, a block's shell could see its command die and
    # run its exit trap (saving state) before its own turn came.
    for group in groups:
        _kill(os.killpg, group)
    for pid in doomed:
        _kill(os.kill, pid)
    _reap(doomed)
    return len(doomed)


def _kill(kill, target: int) -> None:
    try:
        kill(target, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def _reap(pids: set[int]) -> None:
    """Collect adopted children we killed, so they do not linger as zombies."""
    deadline = time.monotonic() + 2
    pending = set(pids)
    while pending and time.monotonic() < deadline:
        for pid in list(pending):
            try:
                done, _ = os.waitpid(pid, os.WNOHANG)
            except ChildProcessError:  # not our child: its own parent or init reaps it
                done = pid
            if done:
                pending.discard(pid)
        if pending:
            time.sleep(0.02)
