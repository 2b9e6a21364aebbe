"""``{screenshot}``: a picture of MeshHook's UI as the last verification run took it in a browser.

The directive reads its options through the same converters as the engine
(``guidecheck.screenshot.declaration``). ``matching`` wraps the figure like a code block, so it gets the
same status mark. When the page is resolved, the picture the report names is copied into the output
and shown; a build without one says plainly that the picture is taken by a verification run.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from docutils import nodes
from sphinx.util.docutils import SphinxDirective

from ..report import PASSED
from ..screenshot.declaration import DEFAULT_VIEWPORT, DIRECTIVE, sphinx_option_spec
from . import status
from .elements import output_file, paragraph
from .state import report as load_report
from .state import report_path

OUTPUT = "_screenshots"  # pictures, under the HTML output directory


class screenshot_figure(nodes.General, nodes.Element):
    """Placeholder: attributes url, line, viewport, alt; children: the caption's paragraphs."""


class Screenshot(SphinxDirective):
    required_arguments = 1
    has_content = True
    option_spec = sphinx_option_spec()

    def run(self) -> list[nodes.Node]:
        width, height = self.options.get("viewport", DEFAULT_VIEWPORT)
        node = screenshot_figure(url=self.arguments[0], viewport=f"{width}×{height}",
                                 alt=self.options.get("alt"), classes=["guidecheck-screenshot"])
        node.source, node.line = self.get_source_info()
        self.state.nested_parse(self.content, self.content_offset, node)
        return [node]


def _picture_uri(app, docname: str, node: screenshot_figure, picture: Path) -> str | None:
    """Copy the run's picture into the output; its URI from the page (None: not an HTML build)."""
    target = f"{OUTPUT}/{docname}/L{node['block_line']}.png"
    return output_file(app, docname, target, lambda path: shutil.copyfile(picture, path))


def _figure(app, docname: str, node: screenshot_figure, report) -> nodes.figure:
    paragraphs = [child for child in node.children if isinstance(child, nodes.paragraph)]
    caption_text = paragraphs[0].astext() if paragraphs else node["url"]
    entry = report.get(node["page"], node["block_line"]) if report and node.get("page") else None
    picture = (report_path(app).parent / entry.screenshot
               if entry and entry.outcome == PASSED and entry.screenshot else None)
    uri = _picture_uri(app, docname, node, picture) if picture and picture.is_file() else None
    line = node.get("block_line", node.line)
    figure = nodes.figure(classes=["guidecheck-screenshot"], ids=[f"screenshot-{line}"])
    if uri:
        # Copied into the output here, so not one of the images Sphinx collects and copies itself.
        figure += nodes.image(uri=uri, candidates={"*": uri}, alt=node.get("alt") or caption_text,
                              classes=["guidecheck-shot"])
    if paragraphs:
        figure += nodes.caption("", "", *paragraphs[0].children)
    legend = nodes.legend()
    legend.extend(node.children[1:] if paragraphs and node.children[0] is paragraphs[0] else [])
    if uri:
        browser = report.environment.get("browser")
        legend += paragraph(f"Taken by the guide's verification run on {status.report_date(report)}"
                            + (f" in Chromium {browser}" if browser else "")
                            + f", in a window of {node['viewport']} pixels, at ", nodes.literal("", node["url"]), ".",
                            classes=["guidecheck-shot-credit"])
    else:
        legend += paragraph("No picture in this build: it is taken by the guide's verification run, in a "
                            f"real browser at {node['viewport']}, from ", nodes.literal("", node["url"]),
                            ", and this build has no picture from such a run.",
                            classes=["guidecheck-shot-missing"])
    figure += legend
    return figure


def doctree_resolved(app, doctree: nodes.document, docname: str) -> None:
    report = load_report(app)
    for node in list(doctree.findall(screenshot_figure)):
        node.replace_self(_figure(app, docname, node, report))


def setup(app) -> None:
    app.add_node(screenshot_figure)
    app.add_directive(DIRECTIVE, Screenshot)
    app.connect("doctree-resolved", doctree_resolved)
