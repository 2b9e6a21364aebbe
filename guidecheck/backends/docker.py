"""The Docker engine as a backend: is there one, which run owns what, and removing what runs left.

Every resource a run creates carries :func:`run_labels`. The controller's pid is one of them,
so a later run (or a crashed one's successor) can tell leftovers of dead runs from resources of runs
still going on the same engine, and :func:`sweep` removes only the former. Compose projects are
recognised by name instead (``gc-<run id>-…``): the session names them, the shim does not label them.
"""

from __future__ import annotations

import json
import os
import re
import socket
from dataclasses import dataclass, field

from .cli import DockerError
from .cli import docker as _docker
from .images import CACHE_LABEL

RUN_LABEL = "guidecheck.run"
PID_LABEL = "guidecheck.pid"
PAGE_LABEL = "guidecheck.page"  # set by the shim from the variable PAGE_ENV
PAGE_ENV = "GUIDE_PAGE_LABEL"  # the page's key in a page's environment, for the shim
HOST_LABEL = "guidecheck.host"
COMPOSE_PROJECT_LABEL = "com.docker.compose.project"
# The project name under which pages' Compose builds run (the shim gives it): one for every page and run,
# so that Compose, which labels what it builds with the project, builds the same image for each of them.
BUILD_PROJECT = "guidecheck-builds"
# A run's marker volume: lets a later sweep know whether the run owning gc-<id>-* projects is alive.
MARKER_PREFIX = "guidecheck-run-"
_COMPOSE_PROJECT = re.compile(r"^gc-([0-9a-f]{8,32})-")
_RUN_ID = re.compile(r"^[0-9a-f]{8,32}$")



def engine_version(timeout: float = 10) -> str | None:
    """The engine's server version, or None when no engine answers: decides whether docker tiers run."""
    try:  # no CLI is a DockerError too
        result = _docker("version", "--format", "{{.Server.Version}}", timeout=timeout, check=False)
    except (OSError, DockerError):
        return None
    version = result.stdout.strip()
    return version if result.returncode == 0 and version else None


def run_labels(run_id: str, controller_pid: int) -> dict[str, str]:
    """Labels put on everything a run creates: which run, and which process must be alive for it."""
    if not _RUN_ID.match(run_id):
        raise ValueError(f"not a run id (8-32 lowercase hex digits): {run_id!r}")
    return {RUN_LABEL: run_id, PID_LABEL: str(controller_pid), HOST_LABEL: socket.gethostname()}


def compose_project_name(run_id: str, page_key: str) -> str:
    """The COMPOSE_PROJECT_NAME of one page: the sweep recognises a page's compose resources by it."""
    return f"gc-{run_id}-{page_key}".replace("_", "-").lower()[:60]


def register_run(run_id: str, controller_pid: int) -> None:
    """Leave a labelled marker volume on the engine, so that a concurrent run's sweep knows this run
    is alive even while it has nothing but compose projects (which carry no run labels)."""
    args = ["volume", "create"]
    for key, value in run_labels(run_id, controller_pid).items():
        args += ["--label", f"{key}={value}"]
    result = _docker(*args, MARKER_PREFIX + run_id, check=False)
    if result.returncode != 0:
        raise DockerError(f"cannot create the run marker volume: {result.stderr.strip()}")


def pid_alive(pid: int) -> bool:
    """Whether a process with this pid exists on this machine."""
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _owner_dead(labels: dict[str, str]) -> bool:
    """A resource is a leftover when the run that made it has ended (on this machine)."""
    if labels.get(HOST_LABEL, socket.gethostname()) != socket.gethostname():
        return False  # another machine's run on a shared engine: not ours to judge
    try:
        return not pid_alive(int(labels.get(PID_LABEL, "")))
    except ValueError:
        return True


def _list(kind: str, *filters: str) -> list[dict]:
    """Resources of one kind (container, network, volume, image) with their labels."""
    args = {"container": ["ps", "-a", "--no-trunc"], "network": ["network", "ls", "--no-trunc"],
            "volume": ["volume", "ls"], "image": ["image", "ls", "--no-trunc"]}[kind]
    for item in filters:
        args += ["--filter", item]
    ident = "{{.Name}}" if kind == "volume" else "{{.ID}}"
    result = _docker(*args, "--format", ident)
    names = list(dict.fromkeys(line for line in result.stdout.split() if line))
    if not names:
        return []
    inspected = _docker(kind, "inspect", *names, check=False)
    items = json.loads(inspected.stdout or "[]")
    rows = []
    for item in items:
        labels = item.get("Labels") or (item.get("Config") or {}).get("Labels") or {}
        rows.append({"id": item.get("Id") or item.get("Name"), "name": item.get("Name", ""),
                     "labels": labels})
    return rows


