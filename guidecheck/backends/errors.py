"""The one exception the engine catches from Docker operations, shared so builds and sweeps agree."""


class DockerError(RuntimeError):
    """The engine refused or failed an operation the run needs (build, sweep, marker)."""
