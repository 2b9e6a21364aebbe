"""A screenshot block in a page run: capture in the page's session, keep the picture in the run's output.

The capture runs as a command of the page's shell, so its timeout and cleanup are those of every other
step: a browser that overruns is killed with everything it started; its temporary profile is removed
right after. A picture that passed is copied next to the verification
report (``screenshots/<page>/L<line>.png``) and the report names it; the docs build embeds it from there.
"""

from __future__ import annotations

import shlex
import shutil
import tempfile
from pathlib import Path

from ..failure import Failure
from ..pages import SOURCE

DIRECTORY = "screenshots"  # beside the report
_REFUSED = "no screenshot:"  # how the capture starts its account of a failure
_SHOWN = 20  # lines of it in the block's failure
_WIDTH = 300  # characters of each (a browser's command line runs to thousands)


def picture(page, block) -> Path:
    """Where the page's session keeps the block's picture until the run keeps it."""
    return page.shell.scratch / f"L{block.line}.png"


def run_screenshot(block, page) -> str:
    """Take the block's picture; Failure naming page:line when the page does not show what it must."""
    shot, out = block.shot, picture(page, block)
    out.unlink(missing_ok=True)
    command = shlex.join(["python3", "-m", "guidecheck.screenshot.capture", "--url", shot.url,
                          "--expect", shot.expect, "--viewport", "x".join(map(str, shot.viewport)),
                          "--timeout", f"{max(5.0, block.options.timeout - 15):g}", "--out", str(out)])
    # The browser's temporary profile goes to a directory of this capture's own, removed after it
    # however it ends (short: Chromium's socket paths in it must stay under the kernel's 108 bytes).
    profile = tempfile.mkdtemp(prefix="gc-shot-")
    try:
        result = page.shell.bash(f"TMPDIR={shlex.quote(profile)} {command}",
                                 timeout=block.options.timeout, name=f"L{block.line}-screenshot")
    finally:
        shutil.rmtree(profile, ignore_errors=True)
    if result.timed_out:
        raise Failure(f"{block.where}: no screenshot of {shot.url} after {block.options.timeout:g} s")
    if result.status != 0 or not out.is_file():
        raise Failure(f"{block.where}: {_why(result.output, shot.url)}")
    return result.output


def _why(output: str, url: str) -> str:
    """The capture's own account (from its "no screenshot:" line on), capped; else its last lines."""
    lines = output.strip().splitlines()
    start = next((n for n, line in enumerate(lines) if line.startswith(_REFUSED)), max(0, len(lines) - _SHOWN))
    shown = [line if len(line) <= _WIDTH else line[:_WIDTH] + " …" for line in lines[start:start + _SHOWN]]
    return "\n".join(shown) or f"no screenshot of {url}"


def keep(page, block, report: Path) -> str:
    """Copy the block's picture beside the *report*; its path relative to the report's directory."""
    stem = Path(block.page).relative_to(SOURCE).with_suffix("") if block.page.startswith(SOURCE + "/") \
        else Path(block.page).with_suffix("")
    relative = Path(DIRECTORY, stem, f"L{block.line}.png")
    destination = report.parent / relative
    destination.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(picture(page, block), destination)
    return relative.as_posix()
