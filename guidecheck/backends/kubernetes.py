"""The Kubernetes chapter's backend: the manifest tools, and Pods really started with podman.

No Kubernetes API server can run on the machines that verify the guide, so the chapter is checked in
levels: rendered (helm, ``kubectl kustomize``), validated (kubernetes-validate, per Kubernetes version),
policy-checked (checkov), and run — the Job and the Deployments, with their ConfigMaps and Secret, started
by ``podman kube play``. Debian trixie's podman 5 does that; the host may be older, so ``podman`` on a
page's PATH is a small wrapper that runs podman inside a container of its own, one per page:

* the container is created through the docker shim, so it carries the run's and the page's labels and
  goes with the page's other leftovers (``docker.sweep``): nothing to release or sweep here;
* the system temporary directory (where page workspaces live) is mounted at the same path, so the
  wrapper runs podman in the page's own working directory and relative paths mean the same thing;
* a port a pod publishes on 127.0.0.1:PORT inside it (PORTS below) is forwarded to 127.0.0.1:PORT here.

The backend (``Kubernetes`` below) provides the ``kubernetes`` tier when the tools are installed; when the
selected pages play pods and Docker is there, it builds the podman image and writes the wrapper into a
directory of its own, first on every page's PATH. Release and sweep are the docker backend's, through
the labels.
"""

from __future__ import annotations

import os
import shlex
import tempfile
from pathlib import Path

from .docker import PAGE_ENV
from .interface import Backend, BackendUnavailable, Plan

# What scripts/kubernetes-tools.sh installs: helm, kubectl, kubernetes-validate, checkov in <dir>/bin.
TOOLS_DIR = Path(os.environ.get("GUIDECHECK_K8S_TOOLS", "/opt/guidecheck/kubernetes-tools"))
TOOLS = ("helm", "kubectl", "kubernetes-validate", "checkov")
PODMAN_IMAGE = "meshhook-guide/k8s-podman:trixie"
# The chapter's port range: pods publish here, the wrapper's container forwards them to this machine.
PORTS = range(18600, 18610)

_FORWARD = (f"for p in $(seq {PORTS.start} {PORTS.stop - 1}); do "
            "socat TCP-LISTEN:$p,bind=$(hostname -i),fork,reuseaddr TCP:127.0.0.1:$p & done; exec sleep infinity")
# podman 5 from Debian trixie. cgroups are off (the outer container's are read-only), netavark needs
# nftables. Each forwarded port: socat on the container's own address to podman's 127.0.0.1 publication.
PODMAN_DOCKERFILE = f"""\
FROM debian:trixie-slim
RUN apt-get update \\
 && apt-get install -y --no-install-recommends podman crun netavark aardvark-dns nftables iptables \\
      catatonit fuse-overlayfs socat ca-certificates \\
 && rm -rf /var/lib/apt/lists/*
RUN printf '[containers]\\ncgroups = "disabled"\\n[engine]\\ncgroup_manager = "cgroupfs"\\n' \\
      > /etc/containers/containers.conf
ENV PODMAN_IGNORE_CGROUPSV1_WARNING=1
CMD ["sh", "-c", "{_FORWARD}"]
"""

# What podman needs inside a container on this engine: mounts (SYS_ADMIN), pod networks (NET_ADMIN,
# nftables, writable /proc/sys), and `podman exec` into pods running as another user (SYS_PTRACE).
_CONTAINER_OPTIONS = [
    "--cap-add", "SYS_ADMIN", "--cap-add", "NET_ADMIN", "--cap-add", "SYS_PTRACE", "--device", "/dev/fuse",
    "--security-opt", "seccomp=unconfined", "--security-opt", "apparmor=unconfined",
    "--security-opt", "systempaths=unconfined",
]

_WRAPPER = """#!/usr/bin/env bash
# podman as the Kubernetes pages see it: Debian trixie's podman 5 in a container of this page's own.
# Written by guidecheck; not part of the guide.
set -u
name="k8s-podman-${@PAGE_ENV@:?no page}"
if ! docker container inspect "$name" > /dev/null 2>&1; then
    docker run --detach --name "$name" @OPTIONS@ @PUBLISH@ \\
        --volume @TMP@:@TMP@ --volume /var/lib/containers @IMAGE@ > /dev/null || exit 125
fi
exec docker exec --interactive --workdir "$PWD" "$name" podman "$@"
"""


def tools_ready() -> bool:
    return all(os.access(TOOLS_DIR / "bin" / tool, os.X_OK) for tool in TOOLS)


def problem() -> str:
    return "the Kubernetes tools are not installed (scripts/kubernetes-tools.sh installs them)"


def page_path() -> list[str]:
    """Directories to put first on a Kubernetes page's PATH (the backend started: the tools are there)."""
    return [str(TOOLS_DIR / "bin")]


def write_wrapper(shim_dir: Path) -> Path:
    publish = " ".join(f"--publish 127.0.0.1:{p}:{p}" for p in PORTS)
    tmp = shlex.quote(str(Path(tempfile.gettempdir()).resolve()))
    text = (_WRAPPER.replace("@OPTIONS@", " ".join(_CONTAINER_OPTIONS)).replace("@PUBLISH@", publish)
            .replace("@TMP@", tmp).replace("@IMAGE@", PODMAN_IMAGE).replace("@PAGE_ENV@", PAGE_ENV))
    wrapper = shim_dir / "podman"
    wrapper.write_text(text)
    wrapper.chmod(0o755)
    return wrapper


class Kubernetes(Backend):
    name = "kubernetes"
    tiers = {"kubernetes": "the Kubernetes tools (helm, kubectl, kubernetes-validate, checkov)"}
    uses = ("docker",)

    def __init__(self, settings) -> None:
        super().__init__(settings)
        self.wrapper_dir: Path | None = None

    def start(self, plan: Plan) -> None:
        if not tools_ready():
            raise BackendUnavailable(problem())
        if "docker" not in plan.started or not any("podman kube play" in text for text in plan.pages.values()):
            return
        from .cli import DockerError
        from .images import build_image

        plan.say(f"building {PODMAN_IMAGE} (cached when unchanged)")
        with tempfile.TemporaryDirectory() as context_dir:
            try:
                build_image(PODMAN_DOCKERFILE, context_dir, PODMAN_IMAGE)
            except DockerError as error:
                raise BackendUnavailable(f"building podman's image failed: {error}") from None
        self.wrapper_dir = Path(tempfile.mkdtemp(prefix=f"guide-{self.settings.run_id}-podman-"))
        write_wrapper(self.wrapper_dir)

    def describe(self) -> dict:
        return {"wrapper_dir": str(self.wrapper_dir) if self.wrapper_dir else None}

    def attach(self, description: dict) -> None:
        self.wrapper_dir = Path(description["wrapper_dir"]) if description["wrapper_dir"] else None

    def page_path(self) -> list[str]:
        return ([str(self.wrapper_dir)] if self.wrapper_dir else []) + page_path()

    def stop(self) -> None:
        if self.wrapper_dir:
            for child in self.wrapper_dir.iterdir():
                child.unlink()
            self.wrapper_dir.rmdir()
            self.wrapper_dir = None

    def report_environment(self) -> str | None:
        return ", ".join(TOOLS)

    @classmethod
    def environment_words(cls, value) -> str:
        return "the Kubernetes tools" if value else "no Kubernetes tools"
