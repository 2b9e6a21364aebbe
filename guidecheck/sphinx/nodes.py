"""The extension's doctree nodes and directives."""

from __future__ import annotations

from docutils import nodes
from sphinx.directives.code import CodeBlock
from sphinx.util.docutils import SphinxDirective

from ..vocabulary import CODE_DIRECTIVES, sphinx_option_spec
from .state import state


class verified_block(nodes.container):
    """Wraps one rendered code block; attributes: page, line, skip, file_path, body."""


class page_status(nodes.container):
    """Placeholder for a page's summary line, filled in when the doctree is resolved."""


class verification_summary(nodes.container):
    """Placeholder for the site-wide summary, filled in when the doctree is resolved."""


def visit_verified_block(self, node: verified_block) -> None:
    attributes = {"data-guidecheck-page": node["page"], "data-guidecheck-line": str(node["line"])}
    if node.get("status"):
        attributes["data-guidecheck-status"] = node["status"]
    self.body.append(self.starttag(node, "div", CLASS="guidecheck-block", **attributes))


def depart_verified_block(self, node: verified_block) -> None:
    self.body.append("</div>\n")


class GuideCodeBlock(CodeBlock):
    """Sphinx's code block, accepting the verification options (and rendering none of them)."""

    option_spec = {**CodeBlock.option_spec, **sphinx_option_spec()}

    def run(self) -> list[nodes.Node]:
        if self.options.get("hidden"):
            return []
        return super().run()


class VerificationSummary(SphinxDirective):
    """``{verification-summary}``: every page's counts and every skipped block, from the report."""

    has_content = False

    def run(self) -> list[nodes.Node]:
        state(self.env)["summaries"].add(self.env.docname)
        return [verification_summary(classes=["guidecheck-summary"])]


class VerificationStatus(SphinxDirective):
    """``{verification-status}``: put the page's summary line here instead of under the title."""

    has_content = False

    def run(self) -> list[nodes.Node]:
        return [page_status(classes=["guidecheck-page-status"])]


def setup(app) -> None:
    app.add_node(verified_block, html=(visit_verified_block, depart_verified_block))
    app.add_node(page_status)
    app.add_node(verification_summary)
    for name in CODE_DIRECTIVES:
        app.add_directive(name, GuideCodeBlock, override=True)
    app.add_directive("verification-summary", VerificationSummary)
    app.add_directive("verification-status", VerificationStatus)
