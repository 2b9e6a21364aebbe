"""The run's PostgreSQL server from this machine's binaries, when there is no Docker engine (see postgres.py)."""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
from pathlib import Path

from .postgres import SERVER_OPTIONS, SUPERUSER, PostgresServer, PostgresUnavailable


def find_native_bindir() -> Path | None:
    """The bin directory of the highest PostgreSQL installed the Debian way (/usr/lib/postgresql/N/bin)."""
    candidates = []
    for initdb in glob.glob("/usr/lib/postgresql/*/bin/initdb"):
        version = Path(initdb).parent.parent.name
        try:
            key = tuple(int(part) for part in version.split("."))
        except ValueError:
            continue
        if os.access(initdb, os.X_OK) and os.access(Path(initdb).with_name("pg_ctl"), os.X_OK):
            candidates.append((key, Path(initdb).parent))
    return max(candidates)[1] if candidates else None


def _free_loopback_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class NativePostgres(PostgresServer):
    """A throwaway cluster from this machine's binaries, in a temp dir removed at stop().

    initdb refuses to run as root, so as root the cluster runs as the ``postgres`` system user.
    pg_cron is preloaded only when the installed server has it.
    """

    kind = "native"

    def __init__(self, bindir: str | os.PathLike[str] | None = None) -> None:
        super().__init__()
        found = Path(bindir) if bindir else find_native_bindir()
        if found is None:
            raise PostgresUnavailable("no PostgreSQL server binaries in /usr/lib/postgresql/*/bin")
        self.bindir = found
        self._dir: Path | None = None
        self._user: str | None = None

    @classmethod
    def if_available(cls) -> NativePostgres | None:
        """A native server (not started) when this machine has PostgreSQL binaries, else None."""
        try:
            return cls()
        except PostgresUnavailable:
            return None

    def pids(self) -> set[int]:
        """The postmaster and its children (connection backends, background workers)."""
        if self._dir is None:
            return set()
        try:
            postmaster = int((self._dir / "data" / "postmaster.pid").read_text().split()[0])
        except (OSError, ValueError, IndexError):
            return set()
        found = {postmaster}
        for stat in glob.glob("/proc/[0-9]*/stat"):
            try:
                fields = Path(stat).read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == postmaster:  # field 4 of stat: the parent pid
                found.add(int(Path(stat).parent.name))
        return found

    def _run(self, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        return subprocess.run(list(args), capture_output=True, text=True, timeout=timeout,
                              user=self._user, cwd=self._dir, stdin=subprocess.DEVNULL)

    def _options(self, port: int) -> dict[str, str]:
        options = dict(SERVER_OPTIONS)
        libdir = self.bindir.parent / "lib"
        if not (libdir / "pg_cron.so").exists():
            del options["shared_preload_libraries"], options["cron.database_name"]
        options.update({"listen_addresses": "127.0.0.1", "port": str(port),
                        "unix_socket_directories": str(self._dir)})
        return options

    def _launch(self) -> tuple[str, int]:
        self._dir = Path(tempfile.mkdtemp(prefix="guidecheck-pg-"))
        if os.geteuid() == 0:
            try:
                account = pwd.getpwnam("postgres")
            except KeyError:
                raise PostgresUnavailable("running as root and there is no postgres user for initdb") from None
            self._user = account.pw_name
            os.chown(self._dir, account.pw_uid, account.pw_gid)
        pwfile = self._dir / "pwfile"
        pwfile.touch(mode=0o600)
        if self._user:
            shutil.chown(pwfile, self._user)
        pwfile.write_text(self._password + "\n")
        result = self._run(str(self.bindir / "initdb"), "-D", str(self._dir / "data"), "-U", SUPERUSER,
                           f"--pwfile={pwfile}", "--auth=scram-sha-256", "--encoding=UTF8",
                           "--locale=C.UTF-8", "--no-sync")
        pwfile.unlink()
        if result.returncode != 0:
            raise RuntimeError(f"initdb failed:\n{result.stdout}{result.stderr}")
        for _attempt in range(3):
            port = _free_loopback_port()
            options = " ".join(f"-c {name}={value}" for name, value in self._options(port).items())
            result = self._run(str(self.bindir / "pg_ctl"), "-D", str(self._dir / "data"),
                               "-l", str(self._dir / "server.log"), "-w", "-t", "60", "-o", options, "start")
            if result.returncode == 0:
                return "127.0.0.1", port
        raise RuntimeError(f"pg_ctl start failed:\n{result.stdout}{result.stderr}\n{self._diagnostics()}")

    def _shutdown(self) -> None:
        directory, self._dir = self._dir, None
        if directory is None:
            return
        pidfile = directory / "data" / "postmaster.pid"
        try:
            if pidfile.exists():
                self._dir = directory
                result = self._run(str(self.bindir / "pg_ctl"), "-D", str(directory / "data"),
                                   "-m", "immediate", "-w", "-t", "30", "stop")
                if result.returncode != 0 and pidfile.exists():
                    os.kill(int(pidfile.read_text().split()[0]), signal.SIGKILL)
        except (OSError, ValueError, subprocess.TimeoutExpired):
            pass
        finally:
            self._dir = None
            shutil.rmtree(directory, ignore_errors=True)

    def _diagnostics(self) -> str:
        log = (self._dir / "server.log") if self._dir else None
        if log is None or not log.exists():
            return ""
        return "server log (last lines):\n" + "\n".join(log.read_text(errors="replace").splitlines()[-20:])
