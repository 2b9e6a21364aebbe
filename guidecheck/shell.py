"""A page's shell session: one working directory and one set of exported variables, block after block.

One long-lived ``bash`` per page (the *page shell*) forks a subshell for each block, so a block costs a
fork rather than a new bash. Job control gives every block's subshell its own process group, which a
timeout kills with all it started, while the page shell and earlier blocks' background jobs live on.
A block's subshell starts from the state file the previous block left (``declare -px``: exported
variables, and ``PWD``) and writes its own on exit, even when ``set -e`` or ``exit`` ends it: the
reader's "one terminal", with no block able to take the terminal down.
"""

from __future__ import annotations

import atexit
import os
import select
import shlex
import shutil
import subprocess
import time
import weakref
from dataclasses import dataclass
from pathlib import Path

from . import shellstate
from .processes import become_subreaper, kill_tree

__all__ = ["PageShell", "Result", "become_subreaper"]

_REPLY_FD = 7  # the page shell's channel to the engine; closed for the block's own commands
# Runs in a block's subshell as it exits: keep its status, save its state for the next block.
_BASH = shutil.which("bash") or "/bin/bash"
_OPEN: weakref.WeakSet[PageShell] = weakref.WeakSet()


@dataclass
class Result:
    output: str  # stdout and stderr interleaved, as a terminal shows them
    status: int | None  # None when the command was killed at its timeout
    seconds: float

    @property
    def timed_out(self) -> bool:
        return self.status is None


class ShellLost(Exception):
    """The page shell died under a block (something killed it)."""

    def __init__(self, returncode: int) -> None:
        self.status = 128 - returncode if returncode < 0 else returncode  # as bash reports a signal
        super().__init__(f"(the page's shell ended with status {self.status}; the next step starts a new one)")


