"""The Docker engine as a backend: the ``docker`` tier.

Pages reach the engine through the shim (``shim.py``), which labels what they create so that each
page's leftovers go when the page ends and a killed run's go at the next run's start (``docker.py``).
Runs whose pages drive the engine take turns on it (``engine_lock.py``). The guide's own images that
the selected pages name (Dockerfile blocks with ``:image:``) are built, or found cached, at the start.
"""

from __future__ import annotations

import re
import shutil
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from ..vocabulary import FILE
from . import docker, images, shim
from .cli import DockerError
from .engine_lock import EngineLock
from .interface import Backend, BackendUnavailable, Plan

if TYPE_CHECKING:
    from ..blocks import Block
    from ..page import PageSession

# A command word ``docker`` at the start of a command (after a prompt, a pipe, ``&&``, ``$(``…).
_USES_DOCKER = re.compile(r"(?:^|[;&|(]|\$\(|^\$|^>)\s*(?:sudo\s+)?docker\b", re.MULTILINE)


def image_recipes(pages: dict[str, str]) -> dict[str, Block]:
    """Dockerfile blocks that name an image the engine itself builds (``:image:``), by tag."""
    from ..blocks import Block, page_blocks

    found = {}
    for page, text in sorted(pages.items()):
        for block in page_blocks(text, page):
            if isinstance(block, Block) and block.options.image:
                found[block.options.image] = block
    return found


def guide_pages(root: Path) -> dict[str, str]:
    """Every page of the guide, by path relative to the root (undecodable bytes replaced)."""
    from ..pages import SOURCE, page_name, pages_under

    return {page_name(path, root): path.read_bytes().decode(errors="replace")
            for path in pages_under(root / SOURCE)}


class DockerEngine(Backend):
    name = "docker"
    tiers = {"docker": "a Docker engine"}

    def __init__(self, settings) -> None:
        super().__init__(settings)
        self.version: str | None = None
        self.shim_dir: Path | None = None
        self._lock: EngineLock | None = None
        self._recipes: dict[str, Block] | None = None
        self._built: set[str] = set()  # tags built (or found cached) this run
        self._failed: dict[str, DockerError] = {}  # tags whose build failed this run, and why

    @classmethod
    def needs(cls, block: Block) -> str | None:
        runs = block.options.check or "" if block.kind == FILE else block.body  # a file runs its :check:
        return "docker" if _USES_DOCKER.search(runs) else None

    def start(self, plan: Plan) -> None:
        self.version = docker.engine_version()
        if not self.version:
            raise BackendUnavailable("no Docker engine answers here (scripts/bootstrap-engine.sh starts one)")
        if plan.needs("docker"):  # pages that drive the engine themselves: one run at a time
            self._lock = EngineLock()
            self._lock.acquire(plan.say)
        run_id, pid = self.settings.run_id, self.settings.controller_pid
        docker.register_run(run_id, pid)
        self.shim_dir = Path(tempfile.mkdtemp(prefix=f"guide-{run_id}-shim-"))
        shim.write_docker_shim(self.shim_dir, docker.run_labels(run_id, pid))
        texts = plan.pages.values()
        for tag in sorted(self.recipes()):
            if any(tag in text for text in texts):
                try:
                    self.build(tag, plan)
                except DockerError:
                    pass  # said on the log; the blocks that use the image fail, naming it

    def recipes(self) -> dict[str, Block]:
        """The guide's Dockerfile blocks with ``:image:``, read once a run."""
        if self._recipes is None:
            self._recipes = image_recipes(guide_pages(self.settings.root))
        return self._recipes

    def build(self, tag: str, plan: Plan) -> None:
        """Build one of the guide's own images from its block alone (cached when unchanged)."""
        if tag in self._built:
            return
        if tag in self._failed:  # said on the log already; a second try would take as long to fail
            raise self._failed[tag]
        recipe = self.recipes().get(tag)
        if recipe is None:
            raise DockerError(f"no Dockerfile block carries :image: {tag}")
        plan.say(f"building {tag} from {recipe.where} (cached when unchanged)")
        with tempfile.TemporaryDirectory() as build_dir:
            try:
                images.build_image(recipe.body, Path(build_dir), tag)
            except DockerError as error:
                plan.say(f"building {tag} failed: {error}")
                self._failed[tag] = error
                raise
        self._built.add(tag)

    def sweep_leftovers(self) -> str:
        swept = docker.sweep()
        return f"removed {swept} leftovers of interrupted runs" if swept else ""

    def describe(self) -> dict:
        return {"version": self.version, "shim_dir": str(self.shim_dir)}

    def attach(self, description: dict) -> None:
        self.version = description["version"]
        self.shim_dir = Path(description["shim_dir"])

    def page_path(self) -> list[str]:
        return [str(self.shim_dir)] if self.shim_dir else []

    def page_environment(self, page: PageSession) -> dict[str, str]:
        return {"COMPOSE_PROJECT_NAME": docker.compose_project_name(self.settings.run_id, page.key),
                docker.PAGE_ENV: page.key}  # read by the shim

    def release_page(self, page: PageSession) -> None:
        docker.sweep(run_id=self.settings.run_id, page=page.key)

    def stop(self) -> None:
        try:
            if self.version:
                docker.sweep(run_id=self.settings.run_id)
        finally:
            if self.shim_dir:
                shutil.rmtree(self.shim_dir, ignore_errors=True)
            if self._lock:
                self._lock.release()

    def report_environment(self) -> str | None:
        return self.version

    @classmethod
    def environment_words(cls, value) -> str:
        return f"Docker {value}" if value else "no Docker engine"
