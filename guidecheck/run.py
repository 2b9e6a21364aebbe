"""What one verification run has to offer its pages: settings, and the backends it started."""

from __future__ import annotations

import os
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from .backends import registry

if TYPE_CHECKING:
    from .backends.interface import Backend
    from .blocks import Block
    from .page import PageSession


@dataclass
class Settings:
    root: Path
    strict: bool = False
    update: bool = False
    run_id: str = ""
    controller_pid: int = 0

    def shared(self) -> dict:
        """What a worker process needs of these settings (its own root is its rootdir)."""
        return {name: value for name, value in asdict(self).items() if name != "root"}

    @classmethod
    def from_shared(cls, shared: dict, root: Path) -> Settings:
        return cls(**{**shared, "root": root})


@dataclass
class RunContext:
    """Lives in each test process: the backends on offer there, and why the others are not."""

    settings: Settings
    backends: dict[str, Backend] = field(default_factory=dict)  # started (or attached) ones, by name
    problems: dict[str, str] = field(default_factory=dict)  # backend name -> why it is not on offer

    @property
    def available(self) -> set[str]:
        return {registry.HERMETIC}.union(*(backend.provides() for backend in self.backends.values()))

    def missing(self, block: Block) -> list[str]:
        """The tiers a block needs that this run cannot offer."""
        return sorted(block.needs - self.available)

    def strict_failure(self, missing: list[str]) -> bool:
        return self.settings.strict and bool(set(missing) & registry.strict_tiers())

    def reason(self, missing: list[str]) -> str:
        """Why a block does not run: what it needs, in a reader's words, and what went wrong."""
        words = registry.tiers()
        owners = {tier: cls.name for cls in registry.backends() for tier in cls.tiers}
        why = "; ".join(dict.fromkeys(self.problems[owners[tier]] for tier in missing
                                      if owners.get(tier) in self.problems))
        return "needs " + " and ".join(words[tier] for tier in missing) + (f" ({why})" if why else "")

    # -- per page ------------------------------------------------------------------------------

    def page_environment(self, page: PageSession) -> dict[str, str]:
        # python3 is the interpreter running the tests (as in tox's env), so the guide's own tools import.
        path = [directory for backend in self.backends.values() for directory in backend.page_path()]
        env = {"PATH": ":".join([*path, str(Path(sys.executable).parent), os.environ.get("PATH", "")])}
        for backend in self.backends.values():
            env.update(backend.page_environment(page))
        return env

    def release_page(self, page: PageSession) -> None:
        """Every backend releases the page, even when one of them fails to."""
        errors = []
        for backend in reversed(list(self.backends.values())):
            try:
                backend.release_page(page)
            except Exception as error:  # noqa: BLE001  (re-raised below, after the others ran)
                errors.append(error)
        if errors:
            raise errors[0]

    def protected_pids(self) -> set[int]:
        return set().union(*(backend.protected_pids() for backend in self.backends.values()))