def _remove_unused_built_images() -> list[str]:
    """Untagged images that runs built, whichever run, unless a container still uses one.

    A build that changes what a tag names leaves the previous image untagged (new content, or the same
    content built with other labels: by the engine and by a page, or by Compose and by a plain build):
    nothing can name it again, so it is garbage once no container runs it. Ours are those the shim or
    the engine labelled (``CACHE_LABEL``) and those Compose built for a page or under ``BUILD_PROJECT``.
    Not forced, so one still in use stays for a later sweep.
    """
    def ours(labels: dict[str, str]) -> bool:
        project = labels.get(COMPOSE_PROJECT_LABEL, "")
        return CACHE_LABEL in labels or project == BUILD_PROJECT or bool(_COMPOSE_PROJECT.match(project))

    built = [row["id"] for row in _list("image", "dangling=true") if ours(row["labels"])]
    if not built:
        return []
    _docker("image", "rm", *built, check=False, timeout=300)
    still_there = {row["id"] for row in _list("image", "dangling=true")}
    return [image for image in built if image not in still_there]


@dataclass
class SweepReport:
    """What a sweep removed, by kind (ids or names), for the run's log."""

    containers: list[str] = field(default_factory=list)
    networks: list[str] = field(default_factory=list)
    volumes: list[str] = field(default_factory=list)
    images: list[str] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.containers or self.networks or self.volumes or self.images)

    def __str__(self) -> str:
        counts = [(len(self.containers), "container"), (len(self.networks), "network"),
                  (len(self.volumes), "volume"), (len(self.images), "image")]
        return ", ".join(f"{n} {kind}{'s' if n != 1 else ''}" for n, kind in counts if n) or "nothing"


def sweep(run_id: str | None = None, page: str | None = None) -> SweepReport:
    """Remove what runs left on the engine.

    ``sweep()``: everything of runs whose controller process is gone (start of a run: crashed runs).
    ``sweep(run_id)``: everything of that run (end of the run). ``sweep(run_id, page=key)``: what one
    page created (labelled with its key by the shim, or in its compose project), when the page ends.
    Images: those Compose named after a page's project, and untagged ones that runs built (see
    :func:`_remove_unused_built_images`); a tag of the guide's own images (``meshhook-guide/…``) stays,
    shared by pages and runs as a cache.
    """
    if run_id is not None and not _RUN_ID.match(run_id):
        raise ValueError(f"not a run id: {run_id!r}")
    if page is not None and run_id is None:
        raise ValueError("a page sweep needs the run id")
    page_project = compose_project_name(run_id, page) if page is not None else None
    report = SweepReport()

    # Which runs are over: from labelled resources, marker volumes included.
    live_runs: set[str] = set()

    def doomed(labels: dict[str, str]) -> bool:
        owner = labels.get(RUN_LABEL, "")
        if page is not None:
            return owner == run_id and labels.get(PAGE_LABEL) == page
        if run_id is not None:
            return owner == run_id
        if _owner_dead(labels):
            return True
        live_runs.add(owner)
        return False

    def doomed_project(labels: dict[str, str]) -> bool:
        project = labels.get(COMPOSE_PROJECT_LABEL, "")
        if page_project is not None:
            return project == page_project
        match = _COMPOSE_PROJECT.match(project)
        if not match:
            return False
        if run_id is not None:
            return match.group(1) == run_id
        return match.group(1) not in live_runs

    # First judge everything labelled (this also learns which runs are alive), then compose projects.
    # Images are not among them: see _remove_unused_built_images.
    labelled = {kind: _list(kind, f"label={RUN_LABEL}") for kind in ("volume", "container", "network")}
    chosen = {kind: [r for r in rows if doomed(r["labels"])] for kind, rows in labelled.items()}
    for kind in ("container", "network", "volume"):
        seen = {r["id"] for r in chosen[kind]}
        chosen[kind] += [r for r in _list(kind, f"label={COMPOSE_PROJECT_LABEL}")
                         if r["id"] not in seen and doomed_project(r["labels"])]

    if chosen["container"]:
        report.containers = sorted({c["id"] for c in chosen["container"]})
        _docker("rm", "-f", "-v", *report.containers, check=False, timeout=120)
    if chosen["network"]:
        report.networks = sorted({n["name"] or n["id"] for n in chosen["network"]})
        _docker("network", "rm", *report.networks, check=False)
    if chosen["volume"]:
        report.volumes = sorted({v["id"] for v in chosen["volume"]})
        _docker("volume", "rm", "-f", *report.volumes, check=False)
    # Images Compose built for a page's project are named after it (<project>-<service>): the run's own.
    def compose_built_by_doomed_project(reference: str) -> bool:
        repository = reference.rsplit(":", 1)[0]
        if page_project is not None:
            return repository.startswith(page_project + "-")
        if run_id is not None and repository.startswith(BUILD_PROJECT + "-"):
            return True  # built by `compose build` for any page; not forced below, so one in use stays
        return _COMPOSE_PROJECT.match(repository) is not None and doomed_project(
            {COMPOSE_PROJECT_LABEL: repository})

    references = _docker("image", "ls", "--format", "{{.Repository}}:{{.Tag}}").stdout.split()
    compose_built = [ref for ref in references if compose_built_by_doomed_project(ref)]
    if compose_built:
        _docker("image", "rm", *compose_built, check=False, timeout=120)
        still_tagged = set(_docker("image", "ls", "--format", "{{.Repository}}:{{.Tag}}").stdout.split())
        report.images += [ref for ref in compose_built if ref not in still_tagged]
    report.images += _remove_unused_built_images()
    return report
