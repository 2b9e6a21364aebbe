"""Small docutils builders shared by the extension's directives and summaries."""

from __future__ import annotations

from pathlib import Path
from collections.abc import Callable

from docutils import nodes
from sphinx.errors import NoUri
from sphinx.util.osutil import relative_uri


def paragraph(*parts: nodes.Node | str, classes=()) -> nodes.paragraph:
    result = nodes.paragraph(classes=list(classes))
    for part in parts:
        result += part if isinstance(part, nodes.Node) else nodes.Text(part)
    return result


def reference(text: str, uri: str | None, classes=(), tooltip: str | None = None) -> nodes.Node:
    """A link, or plain text when the builder has no page to link to."""
    if uri is None:
        return nodes.Text(text)
    extra = {"reftitle": tooltip} if tooltip else {}
    return nodes.reference("", text, refuri=uri, internal=True, classes=list(classes), **extra)


def link(app, fromdoc: str, todoc: str, anchor: str = "") -> str | None:
    try:
        uri = app.builder.get_relative_uri(fromdoc, todoc)
    except NoUri:
        return None
    return uri + (f"#{anchor}" if anchor else "")


def table(headers: list[str], rows: list[list], classes=(), title: str | None = None,
          widths: list[int] | None = None) -> nodes.table:
    """A table; a cell is a paragraph, an entry, another node or plain text."""
    result = nodes.table(classes=list(classes))
    if title:
        result += nodes.title("", title)
    group = nodes.tgroup(cols=len(headers))
    result += group
    for width in widths or [1] * len(headers):
        group += nodes.colspec(colwidth=width)
    head, body = nodes.thead(), nodes.tbody()
    group += head
    group += body
    for target, cells in ((head, [headers]), (body, rows)):
        for cells_of_row in cells:
            row = nodes.row()
            for cell in cells_of_row:
                row += cell if isinstance(cell, nodes.entry) else _entry(cell)
            target += row
    return result


def _entry(cell) -> nodes.entry:
    entry = nodes.entry()
    entry += cell if isinstance(cell, nodes.paragraph) else paragraph(
        cell if isinstance(cell, nodes.Node) else str(cell))
    return entry


def plural(number: int, word: str) -> str:
    if number == 1:
        return f"1 {word}"
    return f"{number} {word[:-1]}ies" if word.endswith("y") else f"{number} {word}s"


def output_file(app, docname: str, target: str, write: Callable[[Path], object]) -> str | None:
    """Write a file under the output directory with *write*; its URI from the page, or None (not HTML)."""
    if app.builder.format != "html":
        return None
    destination = Path(app.builder.outdir, *target.split("/"))
    destination.parent.mkdir(parents=True, exist_ok=True)
    write(destination)
    return relative_uri(app.builder.get_target_uri(docname), target)
