"""What one verification run has to offer its pages: settings, tiers available, backends."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from .vocabulary import TIERS

if TYPE_CHECKING:
    from .blocks import Block
    from .page import PageSession

# The tiers a strict run insists on: skipping one of these fails the run.
STRICT_TIERS = ("hermetic", "docker", "postgres")


@dataclass
class Settings:
    root: Path
    strict: bool = False
    update: bool = False
    meshhook: Path | None = None  # a MeshHook checkout
    run_id: str = ""
    controller_pid: int = 0

    def shared(self) -> dict:
        """What a worker process needs of these settings (its own root is its rootdir)."""
        return {"strict": self.strict, "update": self.update,
                "meshhook": str(self.meshhook) if self.meshhook else None,
                "run_id": self.run_id, "controller_pid": self.controller_pid}

    @classmethod
    def from_shared(cls, shared: dict, root: Path) -> Settings:
        meshhook = shared["meshhook"]
        return cls(**{**shared, "root": root, "meshhook": Path(meshhook) if meshhook else None})

    @property
    def expected_tiers(self) -> set[str]:
        expected = set(STRICT_TIERS)
        if self.meshhook:
            expected.add("meshhook")
        return expected


@dataclass
class RunContext:
    """Lives in each test process; backends are handles on what the controller started."""

    settings: Settings
    docker_version: str | None = None
    postgres: object | None = None  # a backends.postgres server, when one runs
    postgres_version: str | None = None
    shim_dir: Path | None = None
    available: set[str] = field(default_factory=set)
    problems: dict[str, str] = field(default_factory=dict)  # tier -> why its backend is missing
    emulators: list = field(default_factory=list)  # stand-in cloud API backends (backends.emulators)

    def __post_init__(self) -> None:
        self.refresh()

    def refresh(self) -> None:
        """Recompute the tiers on offer from the backends now attached."""
        self.available = {"hermetic"}
        if self.docker_version:
            self.available.add("docker")
        if self.postgres is not None:
            self.available.add("postgres")
        if self.settings.meshhook and (self.settings.meshhook / "package.json").is_file():
            self.available.add("meshhook")
        for backend in self.emulators:
            self.available |= backend.provides()

    def missing(self, block: Block) -> list[str]:
        """The tiers a block needs that this run cannot offer."""
        needs = {block.tier}
        if block.uses_docker:
            needs.add("docker")
        if block.uses_postgres:
            needs.add("postgres")
        return sorted(needs - self.available)

    def strict_failure(self, missing: list[str]) -> bool:
        return self.settings.strict and bool(set(missing) & self.settings.expected_tiers)

    def reason(self, missing: list[str]) -> str:
        why = "; ".join(self.problems[tier] for tier in missing if tier in self.problems)
        return "needs " + " and ".join(TIERS[tier] for tier in missing) + (f" ({why})" if why else "")

    # -- per page ------------------------------------------------------------------------------

    def page_environment(self, page: PageSession) -> dict[str, str]:
        env: dict[str, str] = {}
        # python3 is the interpreter running the tests (as in tox's env), so the guide's own tools import.
        path = [str(Path(sys.executable).parent), os.environ.get("PATH", "")]
        if self.shim_dir:
            path.insert(0, str(self.shim_dir))
        env["PATH"] = ":".join(path)
        if self.docker_version:
            from .backends import docker
            env["COMPOSE_PROJECT_NAME"] = docker.compose_project_name(self.settings.run_id, page.key)
            env["GUIDE_PAGE_LABEL"] = page.key  # read by the docker shim
        if self.postgres is not None:
            page.database = f"p_{page.key}"
            self.postgres.create_page_database(page.database)
            env.update(self.postgres.conninfo(page.database))
        if "meshhook" in self.available:
            env["MESHHOOK_DIR"] = str(self.settings.meshhook)
        for backend in self.emulators:
            env.update(backend.page_environment(page))
        return env

    def release_page(self, page: PageSession) -> None:
        for backend in self.emulators:
            backend.release_page(page)
        if self.docker_version:
            from .backends import docker
            docker.sweep(run_id=self.settings.run_id, page=page.key)
        if self.postgres is not None and page.database:
            self.postgres.drop_database(page.database)

    def protected_pids(self) -> set[int]:
        pids = getattr(self.postgres, "pids", None)
        return set(pids() if callable(pids) else ()).union(*(b.protected_pids() for b in self.emulators))


def meshhook_commit(checkout: Path | None) -> str | None:
    if not checkout:
        return None
    try:
        return subprocess.run(["git", "-C", str(checkout), "rev-parse", "HEAD"], capture_output=True,
                              text=True, check=True, timeout=10).stdout.strip() or None
    except (OSError, subprocess.SubprocessError):
        return None
