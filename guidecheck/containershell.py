"""A page's terminal inside a container: the same session semantics, commands run by ``docker exec``.

Each command is its own ``bash`` in the container, which loads nothing and saves, on exit, its exported
variables and working directory as the page shell does (``shellstate``); the next command starts from
them. The session's directories are bind-mounted at the same paths inside the container, so those state
files are read here as written.
(The page shell on this machine keeps one long-lived bash instead; across ``docker exec`` a
process per command is the simple, robust choice, and the reader-path run is not on a hot path.)
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from . import shellstate
from .processes import kill_tree
from .shell import Result


class ContainerShell:
    """The terminal a reader types into, in a container: ``bash`` / ``program`` as ``PageShell`` has them."""

    def __init__(self, container: str, workspace: Path, scratch: Path, env: dict[str, str]) -> None:
        self.container = container
        self.cwd = workspace
        self.env = dict(env)
        self.scratch = scratch  # the engine's own files, outside the reader's directory
        self.docker = shutil.which("docker") or "docker"  # this machine's CLI, not the page's PATH
        self._sessions: set[int] = set()
        self._count = 0

    def bash(self, script: str, *, timeout: float, errexit: bool = False, name: str = "cmd") -> Result:
        """Run shell text in the session; its cwd and exported variables carry over to the next call."""
        stem = self._next(name)
        script_file = stem.with_suffix(".sh")
        script_file.write_text(script if script.endswith("\n") else script + "\n")
        save = shellstate.SAVE.format(state=shlex.quote(str(stem.with_suffix(".state"))))
        wrapper = (
            f"trap {shlex.quote(save)} EXIT\n"
            + ("set -euo pipefail\n" if errexit else "")
            + f"source {shlex.quote(str(script_file))}\n"
        )
        result = self._exec(["bash", "--noprofile", "--norc", "-c", wrapper], timeout)
        self._load_state(stem)
        return result

    def program(self, argv: list[str], source: str, *, timeout: float, suffix: str, name: str) -> Result:
        """Run a non-shell program (python, node) from a file; it cannot change the session's state."""
        path = self._next(name).with_suffix(suffix)
        path.write_text(source)
        return self._exec([*argv, str(path)], timeout)

    def close(self, spare: set[int] = frozenset()) -> int:
        """End the ``docker exec`` clients still running (the container itself goes with the run)."""
        return kill_tree(sessions=self._sessions, spare=spare)

    def _next(self, name: str) -> Path:
        self._count += 1
        return self.scratch / f"{self._count:03d}-{name}"

    def _exec(self, argv: list[str], timeout: float) -> Result:
        command = [self.docker, "exec", "--workdir", str(self.cwd)]
        # PWD too, so that bash exports it and the saved state says where a `cd` left the session.
        for name, value in {**self.env, "PWD": str(self.cwd)}.items():
            command += ["--env", f"{name}={value}"]
        # One stream, merged inside the container: docker exec carries stdout and stderr apart, and
        # their order (an error between two results) would be lost on the way.
        command += [self.container, "sh", "-c", 'exec "$@" 2>&1', "sh", *argv]
        started = time.monotonic()
        with tempfile.TemporaryFile(dir=self.scratch) as output:
            process = subprocess.Popen(command, env=os.environ, stdin=subprocess.DEVNULL, stdout=output,
                                       stderr=subprocess.STDOUT, start_new_session=True)
            self._sessions.add(process.pid)
            try:
                status: int | None = process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                kill_tree(sessions={process.pid})  # the container goes at the end of the run
                process.wait()
                status = None
            output.seek(0)
            text = output.read().decode("utf-8", errors="replace")
        return Result(text, status, time.monotonic() - started)

    def _load_state(self, stem: Path) -> None:
        try:
            variables = shellstate.parse(stem.with_suffix(".state").read_bytes())
        except OSError:
            return  # killed before it could save: the session keeps its previous state
        new_cwd = Path(variables.get("PWD", self.cwd))
        if new_cwd.is_dir():
            self.cwd = new_cwd
        self.env = {name: value for name, value in variables.items() if name not in shellstate.SHELL_OWNED}
