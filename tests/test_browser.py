"""A real browser on a built page: the marks are visible and the copy button copies commands only.

Headless Chromium (Debian's ``chromium`` package) is driven over the DevTools protocol on a pipe
(``--remote-debugging-pipe``: JSON messages separated by NUL bytes on file descriptors 3 and 4), so the
test needs nothing beyond the browser and the standard library. The site is served on 127.0.0.1.
"""

from __future__ import annotations

import fcntl
import functools
import http.server
import json
import os
import re
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

for module in ("sphinx", "myst_parser", "furo", "sphinx_copybutton", "sphinx_design"):
    pytest.importorskip(module, reason=f"the docs build needs {module} (pip install '.[docs]')")

from guidecheck.blocks import Block, page_blocks  # noqa: E402
from guidecheck.browser import HEADLESS_FLAGS, chromium  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
PAGE = "contributing/how-pages-are-tested.md"

CHROMIUM = chromium()
pytestmark = [
    pytest.mark.skipif(CHROMIUM is None, reason="headless Chromium is not installed "
                                                "(apt-get install chromium)"),
    pytest.mark.skipif(shutil.which("dot") is None,
                       reason="the guide's diagrams need Graphviz's dot (apt-get install graphviz)"),
]

CHROMIUM_FLAGS = ["--headless", *HEADLESS_FLAGS, "--window-size=1280,1000", "--remote-debugging-pipe"]


