"""Stand-in API servers on loopback, one per page: start, stop, and sweep what killed runs left.

Each page that talks to a cloud API gets its own server process on a free port of the cloud chapter's
range, so pages running in parallel never see each other's resources. A record of every server (its
pid, and the controller that must be alive for it) lives in a directory of the machine's temporary
files, so the next run can stop the servers of a run that was killed before it could clean up.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

from .docker import pid_alive

PORTS = range(18650, 18700)  # the cloud chapter's loopback ports (TEAM port plan)
RECORDS = Path(tempfile.gettempdir()) / "guidecheck-loopback-servers"


class ServerError(Exception):
    """A stand-in server did not start; the message says which and why."""


def _port_is_free(port: int) -> bool:
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def _listening(port: int) -> bool:
    with socket.socket() as probe:
        probe.settimeout(0.5)
        return probe.connect_ex(("127.0.0.1", port)) == 0


class Server:
    """One server process on ``127.0.0.1:port``, started with its port substituted into *argv*."""

    def __init__(self, name: str, argv: list[str], controller_pid: int, log: Path) -> None:
        self.name, self.argv, self.controller_pid, self.log = name, argv, controller_pid, log
        self.process: subprocess.Popen | None = None
        self.port = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, wait: float = 30, environment: dict[str, str] | None = None) -> Server:
        for port in PORTS:
            if not _claim(port):
                continue
            if not _port_is_free(port):  # taken by something that is not ours
                (RECORDS / f"port-{port}").unlink(missing_ok=True)
                continue
            argv = [arg.replace("{port}", str(port)) for arg in self.argv]
            with self.log.open("ab") as log:
                # Its own session: the page's process cleanup does not reach it, release_page stops it.
                self.process = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT,
                                                stdin=subprocess.DEVNULL, start_new_session=True,
                                                env={**os.environ, **(environment or {})})
            self.port = port
            deadline = time.monotonic() + wait
            while time.monotonic() < deadline and self.process.poll() is None:
                if _listening(port) and self.process.poll() is None:
                    self._record()  # once it runs its own program, so the command line is final
                    return self
                time.sleep(0.1)
            self.stop()
            if time.monotonic() >= deadline:
                raise ServerError(f"{self.name} did not listen on port {port} within {wait:g} s "
                                  f"(log: {self.log})")
        raise ServerError(f"{self.name}: no free port in {PORTS.start}-{PORTS.stop - 1}")

    def _record(self) -> None:
        RECORDS.mkdir(exist_ok=True)
        record = {"pid": self.process.pid, "controller": self.controller_pid, "name": self.name,
                  "port": self.port, "cmdline": _cmdline(self.process.pid)}
        (RECORDS / f"{self.process.pid}.json").write_text(json.dumps(record))

    def stop(self) -> None:
        if self.process is None:
            return
        _terminate(self.process.pid)
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
        (RECORDS / f"{self.process.pid}.json").unlink(missing_ok=True)
        (RECORDS / f"port-{self.port}").unlink(missing_ok=True)
        self.process = None


def _claim(port: int) -> bool:
    """Reserve a port among all runs on this machine (a server takes a moment to bind it)."""
    RECORDS.mkdir(exist_ok=True)
    claim = RECORDS / f"port-{port}"
    for _ in range(2):
        try:
            descriptor = os.open(claim, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
        except FileExistsError:
            try:
                owner = int(claim.read_text() or 0)
            except (OSError, ValueError):
                owner = 0
            if owner and pid_alive(owner):
                return False
            claim.unlink(missing_ok=True)  # its process is gone: the claim is stale
            continue
        with os.fdopen(descriptor, "w") as file:
            file.write(str(os.getpid()))
        return True
    return False


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace")
    except OSError:
        return ""


def _terminate(pid: int) -> None:
    try:
        os.killpg(pid, signal.SIGTERM)
    except (ProcessLookupError, PermissionError):
        pass


def sweep() -> int:
    """Stop the servers of runs whose controller is gone; how many were stopped."""
    stopped = 0
    for path in sorted(RECORDS.glob("*.json")) if RECORDS.is_dir() else []:
        try:
            record = json.loads(path.read_text())
        except (OSError, ValueError):
            path.unlink(missing_ok=True)
            continue
        if pid_alive(record["controller"]):
            continue
        # The same command line: never signal a process that merely reuses a recorded pid.
        if pid_alive(record["pid"]) and _cmdline(record["pid"]) == record.get("cmdline"):
            _terminate(record["pid"])
            stopped += 1
        (RECORDS / f"port-{record.get('port')}").unlink(missing_ok=True)
        path.unlink(missing_ok=True)
    return stopped


class PageServers:
    """For a backend that gives each page a stand-in server of its own on loopback (a Backend mixin):
    the page's server is stopped when the page ends, spared by page cleanup while it runs, and the
    servers of killed runs are swept."""

    def __init__(self, settings) -> None:
        super().__init__(settings)
        self.servers: dict[str, Server] = {}  # page -> its server

    def page_server(self, page, name: str, argv: list[str], log, environment: dict[str, str] | None = None
                    ) -> Server:
        server = Server(name, argv, self.settings.controller_pid or os.getpid(), log)
        self.servers[page.page] = server.start(environment=environment)
        return server

    def sweep_leftovers(self) -> str:
        stopped = sweep()
        return f"stopped {stopped} stand-in API servers of interrupted runs" if stopped else ""

    def release_page(self, page) -> None:
        server = self.servers.pop(page.page, None)
        if server:
            server.stop()

    def protected_pids(self) -> set[int]:
        return {s.process.pid for s in self.servers.values() if s.process}
