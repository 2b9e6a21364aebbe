"""Debian's Chromium: where it is, how it runs headless here, and its version.

One place for the engine's two uses of a real browser: the screenshots a verification run takes
(``guidecheck.screenshot``, through Playwright) and the engine's test of the built HTML
(``tests/test_browser.py``, over the DevTools pipe).
"""

from __future__ import annotations

import re
import shutil
import subprocess

# Headless as root in CI and containers (no sandbox there), and quiet: the browser itself sends
# nothing anywhere (no updates, sync, QUIC probes); only the pages it is pointed at talk.
HEADLESS_FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync",
                  "--disable-dev-shm-usage"]
INSTALL_HINT = "apt-get install chromium; scripts/setup-host.sh installs it"


def chromium() -> str | None:
    """The path of Debian's ``chromium`` (or a ``chromium-browser``), None when neither is installed."""
    return next(filter(None, (shutil.which(name) for name in ("chromium", "chromium-browser"))), None)


def version(path: str) -> str | None:
    """``156.0.8078.108``, from ``chromium --version``; None when it does not say."""
    try:
        printed = subprocess.run([path, "--version"], capture_output=True, text=True, timeout=30).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    found = re.search(r"\b(\d+(?:\.\d+){1,3})\b", printed)
    return found.group(1) if found else None
