"""The Sybil side: each code block of a page becomes one example, evaluated in the page's session."""

from __future__ import annotations

import os
from pathlib import Path

from sybil import Region, Sybil

from .blocks import page_blocks
from .evaluate import evaluate
from .update import apply


class GuideParser:
    """A Sybil parser yielding a region for every fence the engine classified, or refused."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def __call__(self, document):
        page = os.path.relpath(document.path, self.root)
        for block in page_blocks(document.text, page):
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


def guide_sybil(root: Path, source: str = "source") -> Sybil:
    """The Sybil that turns every page under ``source/`` into tests."""
    return Sybil(
        parsers=[GuideParser(root)],
        path=str(root / source),
        patterns=["*.md"],
        excludes=["_build/*", "_templates/*", "_static/*"],
        teardown=_close_page,
        fixtures=["guide_run"],
    )
