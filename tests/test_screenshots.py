"""Screenshots taken by the run: declared once, refused at page:line when malformed, captured in Chromium."""

from __future__ import annotations

import importlib.util
import struct
import textwrap
from pathlib import Path

import pytest

from guidecheck.backends import browser
from guidecheck.backends.interface import BackendUnavailable
from guidecheck.blocks import Block, BlockError, page_blocks
from guidecheck.script import page_script

PAGE = "source/shots.md"

needs_browser = pytest.mark.skipif(
    browser.chromium() is None or importlib.util.find_spec("playwright") is None,
    reason="taking a screenshot needs Chromium (apt-get install chromium) and Playwright (pip install '.[test]')")


def blocks(text: str) -> list[Block | BlockError]:
    return page_blocks(textwrap.dedent(text).lstrip(), PAGE)


def test_a_declaration_is_parsed_once_for_the_engine():
    [block] = blocks("""
        # Shots

        ```{screenshot} https://localhost:18443/auth/login
        :expect: Sign In to MeshHook
        :viewport: 1024x700
        :tier: meshhook
        :timeout: 90s

        The sign-in page.
        ```
        """)
    assert isinstance(block, Block) and block.kind == "screenshot" and block.line == 3
    assert block.shot.url == "https://localhost:18443/auth/login"
    assert (block.shot.expect, block.shot.viewport) == ("Sign In to MeshHook", (1024, 700))
    assert block.options.tier == "meshhook" and block.options.timeout == 90
    assert block.needs == {"meshhook", "browser"}  # the browser tier is inferred


@pytest.mark.parametrize("declaration, line, words", [
    ("```{screenshot} http://127.0.0.1:1/\n:expect: x\n:colour: red\n\nc\n```", 3, "unknown option :colour:"),
    ("```{screenshot} http://127.0.0.1:1/\n:viewport: 10x10\n:expect: x\n\nc\n```", 2, "window size"),
    ("```{screenshot} http://127.0.0.1:1/\n:viewport: 800x600\n\nc\n```", 1, "needs :expect:"),
    ("```{screenshot} https://example.com/\n:expect: x\n\nc\n```", 1, "on this machine only"),
    ("```{screenshot} 127.0.0.1:8080\n:expect: x\n\nc\n```", 1, "the page's address"),
    ("```{screenshot} http://127.0.0.1:1/\n:expect: x\n```", 1, "needs a caption"),
    ("```{screenshot} http://127.0.0.1:1/\n:expect: x\n:skip: no\n\nc\n```", 3, "unknown option :skip:"),
])
def test_a_malformed_declaration_is_refused_at_page_and_line(declaration, line, words):
    [refused] = page_blocks(declaration + "\n", PAGE)
    assert isinstance(refused, BlockError), refused
    assert str(refused).startswith(f"{PAGE}:{line}: ") and words in str(refused)


def test_the_page_script_points_readers_at_the_page_instead_of_running_anything(tmp_path):
    source = tmp_path / "source"
    source.mkdir()
    (source / "shots.md").write_text("# Shots\n\n```console\n$ true\n```\n\n"
                                     "```{screenshot} http://127.0.0.1:1/\n:expect: Hello\n\nThe page.\n```\n")
    script = page_script(tmp_path, PAGE)
    assert "# source/shots.md:7: open http://127.0.0.1:1/ in your browser; it should show 'Hello'" in script


def test_without_chromium_the_browser_tier_says_what_to_install(monkeypatch):
    monkeypatch.setattr(browser, "chromium", lambda: None)
    with pytest.raises(BackendUnavailable, match="Chromium is not installed"):
        browser.Browser(settings=None).start(plan=None)


def _served_page(port: int, expect: str, script: str = "") -> str:
    """A page that serves a small site on this machine, then declares a screenshot of it."""
    return f"""
        # Shots

        ```{{code-block}} text
        :caption: site/index.html
        :check: test -s site/index.html

        <!doctype html><title>Guide</title><h1>Hello from the guide</h1><p>Nothing else here.</p>{script}
        ```

        ```console
        $ python3 -m http.server {port} --bind 127.0.0.1 --directory site > server.log 2>&1 &
        ```

        ```{{screenshot}} http://127.0.0.1:{port}/
        :expect: {expect}
        :viewport: 640x480
        :retry: 10s
        :timeout: 20s

        The guide's small site.
        ```
        """


