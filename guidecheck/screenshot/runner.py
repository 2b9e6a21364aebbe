"""A screenshot block in a page run: capture in the page's session, keep the picture in the run's output.

The capture runs as a command of the page's shell, so its timeout and cleanup are those of every other
step: a browser that overruns is killed with everything it started, and its temporary profile lives in
the page's own directory, removed with it. A picture that passed is copied next to the verification
report (``screenshots/<page>/L<line>.png``) and the report names it; the docs build embeds it from there.
"""

from __future__ import annotations

import shlex
import shutil
from pathlib import Path

from ..failure import Failure
from ..pages import SOURCE

DIRECTORY = "screenshots"  # beside the report


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
    # The browser's temporary profile goes to the page's scratch directory, removed with the page.
    result = page.shell.bash(f"TMPDIR={shlex.quote(str(page.shell.scratch))} {command}",
                             timeout=block.options.timeout, name=f"L{block.line}-screenshot")
    if result.timed_out:
        raise Failure(f"{block.where}: no screenshot of {shot.url} after {block.options.timeout:g} s")
    if result.status != 0 or not out.is_file():
        said = result.output.strip().splitlines()
        raise Failure(f"{block.where}: " + (said[-1] if said else f"no screenshot of {shot.url}"))
    return result.output


def keep(page, block, report: Path) -> str:
    """Copy the block's picture beside the *report*; its path relative to the report's directory."""
    stem = Path(block.page).relative_to(SOURCE).with_suffix("") if block.page.startswith(SOURCE + "/") \
        else Path(block.page).with_suffix("")
    relative = Path(DIRECTORY, stem, f"L{block.line}.png")
    destination = report.parent / relative
    destination.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(picture(page, block), destination)
    return relative.as_posix()