class PageShell:
    """The terminal a page's reader would type into."""

    def __init__(self, workspace: Path, scratch: Path, env: dict[str, str]) -> None:
        # The engine's own files (scripts, saved state, output) live outside the reader's directory.
        self.scratch = scratch
        self.sessions: set[int] = set()  # every page shell's session: what close() ends
        self._count = 0
        self._state = scratch / "000-start.state"
        self._state.write_bytes(shellstate.render(env, str(workspace)))
        self._parsed: tuple[Path, dict[str, str]] | None = None
        self._process: subprocess.Popen | None = None
        self._reply = self._commands = -1
        self._buffer = b""
        self._workspace = workspace
        _OPEN.add(self)

    # -- the state the last block left ----------------------------------------------------------

    @property
    def env(self) -> dict[str, str]:
        """The exported variables, as the next block will see them (PWD and bash's own excluded)."""
        return {name: value for name, value in self._variables().items() if name not in shellstate.SHELL_OWNED}

    @property
    def cwd(self) -> Path:
        cwd = Path(self._variables().get("PWD", self._workspace))
        return cwd if cwd.is_dir() else self._workspace

    def _variables(self) -> dict[str, str]:
        if self._parsed is None or self._parsed[0] != self._state:
            self._parsed = (self._state, shellstate.parse(self._state.read_bytes()))
        return self._parsed[1]

    # -- running -------------------------------------------------------------------------------

    def bash(self, script: str, *, timeout: float, errexit: bool = False, name: str = "cmd") -> Result:
        """Run shell text in the session; its cwd and exported variables carry over to the next call."""
        stem = self._next(name)
        script_file = stem.with_suffix(".sh")
        script_file.write_text(script if script.endswith("\n") else script + "\n")
        state = stem.with_suffix(".state")
        save = shlex.quote(shellstate.SAVE.format(state=shlex.quote(str(state))))
        body = (f"trap {save} EXIT; " + ("set -euo pipefail; " if errexit else "")
                + f"source {shlex.quote(str(script_file))}")
        result = self._run(body, stem, timeout)
        if state.exists() and not result.timed_out:  # a block killed as it saved may have saved half
            self._state = state
        return result

    def program(self, argv: list[str], source: str, *, timeout: float, suffix: str, name: str) -> Result:
        """Run a non-shell program (python, node) from a file; it cannot change the session's state."""
        stem = self._next(name)
        path = stem.with_suffix(suffix)
        path.write_text(source)
        return self._run(f"exec {shlex.join([*argv, str(path)])}", stem, timeout)

    def _next(self, name: str) -> Path:
        self._count += 1
        return self.scratch / f"{self._count:03d}-{name}"

    def _run(self, body: str, stem: Path, timeout: float) -> Result:
        """Run ``body`` in a subshell of the page shell that starts from the saved state."""
        started = time.monotonic()
        output = stem.with_suffix(".out")
        command = (f"( source {shlex.quote(str(self._state))}; builtin cd -- \"$PWD\" 2>/dev/null; {body} ) "
                   f"</dev/null >{shlex.quote(str(output))} 2>&1 {_REPLY_FD}>&- & "
                   f"printf '%s\\n' \"$!\" >&{_REPLY_FD}; wait \"$!\"; printf '%s\\n' \"$?\" >&{_REPLY_FD}\n")
        # Bash reads its commands from the pipe a byte at a time, and a file in one go: send a file's name.
        stem.with_suffix(".cmd").write_bytes(command.encode("utf-8", errors="surrogateescape"))
        try:
            status = self._converse(f"source {shlex.quote(str(stem))}.cmd\n".encode(), timeout)
            note = ""
        except ShellLost as lost:
            status, note = lost.status, f"\n{lost}"
        text = output.read_bytes().decode("utf-8", errors="replace") if output.exists() else ""
        return Result(text + note, status, time.monotonic() - started)

    def _converse(self, command: bytes, timeout: float) -> int | None:
        """Send one command; its subshell's exit status, or None when it was killed at the timeout."""
        if self._process is None or self._process.poll() is not None:
            self._start()
        try:
            os.write(self._commands, command)
        except BrokenPipeError:  # it died since the last block
            self._start()
            os.write(self._commands, command)
        deadline = time.monotonic() + timeout
        group = None
        try:
            group = int(self._line(deadline))
            return int(self._line(deadline))
        except TimeoutError:
            self._end_block(group)
            return None
        except ShellLost:
            if group:
                kill_tree(groups={group})
            raise
        except BaseException:  # Ctrl-C: end the block; the page's teardown ends the rest
            self._end_block(group)
            raise

    def _end_block(self, group: int | None) -> None:
        """Kill a block's subshell and all it started; the page shell lives on when it can."""
        if group is None:  # the page shell never started the block: start afresh
            kill_tree(sessions={self._process.pid})
            self._stop_shell()
            return
        kill_tree(groups={group})
        try:
            self._line(time.monotonic() + 10)  # the page shell reports the killed subshell
        except (TimeoutError, ShellLost):
            self._stop_shell()

    def _line(self, deadline: float) -> str:
        """The page shell's next reply line."""
        while b"\n" not in self._buffer:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self._reply], [], [], left)[0]:
                raise TimeoutError
            chunk = os.read(self._reply, 4096)
            if not chunk:  # only the page shell holds the reply channel open
                returncode = self._process.wait()
                self._stop_shell()
                raise ShellLost(returncode)
            self._buffer += chunk
        line, self._buffer = self._buffer.split(b"\n", 1)
        return line.decode()

    def _start(self) -> None:
        """Start (or restart) the page shell: bash reading commands from one pipe, replying on another.

        Blocks cannot read the commands (their stdin is /dev/null), nor write replies (fd closed).
        """
        self._stop_shell()
        commands, self._commands = os.pipe()
        self._reply, reply = os.pipe()
        try:
            self._process = subprocess.Popen(
                [_BASH, "--noprofile", "--norc", f"/dev/fd/{commands}"], stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=self._workspace, env={},
                start_new_session=True, pass_fds=(commands, reply))
        finally:
            os.close(commands)
            os.close(reply)
        self._buffer = b""
        self.sessions.add(self._process.pid)
        # Job control gives each block's subshell its own process group; the reply channel gets a known
        # fd; loading the page's locale once here spares every block's subshell from loading it again.
        locale = "".join(f"{name}={shlex.quote(value)}; unset {name}; " for name, value in self._variables().items()
                         if name == "LANG" or name.startswith("LC_"))
        move = "" if reply == _REPLY_FD else f"exec {_REPLY_FD}>&{reply} {reply}>&-; "
        os.write(self._commands, f"set -m; exec {commands}<&-; {move}{locale}\n".encode())

    def _stop_shell(self) -> None:
        if self._process is not None:
            os.close(self._commands)
            os.close(self._reply)
            self._process = None

    # -- ending --------------------------------------------------------------------------------

    def close(self, spare: set[int] = frozenset()) -> int:
        """End every process the page started and is still running (background jobs, daemons)."""
        self._stop_shell()
        _OPEN.discard(self)
        return kill_tree(sessions=self.sessions, spare=spare, adopted=True)


@atexit.register
def _close_all() -> None:
    """An interrupted run (Ctrl-C) still ends what its pages started."""
    for shell in list(_OPEN):
        shell.close()
