"""Terraform, with its AWS provider, pointed at the AWS API emulator (backends/aws_emulator.py).

Neither Terraform nor its AWS provider is in a package registry, so the ``terraform`` tier exists only
where the binary and a local copy of the provider (a filesystem mirror) are on the machine; elsewhere
its blocks skip, even in a strict run, saying which is missing. Each page's Terraform installs the
provider from that mirror only, and the emulator's variables (``AWS_ENDPOINT_URL``…) reach it through
the AWS backend's page environment.

Against the emulator, which answers at once, applying and destroying still take minutes: the provider
sleeps before it polls, whatever the answers. Measured with provider 5.100: an RDS instance waits 60 s,
then needs three "available" answers 10 s apart, on create and on every modification (80 s); its
deletion waits 60 s; a load balancer waits 30 s after create and after each attribute change; a VPC
attribute change and a new ECS cluster wait about 10 s. No provider argument or environment variable shortens
these, so a page's time is mostly the RDS waits on its critical path (apply, lifting deletion
protection, destroy), spent idle rather than on the CPU.
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from .aws_emulator import VIA
from .interface import Backend, BackendUnavailable, Plan

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


def _version() -> str:
    out = subprocess.run(["terraform", "version"], capture_output=True, text=True, timeout=60).stdout
    return out.splitlines()[0].removeprefix("Terraform ").strip() if out else "unknown"


class Terraform(Backend):
    name = "terraform"
    tiers: ClassVar[dict[str, str]] = {
        "terraform": "Terraform with its AWS provider (installed outside any package registry) and an AWS API "
                     "emulator"}
    strict = False  # Terraform and its provider come from outside the package registries
    uses = ("aws-emulator",)
    waits = True  # the provider's sleeps (above): its pages get a worker of their own

    def __init__(self, settings) -> None:
        super().__init__(settings)
        self.mirror: Path | None = None
        self.version: str | None = None

    @classmethod
    def via(cls, tier: str) -> str | None:
        return VIA

    def start(self, plan: Plan) -> None:
        if not shutil.which("terraform"):
            raise BackendUnavailable("Terraform is not installed on this machine")
        self.mirror = provider_mirror()
        if self.mirror is None:
            raise BackendUnavailable("no local copy of Terraform's AWS provider was found on this machine")
        if "aws-emulator" not in plan.started:
            raise BackendUnavailable("the AWS API emulator is not available on this machine")
        self.version = _version()

    def describe(self) -> dict[str, Any]:
        return {"mirror": str(self.mirror), "version": self.version}

    def attach(self, description: dict[str, Any]) -> None:
        self.mirror, self.version = Path(description["mirror"]), description["version"]

    def report_environment(self) -> Any:
        return self.version

    @classmethod
    def environment_words(cls, value: Any) -> str:
        return f"Terraform {value}" if value else "no Terraform"

    def page_environment(self, page: PageSession) -> dict[str, str]:
        config = page.root / "engine" / "terraform.rc"
        config.write_text(_cli_config(self.mirror))
        return {"TF_CLI_CONFIG_FILE": str(config), "TF_IN_AUTOMATION": "1", "CHECKPOINT_DISABLE": "1"}
