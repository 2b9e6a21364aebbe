"""The run's PostgreSQL server in a container of the guide's own image (see postgres.py)."""

from __future__ import annotations

import os

from .postgres import SERVER_OPTIONS, PostgresServer, _server_args


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
