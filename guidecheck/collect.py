"""The Sybil side: each code block of a page becomes one example, evaluated in the page's session."""

from __future__ import annotations

from pathlib import Path

from sybil import Document, Region, Sybil

from .blocks import BlockError, page_blocks
from .evaluate import evaluate
from .pages import PAGE_SUFFIX, SOURCE, PageError, page_name, read_page
from .update import apply


class GuidePage(Document):
    """A page as Sybil sees it, read by the engine's one page reader."""

    unreadable: PageError | None = None

    @classmethod
    def parse(cls, path: str, *parsers, encoding: str = "utf-8") -> Document:
        try:
            document = cls(read_page(Path(path)), path)
        except PageError as error:
            document = cls("", path)  # the parser reports the error as the page's one block
            document.unreadable = error
        for parser in parsers:
            for region in parser(document):
                document.add(region)
        return document


class GuideParser:
    """A Sybil parser yielding a region for every fence the engine classified, or refused."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def __call__(self, document):
        page = page_name(document.path, self.root)
        error = getattr(document, "unreadable", None)
        found = [BlockError(page, error.line, error.message)] if error else page_blocks(document.text, page)
        for block in found:
            yield Region(block.start, block.end, parsed=block, evaluator=evaluate)


def _close_page(namespace: dict) -> None:
    page = namespace.pop("page", None)
    if page is None:
        return
    try:
        if page.updates:
            apply(page.context.settings.root / page.page, page.updates)
    finally:
        page.close()


def guide_sybil(root: Path, source: str = SOURCE) -> Sybil:
    """The Sybil that turns every page under ``source/`` into tests."""
    return Sybil(
        parsers=[GuideParser(root)],
        path=str(root / source),
        patterns=["*" + PAGE_SUFFIX],
        document_types={PAGE_SUFFIX: GuidePage},
        excludes=["_build/*", "_templates/*", "_static/*"],
        teardown=_close_page,
        fixtures=["guide_run"],
    )
