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
import re
import secrets
import time
from dataclasses import dataclass

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


def attach(description: dict[str, str]) -> Admin:
    """Worker side: superuser access to the controller's server from its :meth:`describe`."""
    return Admin.from_conninfo(description)


# The two kinds of server, in modules of their own; imported here so callers need only this module.
from .postgres_container import ContainerPostgres  # noqa: E402
from .postgres_native import NativePostgres, find_native_bindir  # noqa: E402

__all__ = ["Admin", "ContainerPostgres", "NativePostgres", "PostgresError", "PostgresServer",
           "PostgresUnavailable", "attach", "find_native_bindir"]
