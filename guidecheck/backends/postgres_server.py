"""The run's PostgreSQL server as a backend: the ``postgres`` tier, one fresh database per page.

The server runs the guide's own image, built from the Dockerfile block that carries ``:image:``, so
the SQL of every page runs on exactly what the guide tells readers to build. With no Docker engine, a
native PostgreSQL on the machine stands in (its version is in the report). The server itself is in
``postgres.py``, imported only when a run needs it (psycopg and testcontainers are slow to import).
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from ..vocabulary import PSQL, SQL
from .cli import DockerError
from .interface import Backend, BackendUnavailable, Plan

if TYPE_CHECKING:
    from ..blocks import Block
    from ..page import PageSession

IMAGE = os.environ.get("GUIDE_POSTGRES_IMAGE", "meshhook-guide/postgres:17")


class PostgresBackend(Backend):
    name = "postgres"
    tiers = {"postgres": "a PostgreSQL server"}
    uses = ("docker",)

    def __init__(self, settings) -> None:
        super().__init__(settings)
        self.server = None  # controller: a postgres.PostgresServer
        self.admin = None  # every process: a postgres.Admin for page databases
        self.version: str | None = None
        self._databases: dict[str, str] = {}  # page key -> its database

    @classmethod
    def needs(cls, block: Block) -> str | None:
        return "postgres" if block.kind in (SQL, PSQL) else None

    def start(self, plan: Plan) -> None:
        from . import docker, postgres

        engine = plan.started.get("docker")
        if engine is not None:
            try:
                engine.build(IMAGE, plan)
            except DockerError as error:
                raise BackendUnavailable(f"building {IMAGE} failed: {error}") from None
            # The run's labels: the engine's sweep takes the server's container with the run.
            labels = docker.run_labels(self.settings.run_id, self.settings.controller_pid)
            self.server = postgres.ContainerPostgres(IMAGE, labels)
        else:
            self.server = postgres.NativePostgres.if_available()
            if self.server is None:
                raise BackendUnavailable("no Docker engine to run the guide's PostgreSQL image in, and no "
                                         "PostgreSQL server binaries on this machine")
        try:
            self.server.start()
        except postgres.PostgresError as error:
            self.server = None
            raise BackendUnavailable(f"PostgreSQL did not start: {error}") from None
        self.admin = self.server.admin
        self.version = self.server.version

    def describe(self) -> dict:
        return {"version": self.version, **self.server.describe()}

    def attach(self, description: dict) -> None:
        from . import postgres

        self.admin = postgres.attach(description)
        self.version = description["version"]

    def page_environment(self, page: PageSession) -> dict[str, str]:
        name = f"p_{page.key}"
        environment = self.admin.create_page_database(name)
        self._databases[page.key] = name
        return environment

    def release_page(self, page: PageSession) -> None:
        name = self._databases.pop(page.key, None)
        if name:
            self.admin.drop_database(name)

    def protected_pids(self) -> set[int]:
        return self.server.pids() if self.server is not None else set()

    def stop(self) -> None:
        if self.server is not None:
            self.server.stop()

    def report_environment(self) -> str | None:
        return self.version

    @classmethod
    def environment_words(cls, value) -> str:
        return f"PostgreSQL {value}" if value else "no PostgreSQL server"

