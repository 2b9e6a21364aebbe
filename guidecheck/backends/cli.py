"""The one way the backends talk to the Docker engine: its CLI, as the pages do."""

from __future__ import annotations

import shutil
import subprocess


class DockerError(RuntimeError):
    """The engine refused or failed an operation the run needs (build, sweep, marker)."""


def docker(*args: str, timeout: float = 60, check: bool = True, **kwargs) -> subprocess.CompletedProcess[str]:
    """Run ``docker ARGS`` with no standard input; with ``check``, a non-zero exit is a DockerError."""
    binary = shutil.which("docker")
    if binary is None:
        raise DockerError("docker CLI not found on PATH")
    try:
        result = subprocess.run([binary, *args], capture_output=True, text=True, timeout=timeout,
                                stdin=subprocess.DEVNULL, **kwargs)
    except subprocess.TimeoutExpired:
        raise DockerError(f"docker {args[0]} did not finish within {timeout:.0f}s") from None
    if check and result.returncode != 0:
        raise DockerError(f"docker {' '.join(args[:2])} failed: {result.stderr.strip()}")
    return result
