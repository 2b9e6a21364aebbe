"""The stand-in cloud API backends, started beside Docker and PostgreSQL.

They are written against the backend interface (interface.py); until the engine's registry starts
every backend, this module starts these two and lends their tiers to the run.
"""

from __future__ import annotations

from .aws_emulator import AwsEmulator
from .gcloud_requests import GcloudRequests
from .interface import Backend, BackendUnavailable

EMULATORS: tuple[type[Backend], ...] = (AwsEmulator, GcloudRequests)


def start(settings, say) -> tuple[list[Backend], dict[str, str]]:
    """Start each emulator backend; the started ones, and why each tier of the others is missing."""
    started, problems = [], {}
    for cls in EMULATORS:
        backend = cls(settings)
        try:
            backend.start()
        except BackendUnavailable as error:
            problems.update({tier: str(error) for tier in cls.tiers})
            continue
        leftovers = backend.sweep_leftovers()
        if leftovers:
            say(leftovers)
        problems.update(getattr(backend, "problems", {}))
        started.append(backend)
    return started, problems


def describe(started: list[Backend]) -> dict[str, dict]:
    return {backend.name: backend.describe() for backend in started}


def attach(settings, descriptions: dict[str, dict]) -> list[Backend]:
    attached = []
    for cls in EMULATORS:
        if cls.name in descriptions:
            backend = cls(settings)
            backend.attach(descriptions[cls.name])
            attached.append(backend)
    return attached
