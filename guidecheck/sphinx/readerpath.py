"""``{reader-path-result}``: what the last reader-path run proved, on the verification page.

The run (``python3 -m guidecheck.readerpath``) writes ``reader-path.json`` beside the verification
report; this directive shows it, or says plainly that this build has none.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from docutils import nodes
from sphinx.util.docutils import SphinxDirective

RESULT_NAME = "reader-path.json"


class reader_path_result(nodes.General, nodes.Element):
    """Filled in when the page is resolved, from the result file of this build."""


class ReaderPathResult(SphinxDirective):
    def run(self):
        self.env.guidecheck_reader_path_docs = getattr(self.env, "guidecheck_reader_path_docs", set())
        self.env.guidecheck_reader_path_docs.add(self.env.docname)
        return [reader_path_result(classes=["guidecheck-reader-path"])]


def _result_path(app) -> Path:
    report = Path(app.config.guidecheck_report)
    root = Path(app.config.guidecheck_root or app.confdir)
    return (report if report.is_absolute() else root / report).with_name(RESULT_NAME)


def _load(app) -> dict | None:
    try:
        return json.loads(_result_path(app).read_text())
    except (OSError, ValueError):
        return None


def _paragraph(*parts) -> nodes.paragraph:
    paragraph = nodes.paragraph()
    for part in parts:
        paragraph += part if isinstance(part, nodes.Node) else nodes.Text(part)
    return paragraph


def _describe(app, fromdoc: str, result: dict | None) -> list[nodes.Node]:
    if result is None:
        return [_paragraph("This build has no result of a reader-path run.")]
    pages = nodes.enumerated_list()
    for page in result["pages"]:
        docname = page.removesuffix(".md")
        title = app.env.titles.get(docname)
        item = nodes.list_item()
        ref = nodes.reference("", title.astext() if title else page, internal=True,
                              refuri=app.builder.get_relative_uri(fromdoc, docname))
        item += _paragraph(ref)
        pages += item
    if result["outcome"] == "passed":
        verdict = (f"Passed on {result['started'][:10]}: all {result['blocks']} blocks of these pages, "
                   f"in this order, in one session on a bare {result['image']} container, in "
                   f"{result['seconds']:.0f} s, the compose page's smoke test included.")
    else:
        failure = result.get("failure") or {}
        verdict = (f"Failed on {result['started'][:10]} at {failure.get('where', '?')}, after "
                   f"{result['passed']} of {result['blocks']} blocks.")
    return [pages, _paragraph(nodes.strong("", verdict))]


def _resolved(app, doctree, docname: str) -> None:
    for holder in list(doctree.findall(reader_path_result)):
        holder.replace_self(_describe(app, docname, _load(app)))


def _outdated(app, env, added, changed, removed) -> list[str]:
    """Re-read the pages that show the result when the result file changed."""
    try:
        digest = hashlib.sha256(_result_path(app).read_bytes()).hexdigest()
    except OSError:
        digest = None
    if getattr(env, "guidecheck_reader_path_digest", None) == digest:
        return []
    env.guidecheck_reader_path_digest = digest
    return sorted(getattr(env, "guidecheck_reader_path_docs", set()) - set(added) - set(changed))


def _purge(app, env, docname: str) -> None:
    getattr(env, "guidecheck_reader_path_docs", set()).discard(docname)


def _merge(app, env, docnames, other) -> None:
    env.guidecheck_reader_path_docs = (getattr(env, "guidecheck_reader_path_docs", set())
                                       | getattr(other, "guidecheck_reader_path_docs", set()))


def setup(app) -> None:
    app.add_node(reader_path_result)
    app.add_directive("reader-path-result", ReaderPathResult)
    app.connect("doctree-resolved", _resolved)
    app.connect("env-get-outdated", _outdated)
    app.connect("env-purge-doc", _purge)
    app.connect("env-merge-info", _merge)
