"""The AWS API emulator (moto's server) as a backend.

Each page gets its own emulator on loopback, and its shell gets the variables every AWS SDK and the
AWS CLI read (``AWS_ENDPOINT_URL``, placeholder credentials), so the page's commands are exactly what a
reader runs against a real account. Terraform, pointed at the same emulator, is backends/terraform.py.
"""

from __future__ import annotations

import importlib.util
import re
import shutil
import subprocess
import sys
from typing import TYPE_CHECKING, Any, ClassVar

from . import loopback
from .interface import Backend, BackendUnavailable

if TYPE_CHECKING:
    from ..page import PageSession

# What blocks run against here, in a reader's words (the report's "via"; Terraform's too).
VIA = "an AWS API emulator (moto)"


def _aws_cli_problem() -> str | None:
    """Why the AWS CLI cannot be pointed at the emulator, or None when it can.

    Only releases that honour AWS_ENDPOINT_URL (1.29+ and 2.13+) qualify: an older one would send the
    page's calls to AWS itself.
    """
    if not shutil.which("aws"):
        return "the AWS CLI is not installed (scripts/setup-host.sh installs it)"
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


class AwsEmulator(loopback.PageServers, Backend):
    name = "aws-emulator"
    tiers: ClassVar[dict[str, str]] = {"aws-emulator": "the AWS CLI and an AWS API emulator on this machine"}
    # moto and the AWS CLI come with the guide (pyproject's cloud extra, scripts/setup-host.sh): a strict
    # run insists on them.

    def __init__(self, settings) -> None:
        super().__init__(settings)
        self.version: str | None = None

    @classmethod
    def via(cls, tier: str) -> str | None:
        return VIA

    def start(self, plan) -> None:
        if importlib.util.find_spec("moto") is None:
            raise BackendUnavailable("the AWS API emulator (moto) is not installed (tox installs it)")
        problem = _aws_cli_problem()
        if problem:
            raise BackendUnavailable(problem)
        from importlib.metadata import version

        self.version = version("moto")


    def describe(self) -> dict[str, Any]:
        return {"version": self.version}

    def attach(self, description: dict[str, Any]) -> None:
        self.version = description["version"]

    def report_environment(self) -> Any:
        return self.version

    @classmethod
    def environment_words(cls, value: Any) -> str:
        return f"an AWS API emulator (moto {value})" if value else "no AWS API emulator"

    def page_environment(self, page: PageSession) -> dict[str, str]:
        moto = self.page_server(page, "AWS API emulator",
                                [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", "{port}"],
                                page.root / "engine" / "moto.log", {"MOTO_IAM_LOAD_MANAGED_POLICIES": "true"})
        return {
            "AWS_ENDPOINT_URL": moto.url,
            # Placeholders: the emulator accepts any key; a reader's own credentials are never read.
            "AWS_ACCESS_KEY_ID": "guide-emulator",
            "AWS_SECRET_ACCESS_KEY": "guide-emulator",
            "AWS_CONFIG_FILE": str(page.root / "engine" / "aws-config"),
            "AWS_SHARED_CREDENTIALS_FILE": str(page.root / "engine" / "aws-credentials"),
            "AWS_PAGER": "",
        }