class DevTools:
    """The smallest DevTools client: one command at a time over Chromium's debugging pipe."""

    def __init__(self, profile: Path) -> None:
        to_browser_read, self._to_browser = os.pipe()
        self._from_browser, from_browser_write = os.pipe()

        def as_fds_3_and_4() -> None:  # runs in the child, before exec
            reader = fcntl.fcntl(to_browser_read, fcntl.F_DUPFD, 10)
            writer = fcntl.fcntl(from_browser_write, fcntl.F_DUPFD, 10)
            os.dup2(reader, 3)
            os.dup2(writer, 4)

        self.process = subprocess.Popen(
            [CHROMIUM, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", "about:blank"],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
            # Python opens descriptors non-inheritable, so only 3 and 4 (dup2 makes them
            # inheritable) reach the browser.
            close_fds=False, preexec_fn=as_fds_3_and_4)
        os.close(to_browser_read)
        os.close(from_browser_write)
        self._buffer = b""
        self._next_id = 0
        self.session: str | None = None

    def _read_message(self, deadline: float) -> dict:
        while b"\0" not in self._buffer:
            if time.monotonic() > deadline:
                raise TimeoutError("Chromium did not answer in time")
            chunk = os.read(self._from_browser, 65536)
            if not chunk:
                raise RuntimeError("Chromium closed its debugging pipe: "
                                   + self.process.stderr.read().decode(errors="replace")[-2000:])
            self._buffer += chunk
        message, self._buffer = self._buffer.split(b"\0", 1)
        return json.loads(message)

    def call(self, method: str, timeout: float = 30, browser: bool = False, **params) -> dict:
        self._next_id += 1
        message = {"id": self._next_id, "method": method, "params": params}
        if self.session and not browser:
            message["sessionId"] = self.session
        os.write(self._to_browser, json.dumps(message).encode() + b"\0")
        deadline = time.monotonic() + timeout
        while True:
            answer = self._read_message(deadline)
            if answer.get("id") == self._next_id:
                if "error" in answer:
                    raise RuntimeError(f"{method}: {answer['error']}")
                return answer["result"]

    def evaluate(self, expression: str, timeout: float = 30):
        result = self.call("Runtime.evaluate", timeout=timeout, expression=expression,
                           returnByValue=True, awaitPromise=True)
        if "exceptionDetails" in result:
            raise RuntimeError(f"{expression}: {result['exceptionDetails']}")
        return result["result"].get("value")

    def wait_for(self, expression: str, timeout: float = 30):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            value = self.evaluate(expression)
            if value:
                return value
            time.sleep(0.1)
        raise TimeoutError(f"never true: {expression}")

    def click(self, x: float, y: float) -> None:
        """A trusted click, as a reader's mouse makes it (clipboard access needs one)."""
        self.call("Input.dispatchMouseEvent", type="mouseMoved", x=x, y=y)
        for kind in ("mousePressed", "mouseReleased"):
            self.call("Input.dispatchMouseEvent", type=kind, x=x, y=y, button="left", clickCount=1)

    def close(self) -> None:
        try:
            self.call("Browser.close", browser=True, timeout=10)
        except (RuntimeError, TimeoutError, OSError):
            pass
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        os.close(self._to_browser)
        os.close(self._from_browser)


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """The how-pages-are-tested page (and the verification page) built with a report for its blocks."""
    where = tmp_path_factory.mktemp("browser")
    source = where / "source"
    (source / "contributing").mkdir(parents=True)
    shutil.copy(ROOT / "source" / PAGE, source / PAGE)
    shutil.copy(ROOT / "source" / "verification.md", source / "verification.md")
    # The verification page links to the prerequisites, where the reader path starts.
    (source / "prerequisites.md").write_text("# Prerequisites\n")
    (source / "index.md").write_text(
        "# Home\n\n```{toctree}\nprerequisites\nverification\ncontributing/how-pages-are-tested\n```\n")
    blocks = [b for b in page_blocks((source / PAGE).read_text(), f"source/{PAGE}")]
    assert all(isinstance(b, Block) for b in blocks), blocks
    entries = []
    for block in blocks:
        outcome = "skipped" if block.options.skip else "passed"
        entries.append({"page": block.page, "line": block.line, "language": block.language,
                        "action": block.action, "checks": [], "tier": block.tier,
                        "outcome": outcome, "reason": block.options.skip, "seconds": 0.1})
    report = where / "report.json"
    report.write_text(json.dumps({"schema": 1, "started": "2026-11-26T10:00:00Z",
                                  "finished": "2026-11-26T10:01:00Z",
                                  "environment": {"docker": None, "postgres": "17.6",
                                                  "meshhook": None, "strict": False},
                                  "blocks": entries}))
    outdir = where / "html"
    result = subprocess.run(
        [sys.executable, "-m", "sphinx", "-W", "--keep-going", "-n", "-b", "html", "-c", str(ROOT),
         "-D", f"guidecheck_root={where}", "-D", f"guidecheck_report={report}", str(source),
         str(outdir)], capture_output=True, text=True, cwd=ROOT, timeout=600)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr
    return outdir, blocks


@pytest.fixture(scope="module")
def server(site):
    outdir, _ = site
    handler = functools.partial(_QuietHandler, directory=str(outdir))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):  # noqa: A002
        pass


@pytest.fixture
def browser(tmp_path, server):
    devtools = DevTools(tmp_path / "profile")
    try:
        target = devtools.call("Target.createTarget", url="about:blank")["targetId"]
        devtools.session = devtools.call("Target.attachToTarget", targetId=target,
                                         flatten=True)["sessionId"]
        devtools.call("Browser.grantPermissions", browser=True, origin=server,
                      permissions=["clipboardReadWrite", "clipboardSanitizedWrite"])
        devtools.call("Page.enable")
        devtools.call("Runtime.enable")
        yield devtools
    finally:
        devtools.close()


def open_page(browser: DevTools, url: str) -> None:
    browser.call("Page.navigate", url=url)
    browser.wait_for("document.readyState === 'complete' && "
                     "document.querySelectorAll('button.copybtn').length > 0")


