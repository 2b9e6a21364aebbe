"""The guide's pages on disk: where they live, what each is called, and the one way to read one.

Every part of the engine (the run's controller, the Sybil parser, the completeness check, the Sphinx
extension, lint) reads pages through :func:`read_page`, so a page that is not valid UTF-8 is one error
naming that page, its line and byte offset, wherever it is read, and never a traceback.
"""

from __future__ import annotations

import os
from pathlib import Path

SOURCE = "source"  # the directory of the guide's pages, relative to the repository root
PAGE_SUFFIX = ".md"


class PageError(ValueError):
    """A page the engine cannot read; the message names page:line."""

    def __init__(self, page: str, line: int, message: str) -> None:
        super().__init__(location(page, line) + ": " + message)
        self.page, self.line, self.message = page, line, message


def location(page: str, line: int) -> str:
    """How a block or a page line is named everywhere: in errors, in the report, to readers."""
    return f"{page}:{line}"


def page_name(path: Path | str, root: Path) -> str:
    """A page's name: its path relative to the repository root (the report's ``page``)."""
    return Path(os.path.relpath(Path(path).resolve(), root.resolve())).as_posix()


def pages_under(directory: Path) -> list[Path]:
    """Every page below *directory*, in a stable order."""
    return sorted(directory.rglob("*" + PAGE_SUFFIX))


def read_page(path: Path, page: str | None = None) -> str:
    """The text of a page; PageError (page:line, byte offset) when it is not valid UTF-8."""
    data = path.read_bytes()
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        raise PageError(page or str(path), line,
                        f"not valid UTF-8 at byte {error.start} ({error.reason}): save the page as UTF-8") \
            from None
