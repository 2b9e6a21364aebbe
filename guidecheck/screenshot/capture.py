"""Take one screenshot in a real browser: Playwright (from PyPI) driving Debian's Chromium.

    python3 -m guidecheck.screenshot.capture --url URL --expect TEXT --viewport 1280x800 --out shot.png

Playwright's wheel brings its driver but no browser; it launches the machine's ``chromium``. The page
must answer without an HTTP error, at the address declared (not redirected elsewhere), and show the
expected text before the picture is taken, so a picture of an error page cannot pass. Requests to
any host but this machine are refused (and listed): a run never sends traffic elsewhere. The browser
trusts the local TLS certificates of the stack it looks at (a guide's stack issues its own); the guide
checks TLS with curl, not here. Exits 0 with a one-line summary, or 1 with what the page showed instead.
"""

from __future__ import annotations

import argparse
import sys
import time
from urllib.parse import urlsplit

from ..browser import HEADLESS_FLAGS, INSTALL_HINT, chromium
from .declaration import LOOPBACK_HOSTS, viewport

_SHOWN = 400  # characters of the page's text quoted when the expected text is missing
_SETTLE_MS = 5000  # at most this long for the network to fall quiet once the text is there
# Chromium abandons a navigation when the machine's network interfaces change, and Docker adds or
# removes one for every container it starts or stops (other pages' too): not the page's answer, so go again.
_NETWORK_CHANGED = "net::ERR_NETWORK_CHANGED"
_NAVIGATIONS = 5


def _local(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme not in ("http", "https", "ws", "wss") or parts.hostname in LOOPBACK_HOSTS


def _address(url: str) -> tuple:
    """What names a page: host, port and path (``https://host`` and ``https://host/`` are one page)."""
    parts = urlsplit(url)
    return parts.scheme, parts.hostname, parts.port, parts.path or "/", parts.query


def _goto(page, url: str, timeout_ms: float, error: type[Exception]):
    """``page.goto``, again when only a change of the machine's network interrupted it."""
    for attempt in range(1, _NAVIGATIONS + 1):
        try:
            return page.goto(url, wait_until="load", timeout=timeout_ms)
        except error as failed:
            if _NETWORK_CHANGED not in str(failed) or attempt == _NAVIGATIONS:
                raise
            time.sleep(0.5)


def capture(url: str, expect: str, size: tuple[int, int], out: str, timeout: float) -> str:
    """Save the picture; return the summary line. RuntimeError says why the page does not qualify."""
    from playwright.sync_api import Error, sync_playwright

    executable = chromium()
    if executable is None:
        raise RuntimeError(f"Chromium is not installed ({INSTALL_HINT})")
    refused: list[str] = []

    def only_this_machine(route) -> None:
        if _local(route.request.url):
            route.continue_()
        else:
            refused.append(urlsplit(route.request.url).hostname or route.request.url)
            route.abort()

    deadline_ms = max(1000.0, timeout * 1000)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=HEADLESS_FLAGS)
        try:
            context = browser.new_context(viewport={"width": size[0], "height": size[1]},
                                          ignore_https_errors=True, device_scale_factor=1,
                                          locale="en-US", color_scheme="light")
            page = context.new_page()
            page.route("**/*", only_this_machine)
            response = _goto(page, url, deadline_ms, Error)
            status = response.status if response else None
            if status is None or status >= 400:
                raise RuntimeError(f"{url} answered {status}: {page.inner_text('body')[:_SHOWN]!r}")
            if _address(page.url) != _address(url):  # a redirect: the picture would show another page
                raise RuntimeError(f"{url} sent the browser on to {page.url}")
            try:
                page.get_by_text(expect).first.wait_for(state="visible", timeout=deadline_ms)
            except Error:
                shown = " ".join(page.inner_text("body").split())[:_SHOWN]
                raise RuntimeError(f"{expect!r} is not visible on {page.url}; the page shows: {shown!r}") \
                    from None
            try:  # let images and fonts arrive; a page that keeps polling still gets its picture
                page.wait_for_load_state("networkidle", timeout=min(deadline_ms, _SETTLE_MS))
            except Error:
                pass
            page.screenshot(path=out, animations="disabled")
        finally:
            browser.close()
    blocked = f"; refused requests to {', '.join(sorted(set(refused)))}" if refused else ""
    return f"{page.url} answered {status}, {expect!r} visible, {size[0]}x{size[1]} saved{blocked}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--url", required=True)
    parser.add_argument("--expect", required=True)
    parser.add_argument("--viewport", default="1280x800")
    parser.add_argument("--out", required=True)
    parser.add_argument("--timeout", type=float, default=30.0, help="seconds for each wait")
    args = parser.parse_args(argv)
    started = time.monotonic()
    try:
        summary = capture(args.url, args.expect, viewport(args.viewport), args.out, args.timeout)
    except Exception as error:  # noqa: BLE001  (one line for the block's failure message)
        print(f"no screenshot: {error}", file=sys.stderr)
        return 1
    print(f"{summary} in {time.monotonic() - started:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
