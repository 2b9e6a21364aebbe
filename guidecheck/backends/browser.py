"""A real browser for the guide's screenshots: the ``browser`` tier.

A ``{screenshot}`` block needs it (inferred: pages do not say so). It is on offer when Debian's
Chromium is installed (scripts/setup-host.sh installs it) and Playwright imports (the ``test`` extra);
the tier is strict, so a strict run on a machine without them fails instead of leaving the guide's
pictures out. Each capture starts and ends its own browser inside the page's session (see
``guidecheck.screenshot.runner``): there is nothing to share between pages, release or sweep.
"""

from __future__ import annotations

import importlib.util

from ..browser import INSTALL_HINT, chromium, version
from ..vocabulary import SCREENSHOT
from .interface import Backend, BackendUnavailable, Plan


class Browser(Backend):
    name = "browser"
    tiers = {"browser": "a web browser (Chromium, driven by Playwright)"}

    def __init__(self, settings) -> None:
        super().__init__(settings)
        self.version: str | None = None

    @classmethod
    def needs(cls, block) -> str | None:
        return "browser" if block.kind == SCREENSHOT else None

    def start(self, plan: Plan) -> None:
        executable = chromium()
        if executable is None:
            raise BackendUnavailable(f"Chromium is not installed ({INSTALL_HINT})")
        if importlib.util.find_spec("playwright") is None:
            raise BackendUnavailable("Playwright is not installed (pip install '.[test]')")
        self.version = version(executable) or "unknown version"

    def describe(self) -> dict:
        return {"version": self.version}

    def attach(self, description: dict) -> None:
        self.version = description["version"]

    def report_environment(self) -> str | None:
        return self.version

    @classmethod
    def environment_words(cls, value) -> str:
        return f"Chromium {value}" if value else "no browser"
