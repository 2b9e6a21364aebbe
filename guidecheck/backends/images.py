"""Images the engine builds for its own backends (``:image:`` Dockerfile blocks), kept as a cache.

An image is rebuilt only when its content changes: the image carries the label
``guidecheck.content=<sha256 of the Dockerfile text and the context's files>``, compared before
building. Such images are labelled ``guidecheck.cache=1`` and survive sweeps, so warm runs skip builds.
"""

from __future__ import annotations

import fcntl
import fnmatch
import hashlib
import os
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from .cli import DockerError
from .cli import docker as _docker

CONTENT_LABEL = "guidecheck.content"
CACHE_LABEL = "guidecheck.cache"
CA_BUNDLE = Path("/etc/ssl/certs/ca-certificates.crt")


class BuildError(DockerError):
    """The build failed; the message ends with the tail of the build output."""


@dataclass(frozen=True)
class BuildResult:
    """What build_image did: ``built`` is False when the tagged image was already up to date."""

    tag: str
    digest: str
    built: bool
    seconds: float
    log: str = ""


def _ignored(rel: str, patterns: list[str]) -> bool:
    """A small .dockerignore: glob patterns on paths and their parents, ``!`` re-includes."""
    parts = rel.split("/")
    prefixes = ["/".join(parts[: i + 1]) for i in range(len(parts))]
    ignored = False
    for pattern in patterns:
        negate = pattern.startswith("!")
        pattern = pattern[1:] if negate else pattern
        pattern = pattern.strip("/")
        if pattern.startswith("**/"):
            hit = any(fnmatch.fnmatchcase(p.rsplit("/", 1)[-1], pattern[3:]) for p in prefixes)
        else:
            hit = any(fnmatch.fnmatchcase(p, pattern) for p in prefixes)
        if hit:
            ignored = not negate
    return ignored


def content_digest(dockerfile_text: str, context_dir: str | os.PathLike[str]) -> str:
    """sha256 over the Dockerfile text and every context file (path, mode, content): the cache key."""
    root = Path(context_dir)
    ignore_file = root / ".dockerignore"
    patterns = []
    if ignore_file.is_file():
        patterns = [line.strip() for line in ignore_file.read_text().splitlines()
                    if line.strip() and not line.lstrip().startswith("#")]
    digest = hashlib.sha256()
    digest.update(b"dockerfile\0" + dockerfile_text.encode() + b"\0")
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames.sort()
        for name in sorted(filenames):
            path = Path(dirpath) / name
            rel = path.relative_to(root).as_posix()
            if _ignored(rel, patterns):
                continue
            file_hash = hashlib.sha256()
            if path.is_symlink():
                file_hash.update(b"link:" + os.readlink(path).encode())
            else:
                with path.open("rb") as handle:
                    for chunk in iter(lambda: handle.read(1 << 20), b""):
                        file_hash.update(chunk)
            mode = path.lstat().st_mode & 0o777
            digest.update(f"{rel}\0{mode:o}\0{file_hash.hexdigest()}\0".encode())
    return digest.hexdigest()


def image_content_label(tag: str) -> str | None:
    """The content label of a local image, or None when the tag does not exist."""
    result = _docker("image", "inspect", "--format", f'{{{{index .Config.Labels "{CONTENT_LABEL}"}}}}',
                     tag, timeout=30, check=False)
    if result.returncode != 0:
        return None
    return result.stdout.strip()


def build_image(dockerfile_text: str, context_dir: str | os.PathLike[str], tag: str,
                timeout: float = 1800) -> BuildResult:
    """Build ``tag`` from a Dockerfile block unless an image with the same content exists already.

    Builds with BuildKit and, when the host has a CA bundle, passes it as the build secret ``ca``
    (``RUN --mount=type=secret,id=ca,...``) so builds can reach HTTPS package registries without
    baking the bundle into a layer. Concurrent callers (xdist workers) build a tag once.
    """
    digest = content_digest(dockerfile_text, context_dir)
    lock_path = Path(tempfile.gettempdir()) / (
        "guidecheck-build-" + hashlib.sha256(tag.encode()).hexdigest()[:16] + ".lock")
    with lock_path.open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if image_content_label(tag) == digest:
            return BuildResult(tag=tag, digest=digest, built=False, seconds=0.0)
        started = time.monotonic()
        with tempfile.TemporaryDirectory(prefix="guidecheck-dockerfile-") as tmp:
            dockerfile = Path(tmp) / "Dockerfile"
            dockerfile.write_text(dockerfile_text)
            args = ["build", "--progress=plain", "-t", tag, "-f", str(dockerfile),
                    "--label", f"{CONTENT_LABEL}={digest}", "--label", f"{CACHE_LABEL}=1"]
            if CA_BUNDLE.is_file():
                args += ["--secret", f"id=ca,src={CA_BUNDLE}"]
            env = {**os.environ, "DOCKER_BUILDKIT": "1"}
            try:
                result = _docker(*args, str(context_dir), timeout=timeout, check=False, env=env)
            except DockerError as error:  # it timed out
                raise BuildError(f"building {tag}: {error}") from error
        log = result.stdout + result.stderr
        if result.returncode != 0:
            tail = "\n".join(log.splitlines()[-40:])
            raise BuildError(f"building {tag} failed (exit {result.returncode}):\n{tail}")
        return BuildResult(tag=tag, digest=digest, built=True,
                           seconds=time.monotonic() - started, log=log)
