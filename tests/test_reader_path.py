"""The reader path's page list: the core pages, in the order the table of contents gives them."""

from __future__ import annotations

import re
from pathlib import Path

from guidecheck import readerpath
from guidecheck.vocabulary import FILE, SCREENSHOT

ROOT = Path(__file__).resolve().parent.parent
_TOCTREE = re.compile(r"```\{toctree\}\n(.*?)```", re.DOTALL)


def reading_order(page: str = "index.md") -> list[str]:
    """Pages depth first through the toctrees of the Markdown sources, as Sphinx orders them."""
    order = [page]
    folder = Path(page).parent
    for body in _TOCTREE.findall((ROOT / "source" / page).read_text()):
        for line in body.splitlines():
            entry = line.strip()
            if entry and not entry.startswith(":"):
                order += reading_order((folder / f"{entry}.md").as_posix())
    return order


def test_the_path_follows_the_reading_order():
    order = reading_order()
    positions = [order.index(page) for page in readerpath.PAGES]
    assert positions == sorted(positions), [order[i] for i in sorted(positions)]


def test_the_path_starts_by_installing_and_ends_with_the_smoke_test():
    blocks = readerpath.path_blocks(ROOT)
    assert blocks[0].options.provision, blocks[0].where
    smoke = [b for b in blocks if "CURL_CA_BUNDLE=caddy-root.crt ./smoke-test.sh" in b.body]
    assert [b.page for b in smoke] == ["source/deploy/compose.md"]
    # Nothing the reader skips is in the path, and file blocks are saved there like any other step.
    assert not any(b.options.skip for b in blocks)
    # The guide's hidden checks are not what a reader types; the path proves they make no state.
    assert not any(b.options.hidden for b in blocks)
    assert any(b.kind == FILE for b in blocks)
    # A reader looks at the pages the run takes screenshots of: pictures are not steps of the path.
    assert not any(b.kind == SCREENSHOT for b in blocks)
    assert any(b.kind == SCREENSHOT for b in readerpath.read_blocks(ROOT / "source/deploy/compose.md",
                                                                     "source/deploy/compose.md"))