@needs_browser
@pytest.mark.parametrize("workers", [(), ("-n", "1")], ids=["one-process", "xdist-worker"])
def test_the_run_captures_the_picture_into_its_output_and_names_it_in_the_report(run_pages, workers, free_port):
    # A worker keeps the picture; the controller's report must name it.
    run = run_pages({"shots.md": _served_page(free_port, "Hello from the guide")},
                    "--guide-backends", "browser", *workers, backends=True)
    assert run.status == 0, run.output
    entry = run.outcome(PAGE, 14)
    assert entry["outcome"] == "passed" and entry["tier"] == "browser"
    assert entry["screenshot"] == "screenshots/shots/L14.png"
    picture = (run.root / "build" / "verify" / entry["screenshot"]).read_bytes()
    assert picture[:8] == b"\x89PNG\r\n\x1a\n"
    assert struct.unpack(">II", picture[16:24]) == (640, 480)  # the declared window, pixel for pixel
    assert run.report["environment"]["browser"]
    assert not _orphaned_browsers()  # the browser ended with its capture


def _orphaned_browsers() -> list[str]:
    """Running browsers whose capture is over: their profile directory is already removed."""
    found = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            words = cmdline.read_bytes().decode(errors="replace").split("\0")
        except OSError:
            continue
        for word in words:
            profile = word.removeprefix("--user-data-dir=")
            if profile != word and "/gc-shot-" in profile and not Path(profile).exists():
                found.append(" ".join(words))
    return found


@needs_browser
def test_text_that_is_not_on_the_page_fails_at_page_and_line(run_pages, free_port):
    run = run_pages({"shots.md": _served_page(free_port, "Welcome to MeshHook")},
                    "--guide-backends", "browser", backends=True)
    assert run.status != 0
    entry = run.outcome(PAGE, 14)
    assert entry["outcome"] == "failed" and entry.get("screenshot") is None
    assert f"{PAGE}:14: no screenshot: 'Welcome to MeshHook' is not visible" in run.output
    assert "Hello from the guide" in run.output  # what the page showed instead
    assert not (run.root / "build" / "verify" / "screenshots").exists()


@needs_browser
def test_a_page_that_redirects_elsewhere_fails_instead_of_picturing_another_page(run_pages, free_port):
    # The directory site/ answers only with a redirect to site/ with a slash: not the page declared.
    page = _served_page(free_port, "Hello from the guide")
    page = page.replace("/\n        :expect:", "/site\n        :expect:").replace("--directory site", "--directory .")
    run = run_pages({"shots.md": page}, "--guide-backends", "browser", backends=True)
    assert run.status != 0 and run.outcome(PAGE, 14)["outcome"] == "failed"
    assert "/site sent the browser on to http://127.0.0.1:" in run.output and "/site/" in run.output


@needs_browser
def test_a_page_that_keeps_polling_still_gets_its_picture(run_pages, free_port):
    polling = "<script>setInterval(() => fetch('/?poll'), 100)</script>"  # the network never falls quiet
    run = run_pages({"shots.md": _served_page(free_port, "Hello from the guide", polling)},
                    "--guide-backends", "browser", backends=True)
    assert run.status == 0, run.output
    assert run.outcome(PAGE, 14)["screenshot"] == "screenshots/shots/L14.png"


class Navigation(Exception):
    """Stands in for Playwright's Error."""


class FlakyPage:
    """A page whose first navigations fail with *errors*, then answer."""

    def __init__(self, *errors: str) -> None:
        self.errors, self.calls = list(errors), 0

    def goto(self, url, wait_until, timeout):
        self.calls += 1
        if self.errors:
            raise Navigation(self.errors.pop(0))
        return "response"


def test_a_navigation_interrupted_by_a_network_change_is_made_again():
    from guidecheck.screenshot import capture
    page = FlakyPage("Page.goto: net::ERR_NETWORK_CHANGED at https://localhost/",
                     "Page.goto: net::ERR_NETWORK_CHANGED at https://localhost/")
    assert capture._goto(page, "https://localhost/", 1000, Navigation) == "response"
    assert page.calls == 3


def test_any_other_navigation_error_is_the_answer():
    from guidecheck.screenshot import capture
    page = FlakyPage("Page.goto: net::ERR_CONNECTION_REFUSED at https://localhost/")
    with pytest.raises(Navigation, match="REFUSED"):
        capture._goto(page, "https://localhost/", 1000, Navigation)
    assert page.calls == 1
