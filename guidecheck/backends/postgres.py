"""The run's PostgreSQL server: one per run, one fresh database per page cloned from a template.

Two ways to get a server, same interface:

* :class:`ContainerPostgres` runs the guide's own image (built from the page that documents it) with
  testcontainers, published on 127.0.0.1 only and labelled with the run's labels;
* :class:`NativePostgres` runs a throwaway cluster with this machine's PostgreSQL binaries when there
  is no Docker engine (so the SQL pages can still be checked, against whatever major version is installed).

Pages get a database each (``create_page_database``): cloning a template is much faster than running
setup per page, and it keeps pages independent when they run in parallel. The superuser password is
random per run and never logged; only :meth:`PostgresServer.conninfo` hands it out.
"""

from __future__ import annotations

import abc
import atexit
import glob
import os
import pwd
import re
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import psycopg
from psycopg import sql

TEMPLATE_DATABASE = "guide_template"
SUPERUSER = "postgres"
# Server options every backend passes: pg_cron needs preloading; the guide's pages schedule jobs in
# the postgres database. fsync is off: the server is thrown away after the run.
SERVER_OPTIONS = {
    "shared_preload_libraries": "pg_cron",
    "cron.database_name": "postgres",
    "fsync": "off",
    "full_page_writes": "off",
    "synchronous_commit": "off",
}
_DATABASE_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


class PostgresError(RuntimeError):
    """The server could not be started or used; the message says why (never the password)."""


class PostgresUnavailable(PostgresError):
    """No way to run this kind of server here (no engine, no binaries); the reason says which."""


def _check_name(name: str) -> str:
    if not _DATABASE_NAME.match(name) or name in ("postgres", "template0", "template1", TEMPLATE_DATABASE):
        raise ValueError(f"not a page database name: {name!r} (lowercase letters, digits, _)")
    return name


@dataclass(frozen=True)
class Admin:
    """Superuser access to a running server: what worker processes need to make page databases.

    The controller owns the server; workers rebuild an Admin from the conninfo it hands out
    (``Admin.from_conninfo``), so they can create and drop their pages' databases themselves.
    """

    host: str
    port: int
    user: str
    password: str

    def __repr__(self) -> str:
        return f"Admin(host={self.host!r}, port={self.port}, user={self.user!r})"

    @classmethod
    def from_conninfo(cls, info: dict[str, str]) -> Admin:
        """The inverse of :meth:`conninfo` (PGHOST, PGPORT, PGUSER, PGPASSWORD)."""
        return cls(host=info["PGHOST"], port=int(info["PGPORT"]), user=info["PGUSER"],
                   password=info["PGPASSWORD"])

    def conninfo(self, dbname: str = "postgres") -> dict[str, str]:
        """libpq environment variables for ``dbname``: what a page session exports."""
        return {"PGHOST": self.host, "PGPORT": str(self.port), "PGUSER": self.user,
                "PGPASSWORD": self.password, "PGDATABASE": dbname}

    def connect(self, dbname: str = "postgres", timeout: float = 10) -> psycopg.Connection:
        """An autocommit superuser connection (CREATE/DROP DATABASE cannot run in a transaction)."""
        return psycopg.connect(host=self.host, port=self.port, user=self.user, password=self.password,
                               dbname=dbname, autocommit=True, connect_timeout=max(1, int(timeout)))

    def server_version(self) -> str:
        """The server's version number, e.g. ``17.6``: pages and reports show what they ran against."""
        with self.connect() as conn:
            return conn.execute("SHOW server_version").fetchone()[0].split()[0]

    def create_page_database(self, name: str) -> dict[str, str]:
        """A fresh database for one page, cloned from the template; returns its conninfo."""
        _check_name(name)
        with self.connect() as conn:
            conn.execute(sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(
                sql.Identifier(name), sql.Identifier(TEMPLATE_DATABASE)))
        return self.conninfo(name)

    def drop_database(self, name: str) -> None:
        """Drop a page's database even if the page left sessions open in it."""
        _check_name(name)
        with self.connect() as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


