"""The AWS API emulator (moto's server) as a backend, and Terraform pointed at it.

Each page gets its own emulator on loopback, and its shell gets the variables every AWS SDK and the
AWS CLI read (``AWS_ENDPOINT_URL``, placeholder credentials), so the page's commands are exactly what a
reader runs against a real account. Terraform's AWS provider is not in a package registry: the
``terraform`` tier exists only when the binary and a local copy of the provider are on the machine.
"""

from __future__ import annotations

import glob
import importlib.util
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from ..vocabulary import TIERS
from . import loopback
from .interface import Backend, BackendUnavailable

if TYPE_CHECKING:
    from ..page import PageSession

PROVIDER = "registry.terraform.io/hashicorp/aws"
# Where Terraform itself looks for local providers (its "implied" mirrors), then any top-level
# directory holding a mirror; GUIDE_TERRAFORM_MIRROR names one explicitly.
_IMPLIED = ["~/.terraform.d/plugins", "~/.local/share/terraform/plugins", "/usr/local/share/terraform/plugins",
            "/usr/share/terraform/plugins"]


def provider_mirror() -> Path | None:
    """A directory laid out as a Terraform filesystem mirror that holds the AWS provider."""
    explicit = os.environ.get("GUIDE_TERRAFORM_MIRROR")
    candidates = [explicit] if explicit else [os.path.expanduser(path) for path in _IMPLIED]
    if not explicit:
        candidates += [path.removesuffix("/" + PROVIDER) for path in glob.glob(f"/*/*/{PROVIDER}")]
    for candidate in candidates:
        if candidate and glob.glob(f"{candidate}/{PROVIDER}/*/*/terraform-provider-aws*"):
            return Path(candidate)
    return None


def _cli_config(mirror: Path) -> str:
    """A Terraform CLI configuration that installs the AWS provider from the mirror, nothing else."""
    return (f'provider_installation {{\n  filesystem_mirror {{\n    path    = "{mirror}"\n'
            f'    include = ["{PROVIDER}"]\n  }}\n}}\n')


def _aws_cli_problem() -> str | None:
    """Why the AWS CLI cannot be pointed at the emulator, or None when it can.

    Only releases that honour AWS_ENDPOINT_URL (1.29+ and 2.13+) qualify: an older one would send the
    page's calls to AWS itself.
    """
    if not shutil.which("aws"):
        return "the AWS CLI is not installed on this machine"
    try:
        version = subprocess.run(["aws", "--version"], capture_output=True, text=True, timeout=60).stdout
    except (OSError, subprocess.SubprocessError) as error:
        return f"the AWS CLI does not run: {error}"
    found = re.match(r"aws-cli/(\d+)\.(\d+)", version)
    if not found:
        return f"the AWS CLI's version is unknown ({version.strip()!r})"
    major, minor = int(found[1]), int(found[2])
    if (major, minor) < ((1, 29) if major == 1 else (2, 13)):
        return f"this AWS CLI ({major}.{minor}) ignores endpoint settings and would call AWS itself"
    return None


class AwsEmulator(Backend):
    name = "aws-emulator"
    tiers: ClassVar[dict[str, str]] = {tier: TIERS[tier] for tier in ("aws-emulator", "terraform")}
    strict = False  # Terraform and its provider come from outside the package registries

    def __init__(self, settings) -> None:
        super().__init__(settings)
        self.offered: set[str] = set()
        self.mirror: Path | None = None
        self.problems: dict[str, str] = {}
        self.servers: dict[str, loopback.Server] = {}  # page -> its emulator

    def start(self, plan=None) -> None:
        if importlib.util.find_spec("moto") is None:
            raise BackendUnavailable("moto is not installed (it comes with the guide's test dependencies)")
        problem = _aws_cli_problem()
        if problem:
            raise BackendUnavailable(problem)
        self.offered = {"aws-emulator"}
        self.mirror = provider_mirror()
        if shutil.which("terraform") and self.mirror:
            self.offered.add("terraform")
        else:
            self.problems["terraform"] = ("Terraform is not installed on this machine" if not shutil.which(
                "terraform") else "no local copy of Terraform's AWS provider was found")

    def sweep_leftovers(self) -> str:
        stopped = loopback.sweep()
        return f"stopped {stopped} stand-in API servers of interrupted runs" if stopped else ""

    def describe(self) -> dict[str, Any]:
        return {"offered": sorted(self.offered), "mirror": str(self.mirror) if self.mirror else None,
                "problems": self.problems}

    def attach(self, description: dict[str, Any]) -> None:
        self.offered = set(description["offered"])
        self.mirror = Path(description["mirror"]) if description["mirror"] else None
        self.problems = dict(description["problems"])

    def provides(self) -> set[str]:
        return set(self.offered)

    def report_environment(self) -> Any:
        return sorted(self.offered) or None

    def page_environment(self, page: PageSession) -> dict[str, str]:
        if not self.offered:
            return {}
        moto = loopback.Server("AWS API emulator", [sys.executable, "-m", "moto.server", "-H", "127.0.0.1",
                                                    "-p", "{port}"],
                               self.settings.controller_pid or os.getpid(), page.root / "engine" / "moto.log")
        self.servers[page.page] = moto.start(environment={"MOTO_IAM_LOAD_MANAGED_POLICIES": "true"})
        env = {
            "AWS_ENDPOINT_URL": moto.url,
            # Placeholders: the emulator accepts any key; a reader's own credentials are never read.
            "AWS_ACCESS_KEY_ID": "guide-emulator",
            "AWS_SECRET_ACCESS_KEY": "guide-emulator",
            "AWS_CONFIG_FILE": str(page.root / "engine" / "aws-config"),
            "AWS_SHARED_CREDENTIALS_FILE": str(page.root / "engine" / "aws-credentials"),
            "AWS_PAGER": "",
        }
        if self.mirror:
            config = page.root / "engine" / "terraform.rc"
            config.write_text(_cli_config(self.mirror))
            env.update(TF_CLI_CONFIG_FILE=str(config), TF_IN_AUTOMATION="1", CHECKPOINT_DISABLE="1")
        return env

    def release_page(self, page: PageSession) -> None:
        server = self.servers.pop(page.page, None)
        if server:
            server.stop()

    def protected_pids(self) -> set[int]:
        return {s.process.pid for s in self.servers.values() if s.process}
