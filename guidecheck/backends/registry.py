"""Which backends the engine has, and the tiers they make: the one list of tiers.

The guide's own backends are registered at the bottom of this module, one line each, in the order
they start (a backend after those it ``uses``). A project can register its own in its ``conftest.py``
(``register("my_backend:MyBackend")``); see source/contributing/backends.md.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

from .interface import Backend

if TYPE_CHECKING:
    from ..blocks import Block

HERMETIC = "hermetic"
_HERMETIC_WORDS = "nothing beyond the machine's own tools"

_registered: list[type[Backend] | str] = []  # classes, or "module:Class" not yet imported
# Tiers that name an outside resource no backend of this engine provides: their blocks always skip.
_outside: dict[str, str] = {}


def register(backend: type[Backend] | str) -> None:
    """Register a Backend subclass, or ``"module:Class"`` (imported when first needed).

    A backend registered under a name already taken replaces the earlier one, in its start position.
    """
    if isinstance(backend, str) and ":" not in backend:
        raise ValueError(f"register a backend as 'module:Class', got {backend!r}")
    _registered.append(backend)


def outside(tier: str, words: str) -> None:
    """Declare a tier no backend provides (an outside resource): blocks needing it always skip."""
    _outside[tier] = words


def _load(entry: type[Backend] | str) -> type[Backend]:
    if not isinstance(entry, str):
        return entry
    module, _, attribute = entry.partition(":")
    loaded = getattr(importlib.import_module(module), attribute)
    if not (isinstance(loaded, type) and issubclass(loaded, Backend)):
        raise TypeError(f"{entry} is not a guidecheck Backend subclass")
    return loaded


def backends() -> list[type[Backend]]:
    """Every registered backend class, in start order."""
    _registered[:] = [_load(entry) for entry in _registered]
    by_name: dict[str, type[Backend]] = {}
    for cls in _registered:
        by_name[cls.name] = cls  # a later registration of a name replaces the earlier, in place
    return list(by_name.values())


def tiers() -> dict[str, str]:
    """Every tier a block may name, with what a reader is told it needs."""
    found = {HERMETIC: _HERMETIC_WORDS}
    for cls in backends():
        for tier, words in cls.tiers.items():
            if tier in found:
                raise ValueError(f"tier {tier!r} is provided by two backends ({cls.name} and another)")
            found[tier] = words
    return {**found, **_outside}


def strict_tiers() -> set[str]:
    """The tiers a strict run insists on."""
    return {HERMETIC} | {tier for cls in backends() if cls.strict for tier in cls.tiers}


def inferred(block: Block) -> list[str]:
    """The tiers backends infer for a block from what it does, in registration order."""
    return [tier for cls in backends() if (tier := cls.needs(block))]


def via(block: Block) -> str | None:
    """What a block runs against when a backend it needs stands in for the real target, else None."""
    needs = block.needs  # a property that asks every backend: once
    for cls in backends():
        for tier in sorted(needs & set(cls.tiers)):
            if words := cls.via(tier):
                return words
    return None


def environment_words(environment: dict) -> str:
    """A report's environment in a reader's words: one phrase per registered backend it names.

    A backend the report does not name (registered after the run) is left out: the run said nothing of it.
    """
    return ", ".join(cls.environment_words(environment[cls.name]) for cls in backends() if cls.name in environment)


# The guide's backends, in start order: one line each.
register("guidecheck.backends.docker_engine:DockerEngine")
register("guidecheck.backends.postgres_server:PostgresBackend")
register("guidecheck.backends.meshhook:MeshHook")
register("guidecheck.backends.kubernetes:Kubernetes")
register("guidecheck.backends.aws_emulator:AwsEmulator")
register("guidecheck.backends.terraform:Terraform")
register("guidecheck.backends.gcloud_requests:GcloudRequests")
register("guidecheck.backends.browser:Browser")
outside("cloud", "a Supabase Cloud project and its credentials")
