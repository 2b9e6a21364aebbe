"""The Google Cloud SDK pointed at a recorder of its requests (cloud_run_recorder), one per page.

gcloud is not in a package registry, so the ``gcloud`` tier exists only where the SDK is installed.
Each page's shell gets a private gcloud configuration directory, a placeholder access token, and
proxy and endpoint settings that send Cloud Run and Secret Manager calls to the page's recorder; the
page's commands are what a reader types. ``GUIDE_GCLOUD_REQUESTS`` names the request log, for the
hidden blocks that assert on what gcloud sent.
"""

from __future__ import annotations

import shutil
import sys
from typing import TYPE_CHECKING, Any, ClassVar

from . import loopback
from .interface import Backend, BackendUnavailable

if TYPE_CHECKING:
    from ..page import PageSession


class GcloudRequests(loopback.PageServers, Backend):
    name = "gcloud-requests"
    tiers: ClassVar[dict[str, str]] = {"gcloud": "the Google Cloud SDK (installed outside any package registry)"}
    strict = False  # the SDK comes from outside the package registries

    @classmethod
    def via(cls, tier: str) -> str | None:
        return "a stand-in Cloud Run API that records requests (requests checked)"

    def start(self, plan) -> None:
        if not shutil.which("gcloud"):
            raise BackendUnavailable("the Google Cloud SDK is not installed on this machine")


    def report_environment(self) -> Any:
        return "gcloud"  # only a started backend reports

    @classmethod
    def environment_words(cls, value: Any) -> str:
        return "the Google Cloud SDK" if value else "no Google Cloud SDK"

    def page_environment(self, page: PageSession) -> dict[str, str]:
        engine = page.root / "engine"
        requests = engine / "gcloud-requests.jsonl"
        recorder = self.page_server(page, "Cloud Run request recorder",
                                    [sys.executable, "-m", "guidecheck.backends.cloud_run_recorder", "{port}",
                                     str(requests)], engine / "recorder.log")
        return {
            "CLOUDSDK_CONFIG": str(engine / "gcloud"),
            "CLOUDSDK_AUTH_ACCESS_TOKEN": "guide-placeholder-token",
            "CLOUDSDK_CORE_DISABLE_PROMPTS": "1",
            "CLOUDSDK_CORE_SHOULD_PROMPT_TO_ENABLE_API": "false",
            "CLOUDSDK_CORE_DISABLE_USAGE_REPORTING": "true",
            "CLOUDSDK_COMPONENT_MANAGER_DISABLE_UPDATE_CHECK": "true",
            # Every call goes through the recorder as a proxy; these names never reach DNS.
            "CLOUDSDK_PROXY_TYPE": "http",
            "CLOUDSDK_PROXY_ADDRESS": "127.0.0.1",
            "CLOUDSDK_PROXY_PORT": str(recorder.port),
            "CLOUDSDK_API_ENDPOINT_OVERRIDES_RUN": "http://run.googleapis.recorder/",
            "CLOUDSDK_API_ENDPOINT_OVERRIDES_SECRETMANAGER": "http://secretmanager.googleapis.recorder/",
            "GUIDE_GCLOUD_REQUESTS": str(requests),
        }
