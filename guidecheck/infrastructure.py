"""Start, share and stop what a run's pages run on: the Docker engine's shim, the guide's images and
one PostgreSQL server.

The PostgreSQL server runs the guide's own image, built from the Dockerfile block that carries
``:image:`` — so the SQL of every page runs on exactly what the guide tells readers to build. With no
Docker engine, a native PostgreSQL on the machine stands in (its version is in the report).
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

from .blocks import Block, page_blocks
from .run import RunContext, Settings

POSTGRES_IMAGE = os.environ.get("GUIDE_POSTGRES_IMAGE", "meshhook-guide/postgres:17")


def image_blocks(root: Path) -> dict[str, Block]:
    """Dockerfile blocks that name an image the engine itself uses, by tag."""
    found = {}
    for path in sorted((root / "source").rglob("*.md")):
        page = path.relative_to(root).as_posix()
        for block in page_blocks(path.read_text(), page):
            if isinstance(block, Block) and block.options.image:
                found[block.options.image] = block
    return found


def _say(message: str) -> None:
    print(f"guidecheck: {message}", file=sys.stderr, flush=True)


def _needs_postgres(pages: list[Path], root: Path) -> bool:
    for path in pages:
        page = path.relative_to(root).as_posix() if path.is_relative_to(root) else path.name
        if any(isinstance(b, Block) and b.uses_postgres and not b.options.skip
               for b in page_blocks(path.read_text(), page)):
            return True
    return False


def _wanted_images(pages: list[Path], root: Path, wants_postgres: bool) -> dict[str, Block]:
    """The guide's own images this run needs: the server's, and any a selected page names."""
    recipes = image_blocks(root)
    texts = [path.read_text() for path in pages]
    wanted = {tag: block for tag, block in recipes.items() if any(tag in text for text in texts)}
    if wants_postgres and POSTGRES_IMAGE in recipes:
        wanted[POSTGRES_IMAGE] = recipes[POSTGRES_IMAGE]
    return wanted


def _build_images(recipes: dict[str, Block], context: RunContext) -> set[str]:
    """Build (or find cached) each image from its Dockerfile block alone; the tags that are ready."""
    from .backends import images
    from .backends.cli import DockerError

    ready = set()
    for tag, recipe in sorted(recipes.items()):
        _say(f"building {tag} from {recipe.where} (cached when unchanged)")
        with tempfile.TemporaryDirectory() as build_dir:
            try:
                images.build_image(recipe.body, Path(build_dir), tag)
                ready.add(tag)
            except DockerError as error:
                _say(f"building {tag} failed: {error}")
                if tag == POSTGRES_IMAGE:
                    context.problems["postgres"] = f"building {tag} failed: {error}"
    return ready


def start(settings: Settings, pages: list[Path], use_backends: bool) -> RunContext:
    """Controller side: sweep what killed runs left, build images, start the shared PostgreSQL."""
    context = RunContext(settings)
    if not use_backends:
        return context
    wants_postgres = _needs_postgres(pages, settings.root)
    from .backends import docker, emulators, postgres, shim

    context.emulators, problems = emulators.start(settings, _say)
    context.problems.update(problems)

    labels = docker.run_labels(settings.run_id, settings.controller_pid)
    version = docker.engine_version()
    server = None
    if version:
        docker.register_run(settings.run_id, settings.controller_pid)
        swept = docker.sweep()
        if swept:
            _say(f"removed {swept} leftovers of interrupted runs")
        context.shim_dir = Path(tempfile.mkdtemp(prefix=f"guide-{settings.run_id}-shim-"))
        shim.write_docker_shim(context.shim_dir, labels)
        built = _build_images(_wanted_images(pages, settings.root, wants_postgres), context)
        if wants_postgres and POSTGRES_IMAGE in built:
            server = postgres.ContainerPostgres(POSTGRES_IMAGE, labels)
        elif wants_postgres and "postgres" not in context.problems:
            context.problems["postgres"] = f"no Dockerfile block carries :image: {POSTGRES_IMAGE}"
    elif wants_postgres:
        server = postgres.NativePostgres.if_available()
    if server is not None:
        try:
            server.start()
        except postgres.PostgresError as error:
            context.problems["postgres"] = f"PostgreSQL did not start: {error}"
            server = None
    context.docker_version = version
    context.postgres = server
    context.postgres_version = server.version if server else None
    context.refresh()
    return context


def describe(context: RunContext) -> dict:
    """What a worker needs to use the controller's backends."""
    from .backends import emulators
    return {
        "docker_version": context.docker_version,
        "postgres": context.postgres.describe() if context.postgres else None,
        "postgres_version": context.postgres_version,
        "shim_dir": str(context.shim_dir) if context.shim_dir else None,
        "problems": context.problems,
        "emulators": emulators.describe(context.emulators),
    }


def attach(settings: Settings, backends: dict) -> RunContext:
    """Worker side: use what the controller started."""
    context = RunContext(settings)
    if backends["postgres"]:
        from .backends import postgres
    context.docker_version = backends["docker_version"]
    context.postgres = postgres.attach(backends["postgres"]) if backends["postgres"] else None
    context.postgres_version = backends["postgres_version"]
    context.shim_dir = Path(backends["shim_dir"]) if backends["shim_dir"] else None
    context.problems = dict(backends["problems"])
    from .backends import emulators
    context.emulators = emulators.attach(settings, backends.get("emulators", {}))
    context.refresh()
    return context


def stop(context: RunContext) -> None:
    """Controller side: stop the server and remove everything this run created."""
    try:
        if context.postgres is not None:
            context.postgres.stop()
    finally:
        if context.docker_version:
            from .backends import docker
            docker.sweep(run_id=context.settings.run_id)
        if context.shim_dir:
            for child in context.shim_dir.iterdir():
                child.unlink()
            context.shim_dir.rmdir()