class PostgresServer(abc.ABC):
    """A server for one run. ``start()``, then hand ``conninfo()`` to pages; ``stop()`` always cleans up."""

    kind = "abstract"

    def __init__(self) -> None:
        self._password = secrets.token_urlsafe(24)
        self._admin: Admin | None = None
        self.version: str | None = None
        self.template_seconds: float | None = None

    def __repr__(self) -> str:
        where = f"{self._admin.host}:{self._admin.port}" if self._admin else "not started"
        return f"{type(self).__name__}({where}, version={self.version})"

    # Implementations: start the server process/container and return (host, port); stop and forget it.
    @abc.abstractmethod
    def _launch(self) -> tuple[str, int]: ...

    @abc.abstractmethod
    def _shutdown(self) -> None: ...

    def _diagnostics(self) -> str:
        return ""

    def start(self, timeout: float = 90) -> PostgresServer:
        """Start the server, wait until it accepts connections, make the template database."""
        atexit.register(self.stop)
        try:
            host, port = self._launch()
            self._admin = Admin(host=host, port=port, user=SUPERUSER, password=self._password)
            self._wait_ready(timeout)
            self.version = self._admin.server_version()
            self._make_template()
        except PostgresError:
            self.stop()
            raise
        except Exception as error:
            self.stop()
            raise PostgresError(f"{type(error).__name__}: {error}") from error
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        """Remove the server and everything it stored; safe to call twice or after a failed start."""
        atexit.unregister(self.stop)
        try:
            self._shutdown()
        finally:
            self._admin = None

    def __enter__(self) -> PostgresServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def describe(self) -> dict[str, str]:
        """What worker processes need to use this server (see :func:`attach`); contains the password."""
        return {"kind": self.kind, "version": self.version or "", **self.conninfo()}

    def pids(self) -> set[int]:
        """Host processes that belong to the server, which page cleanup must not kill."""
        return set()

    @property
    def admin(self) -> Admin:
        """Superuser access (also for handing to worker processes)."""
        if self._admin is None:
            raise RuntimeError("the server is not running")
        return self._admin

    def conninfo(self, dbname: str = "postgres") -> dict[str, str]:
        """PGHOST, PGPORT, PGUSER, PGPASSWORD, PGDATABASE for ``dbname``."""
        return self.admin.conninfo(dbname)

    def create_page_database(self, name: str) -> dict[str, str]:
        """A fresh database for one page (clone of the template); returns its conninfo."""
        return self.admin.create_page_database(name)

    def drop_database(self, name: str) -> None:
        """Drop a page's database, disconnecting whatever the page left connected."""
        self.admin.drop_database(name)

    def _wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        last: Exception | None = None
        while time.monotonic() < deadline:
            try:
                with self.admin.connect(timeout=3) as conn:
                    conn.execute("SELECT 1")
                return
            except psycopg.OperationalError as error:
                last = error
                time.sleep(0.25)
        # The error text names host and port only; libpq never echoes the password.
        raise TimeoutError(f"PostgreSQL did not accept connections within {timeout:.0f}s: {last}\n"
                           f"{self._diagnostics()}")

    def _make_template(self) -> None:
        started = time.monotonic()
        with self.admin.connect() as conn:
            conn.execute(sql.SQL("CREATE DATABASE {} TEMPLATE template0 ENCODING 'UTF8'").format(
                sql.Identifier(TEMPLATE_DATABASE)))
        with self.admin.connect() as conn:
            # No one may connect to it: a session in the template would make every clone fail.
            conn.execute(sql.SQL("ALTER DATABASE {} WITH IS_TEMPLATE true ALLOW_CONNECTIONS false").format(
                sql.Identifier(TEMPLATE_DATABASE)))
        self.template_seconds = time.monotonic() - started


def _server_args(options: dict[str, str]) -> list[str]:
    args = []
    for name, value in options.items():
        args += ["-c", f"{name}={value}"]
    return args


# --- container ------------------------------------------------------------------------------------

def _configure_testcontainers() -> None:
    """No Ryuk (the run sweeps by label itself) and connect via 127.0.0.1, where ports are published."""
    os.environ.setdefault("TESTCONTAINERS_RYUK_DISABLED", "true")
    os.environ.setdefault("TESTCONTAINERS_HOST_OVERRIDE", "127.0.0.1")
    from testcontainers.core.config import ConnectionMode, testcontainers_config

    # The configuration object reads some variables when first imported: set them on it as well.
    if testcontainers_config.tc_host_override is None:
        testcontainers_config.tc_host_override = os.environ["TESTCONTAINERS_HOST_OVERRIDE"]
    testcontainers_config.ryuk_disabled = os.environ["TESTCONTAINERS_RYUK_DISABLED"].lower() == "true"
    if testcontainers_config.connection_mode_override is None:
        testcontainers_config.connection_mode_override = ConnectionMode.docker_host


class ContainerPostgres(PostgresServer):
    """The guide's PostgreSQL image in a container (port 5432 published on 127.0.0.1, random port)."""

    kind = "container"

    def __init__(self, image: str, labels: dict[str, str] | None = None, name: str | None = None) -> None:
        super().__init__()
        self.image = image
        self.labels = dict(labels or {})
        self.name = name
        self._container = None

    def _launch(self) -> tuple[str, int]:
        _configure_testcontainers()
        from testcontainers.core.container import DockerContainer

        container = DockerContainer(self.image)
        container.with_env("POSTGRES_PASSWORD", self._password)
        container.ports["5432/tcp"] = ("127.0.0.1", None)  # loopback only, any free port
        container.with_command(["postgres", *_server_args(SERVER_OPTIONS)])
        container.with_kwargs(labels=self.labels)
        if self.name:
            container.with_name(self.name)
        self._container = container
        container.start()
        return container.get_container_host_ip(), int(container.get_exposed_port(5432))

    def _shutdown(self) -> None:
        container, self._container = self._container, None
        if container is not None and getattr(container, "_container", None) is not None:
            container.stop(force=True, delete_volume=True)

    def _diagnostics(self) -> str:
        if self._container is None:
            return ""
        try:
            out, err = self._container.get_logs()
        except Exception as error:  # noqa: BLE001  (diagnostics only)
            return f"(no container logs: {error})"
        lines = (out + err).decode(errors="replace").splitlines()
        return "container log (last lines):\n" + "\n".join(lines[-20:])

    @property
    def container_id(self) -> str | None:
        """The container's id while it runs (tests and diagnostics)."""
        if self._container is None or getattr(self._container, "_container", None) is None:
            return None
        return self._container.get_container_id()


# --- native ---------------------------------------------------------------------------------------

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


def attach(description: dict[str, str]) -> Admin:
    """Worker side: superuser access to the controller's server from its :meth:`describe`."""
    return Admin.from_conninfo(description)
