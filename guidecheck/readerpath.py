"""The reader path: the core pages in reading order, typed into one terminal on a bare Debian machine.

Page runs give every page a fresh directory, a database of its own and the run's MeshHook checkout. A
reader has none of that: they start from a bare machine, install what the prerequisites page says,
and carry one directory, one shell and whatever earlier pages made from page to page. This run does
the same: every block of the core pages, in order, in one session inside a ``debian:trixie-slim``
container, with no per-page provisioning, ending with the compose page's smoke test.

What the container gets from this machine, because a test cannot get it otherwise:
- this machine's Docker engine, through its socket (a reader installs Debian's ``docker.io``);
- the clone of MeshHook from GitHub, served from the run's checkout at the pinned commit (git's
  ``url.<base>.insteadOf``), since the machines that verify the guide cannot reach GitHub;
- this machine's CA bundle, added to the container's trust store when the prerequisites install
  ``ca-certificates`` (what a reader behind a TLS-inspecting proxy does with their proxy's CA);
- the host network, so that ports published on 127.0.0.1 answer as on the reader's machine;
- a compose project name and the docker shim's labels, so that everything is removed afterwards.

File blocks are saved and parsed as a reader's editor would save them; their ``:check:`` commands use
the guide's own tools, which a reader does not have, and run in the page runs instead.

    python3 -m guidecheck.readerpath       # needs Docker; MeshHook as the page runs obtain it
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace

from . import files
from .backends import docker, shim
from .backends.cli import docker as run_docker
from .blocks import Block, read_blocks
from .pages import SOURCE
from .containershell import ContainerShell
from .evaluate import Failure, run_block
from .page import _TERMINAL
from .redact import redact
from .backends import meshhook_source
from .backends.meshhook import upstream_mirror
from .vocabulary import FILE, SCREENSHOT

# Prerequisites through the smoke test, in the order the table of contents gives them.
PAGES = ["prerequisites.md", "configuration/index.md", "secrets.md", "database/postgres-image.md",
         "database/self-hosted.md", "deploy/images.md", "deploy/validation.md", "deploy/compose.md"]
BASE_IMAGE = "debian:trixie-slim"
RESULT = Path("build/verify/reader-path.json")
_HOST_CA = Path("/etc/ssl/certs/ca-certificates.crt")
_CONTAINER_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


@dataclass
class Outcome:
    pages: list[str]
    started: str
    blocks: int = 0
    passed: int = 0
    failure: dict | None = None
    seconds: float = 0.0
    steps: list[dict] = field(default_factory=list)

    def as_json(self) -> dict:
        return {"schema": 1, "image": BASE_IMAGE, "pages": self.pages, "started": self.started,
                "outcome": "failed" if self.failure else "passed", "blocks": self.blocks,
                "passed": self.passed, "failure": self.failure, "seconds": round(self.seconds, 1),
                "steps": self.steps}


def path_blocks(root: Path) -> list[Block]:
    """Every block a reader of the core pages sees and does not skip, in order.

    Hidden blocks are the guide's own checks (they may use its tools, which a reader does not have);
    they never make state a reader needs, and leaving them out here is what proves it.
    """
    blocks = []
    for name in PAGES:
        page = f"{SOURCE}/{name}"
        for block in read_blocks(root / page, page):
            if not isinstance(block, Block):
                raise SystemExit(f"reader path: {block}")
            # A screenshot is a picture the page runs take; a reader looks at the page in a browser.
            if not block.options.skip and not block.options.hidden and block.kind != SCREENSHOT:
                blocks.append(block)
    return blocks


def _start_container(run_id: str, labels: dict[str, str], mounts: list[Path], checkout: Path) -> str:
    name = f"gc-{run_id}-reader-path"
    args = ["run", "--detach", "--name", name, "--network", "host",
            "--volume", "/var/run/docker.sock:/var/run/docker.sock"]
    for key, value in labels.items():
        args += ["--label", f"{key}={value}"]
    for path in mounts:
        args += ["--volume", f"{path}:{path}"]
    args += ["--volume", f"{checkout}:{checkout}:ro"]
    if _HOST_CA.is_file():
        args += ["--volume", f"{_HOST_CA}:/usr/local/share/ca-certificates/this-machine.crt:ro"]
    run_docker(*args, BASE_IMAGE, "sleep", "infinity", timeout=120)
    return name


def _run_block(block: Block, session) -> None:
    if block.kind == FILE:  # saved and parsed; its :check: runs in the page runs
        files.write(session.shell.cwd, block.options.file_path, block.body, block.options.mode)
        try:
            files.parse(block.language, block.body)
        except files.InvalidFile as error:
            raise Failure(f"{block.where}: {block.options.file_path} is not valid: {error}") from None
        return
    run_block(block, session)


def run(root: Path, checkout: Path) -> Outcome:
    run_id = uuid.uuid4().hex[:8]
    labels = docker.run_labels(run_id, os.getpid())
    docker.register_run(run_id, os.getpid())
    base = Path(tempfile.mkdtemp(prefix=f"guide-{run_id}-reader-"))
    work, home, scratch, bin_dir = (base / name for name in ("work", "home", "engine", "bin"))
    for directory in (work, home, scratch):
        directory.mkdir()
    shim.write_docker_shim(bin_dir, labels)
    env = {**_TERMINAL, "HOME": str(home), "PATH": f"{bin_dir}:{_CONTAINER_PATH}",
           "COMPOSE_PROJECT_NAME": docker.compose_project_name(run_id, "reader-path"),
           **upstream_mirror(checkout)}
    outcome = Outcome(pages=PAGES, started=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()))
    started = time.monotonic()
    try:
        container = _start_container(run_id, labels, [base], checkout)
        session = SimpleNamespace(shell=ContainerShell(container, work, scratch, env), updates=[],
                                  context=SimpleNamespace(settings=SimpleNamespace(update=False)))
        blocks = path_blocks(root)
        outcome.blocks = len(blocks)
        for block in blocks:
            began = time.monotonic()
            try:
                _run_block(block, session)
            except Failure as failure:
                message = redact(str(failure), session.shell.env)
                outcome.failure = {"where": block.where, "message": message}
                print(f"reader path: FAILED at {block.where}\n{message}", file=sys.stderr)
                break
            outcome.passed += 1
            outcome.steps.append({"where": block.where, "seconds": round(time.monotonic() - began, 1)})
            print(f"reader path: ok {block.where}", file=sys.stderr, flush=True)
    finally:
        outcome.seconds = time.monotonic() - started
        docker.sweep(run_id=run_id)
        shutil.rmtree(base, ignore_errors=True)
    return outcome


def _checkout() -> Path | None:
    """MeshHook as the verification run has it: GUIDE_MESHHOOK_CHECKOUT, else the cached clone."""
    given = os.environ.get("GUIDE_MESHHOOK_CHECKOUT")
    try:
        if given:
            return Path(given).resolve()
        source, ref, cache = meshhook_source.settings()
        return meshhook_source.obtain(source, ref, cache, lambda message: print(message, file=sys.stderr))[0]
    except Exception as error:  # noqa: BLE001  (said once, plainly)
        print(f"reader path: not run: MeshHook cannot be had: {error}", file=sys.stderr)
        return None


def main() -> int:
    root = Path(__file__).resolve().parent.parent
    strict = os.environ.get("GUIDE_STRICT") == "1"
    if not docker.engine_version():
        print("reader path: not run: it needs a Docker engine", file=sys.stderr)
        return 1 if strict else 0
    checkout = _checkout()
    if checkout is None:
        return 1 if strict else 0
    outcome = run(root, checkout)
    (root / RESULT).parent.mkdir(parents=True, exist_ok=True)
    (root / RESULT).write_text(json.dumps(outcome.as_json(), indent=1) + "\n")
    verdict = "FAILED" if outcome.failure else "passed"
    print(f"reader path: {verdict}: {outcome.passed} of {outcome.blocks} blocks in "
          f"{outcome.seconds:.0f} s; result in {RESULT}", file=sys.stderr)
    return 1 if outcome.failure else 0


if __name__ == "__main__":
    sys.exit(main())
