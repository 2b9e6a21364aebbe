"""A page's terminal inside a container: the same session semantics, commands run by ``docker exec``.

The session's directories are bind-mounted at the same paths inside the container, so the state files
each command leaves (its working directory and exported variables) are read here exactly as for a
shell on this machine.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from .shell import PageShell, Result, kill_sessions


class ContainerShell(PageShell):
    def __init__(self, container: str, workspace: Path, scratch: Path, env: dict[str, str]) -> None:
        super().__init__(workspace, scratch, env)
        self.container = container
        self.docker = shutil.which("docker") or "docker"  # this machine's CLI, not the page's PATH

    def _spawn(self, argv: list[str], timeout: float) -> Result:
        command = [self.docker, "exec", "--workdir", str(self.cwd)]
        for name, value in self.env.items():
            command += ["--env", f"{name}={value}"]
        # One stream, merged inside the container: docker exec carries stdout and stderr apart, and
        # their order (an error between two results) would be lost on the way.
        command += [self.container, "sh", "-c", 'exec "$@" 2>&1', "sh", *argv]
        started = time.monotonic()
        with tempfile.TemporaryFile(dir=self.scratch) as output:
            process = subprocess.Popen(command, env=os.environ, stdin=subprocess.DEVNULL, stdout=output,
                                       stderr=subprocess.STDOUT, start_new_session=True)
            self.sessions.add(process.pid)
            try:
                status: int | None = process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                kill_sessions({process.pid})  # the container goes at the end of the run
                process.wait()
                status = None
            output.seek(0)
            text = output.read().decode("utf-8", errors="replace")
        return Result(text, status, time.monotonic() - started)