def test_marks_are_visible(browser, server, site):
    _, blocks = site
    open_page(browser, f"{server}/{PAGE.removesuffix('.md')}.html")
    marks = browser.evaluate("""
        [...document.querySelectorAll('div.guidecheck-block')].map(block => {
          const tab = block.closest('.sd-tab-content');  // a block in a tab shows once its tab is chosen
          if (tab) tab.previousElementSibling.click();
          block.scrollIntoView({block: 'center', behavior: 'instant'});
          const badge = block.querySelector('.guidecheck-badge');
          const style = badge && getComputedStyle(badge);
          const box = badge && badge.getBoundingClientRect();
          return {line: Number(block.dataset.guidecheckLine), text: badge && badge.innerText,
                  visible: !!badge && box.width > 0 && box.height > 0 && style.visibility === 'visible'
                           && style.display !== 'none' && Number(style.opacity) > 0.5,
                  colour: style && style.color,
                  background: getComputedStyle(document.body).backgroundColor};
        })""")
    visible_blocks = [b for b in blocks if not b.options.hidden]
    assert [m["line"] for m in marks] == [b.line for b in visible_blocks]
    for mark, block in zip(marks, visible_blocks, strict=True):
        assert mark["visible"], f"the mark of line {block.line} is not visible: {mark}"
        assert mark["colour"] != mark["background"], mark
        # A step that ran says how long it took in that run.
        took = r" in (under 0\.1 s|[\d.]+ s|\d+ min( \d+ s)?)"
        expected = "not executed" if block.options.skip else (
            "validated" + took if block.action == "check" else "verified · ran" + took)
        assert re.fullmatch(expected, mark["text"]), mark
    line = browser.evaluate("document.querySelector('.guidecheck-page-line').innerText")
    assert line.startswith(f"{len(blocks)} code blocks:"), line
    skip_note = browser.evaluate("""(() => { const n = document.querySelector('.guidecheck-skip-note');
        const box = n.getBoundingClientRect(); return box.height > 0 && n.innerText; })()""")
    assert skip_note and "Supabase Cloud" in skip_note


def test_copy_button_copies_the_commands_alone(browser, server, site):
    _, blocks = site
    # A visible transcript with output lines and a continuation line: the copy must drop the output.
    block = next(b for b in blocks if b.language == "console" and not b.options.hidden
                 and not b.options.skip and "\n> " in b.body)
    lines = block.body.splitlines()
    commands = "\n".join(line[2:] for line in lines if line.startswith(("$ ", "> ")))
    outputs = [line for line in lines if not line.startswith(("$ ", "> ")) and line.strip()]
    assert outputs, "the chosen transcript should show some output"
    open_page(browser, f"{server}/{PAGE.removesuffix('.md')}.html")
    browser.evaluate("""window.__copied = null;
        document.addEventListener('copy', event => {
          const field = event.target;
          window.__copied = (field && typeof field.value === 'string')
            ? field.value.substring(field.selectionStart, field.selectionEnd)
            : String(document.getSelection());
        }, true); true""")
    box = browser.evaluate(f"""(() => {{
        const block = document.querySelector('div.guidecheck-block[data-guidecheck-line="{block.line}"]');
        block.scrollIntoView({{block: 'center', behavior: 'instant'}});
        const button = block.querySelector('button.copybtn');
        const box = button.getBoundingClientRect();
        return {{x: box.x + box.width / 2, y: box.y + box.height / 2}};
    }})()""")
    browser.click(box["x"], box["y"])
    copied = browser.wait_for("window.__copied", timeout=10)
    assert copied == commands
    assert not set(outputs) & set(copied.splitlines()), "output lines were copied"
    button = f'div.guidecheck-block[data-guidecheck-line="{block.line}"] button.copybtn'
    tooltip = browser.wait_for(f"""(() => {{
        const tip = document.querySelector('{button}').getAttribute('data-tooltip');
        return tip === 'Copied!' && tip; }})()""", timeout=5)
    assert tooltip == "Copied!"
    clipboard = browser.evaluate("navigator.clipboard.readText().catch(error => 'unreadable: ' + error)")
    assert clipboard == commands, clipboard
