"""Backends the checks run against: a Docker engine and a PostgreSQL server for the run.

``docker``   engine detection, the run's labels, sweeping leftovers;
``errors``   DockerError, shared by docker and images;
``shim``     the ``docker`` wrapper that labels what pages create;
``images``   content-keyed builds of the images the engine itself needs;
``postgres`` the run's PostgreSQL server (container or native) and per-page databases.
"""

from .docker import (SweepReport, compose_project_name, engine_version, register_run, run_labels,
                     sweep)
from .errors import DockerError
from .images import BuildError, BuildResult, build_image
from .postgres import (Admin, ContainerPostgres, NativePostgres, PostgresError, PostgresServer,
                       PostgresUnavailable, attach, start_postgres)
from .shim import write_docker_shim

__all__ = [
    "Admin", "BuildError", "BuildResult", "ContainerPostgres", "DockerError", "NativePostgres",
    "PostgresError", "PostgresServer", "PostgresUnavailable", "SweepReport", "attach", "build_image",
    "compose_project_name", "engine_version", "register_run", "run_labels", "start_postgres", "sweep",
    "write_docker_shim",
]
