"""Sphinx side of the guide's tests.

* ``code-block``/``code``/``sourcecode`` accept every verification option of the vocabulary, so pages
  render clean under ``-W``; ``:hidden:`` blocks render nothing, the other verification options are
  not shown, a ``:skip:`` reason is shown under its block.
* Nothing is silently ignored: every page is run through the engine's own classifier
  (``guidecheck.blocks.page_blocks``); each refused fence is a warning at page:line, and so is any code
  block Sphinx renders that the engine did not find (an indented code block, say) and any block the
  engine found that Sphinx did not render.
* Each rendered block carries its status from the last verification report; each page with blocks
  gets a summary line; ``{verification-summary}`` lists every page and every skipped block.
* File blocks (a ``:caption:`` that is a relative path) get a download link to their exact content.
"""

from __future__ import annotations

import os
from pathlib import Path

from docutils import nodes
from sphinx.directives.code import CodeBlock
from sphinx.errors import NoUri
from sphinx.util import logging
from sphinx.util.docutils import SphinxDirective
from sphinx.util.osutil import relative_uri

from ..blocks import Block, BlockError, page_blocks
from .. import transcript
from ..vocabulary import sphinx_option_spec
from . import report as reports
from . import variables
from .report import ReportError, block_status, count, load_report

logger = logging.getLogger(__name__)

DEFAULT_REPORT = "build/verify/report.json"
ARTIFACTS = "_artifacts"


# --- nodes -------------------------------------------------------------------------------------------

class verified_block(nodes.container):
    """Wraps one rendered code block; attributes: page, line, skip, file_path, body."""


class page_status(nodes.container):
    """Placeholder for a page's summary line, filled in when the doctree is resolved."""


class verification_summary(nodes.container):
    """Placeholder for the site-wide summary, filled in when the doctree is resolved."""


def _visit_verified_block(self, node: verified_block) -> None:
    attributes = {"data-guidecheck-page": node["page"], "data-guidecheck-line": str(node["line"])}
    if node.get("status"):
        attributes["data-guidecheck-status"] = node["status"]
    self.body.append(self.starttag(node, "div", CLASS="guidecheck-block", **attributes))


def _depart_verified_block(self, node: verified_block) -> None:
    self.body.append("</div>\n")


# --- directives --------------------------------------------------------------------------------------

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
        _state(self.env)["summaries"].add(self.env.docname)
        return [verification_summary(classes=["guidecheck-summary"])]


class VerificationStatus(SphinxDirective):
    """``{verification-status}``: put the page's summary line here instead of under the title."""

    has_content = False

    def run(self) -> list[nodes.Node]:
        return [page_status(classes=["guidecheck-page-status"])]


# --- environment state -------------------------------------------------------------------------------

def _state(env) -> dict:
    """Per-build data kept in the (pickled) environment."""
    if not hasattr(env, "guidecheck"):
        env.guidecheck = {"pages": {}, "summaries": set(), "report_digest": None}
    return env.guidecheck


def _purge(app, env, docname: str) -> None:
    state = _state(env)
    state["pages"].pop(docname, None)
    state["summaries"].discard(docname)


def _merge(app, env, docnames, other) -> None:
    mine, theirs = _state(env), _state(other)
    for docname in docnames:
        if docname in theirs["pages"]:
            mine["pages"][docname] = theirs["pages"][docname]
        if docname in theirs["summaries"]:
            mine["summaries"].add(docname)


def _root(app) -> Path:
    return Path(app.config.guidecheck_root or app.confdir).resolve()


def _page_path(app, docname: str) -> str:
    source = Path(app.env.doc2path(docname)).resolve()
    return Path(os.path.relpath(source, _root(app))).as_posix()


def _report(app):
    """The report for this build (loaded once), or None; a broken report is a warning."""
    if not hasattr(app, "_guidecheck_report"):
        path = Path(app.config.guidecheck_report)
        if not path.is_absolute():
            path = _root(app) / path
        try:
            app._guidecheck_report = load_report(path)
        except ReportError as error:
            logger.warning("unusable verification report: %s", error, type="guidecheck",
                           subtype="report")
            app._guidecheck_report = None
        loaded = app._guidecheck_report
        if loaded is not None:
            for page, line in loaded.duplicates:
                logger.warning("the verification report lists %s:%d more than once", page, line,
                               type="guidecheck", subtype="report")
        app._guidecheck_report_path = path
    return app._guidecheck_report


def _outdated(app, env, added, changed, removed) -> list[str]:
    """Re-read every page when the report changed; the summary page whenever any page changed."""
    state = _state(env)
    report = _report(app)
    digest = report.digest if report else None
    again: set[str] = set()
    if state["report_digest"] != digest:
        state["report_digest"] = digest
        again |= set(env.all_docs)
    if added or changed or removed:
        again |= set(state["summaries"])
    return sorted(again - set(added) - set(changed) - set(removed))


# --- reading: match rendered code blocks with the engine's blocks -----------------------------------

def _code_unit(node: nodes.literal_block) -> nodes.Element:
    """The literal block, or the captioned container Sphinx wraps it in."""
    parent = node.parent
    if isinstance(parent, nodes.container) and "literal-block-wrapper" in parent["classes"]:
        return parent
    return node


def _doctree_read(app, doctree: nodes.document) -> None:
    env = app.env
    docname = env.docname
    source = Path(env.doc2path(docname)).resolve()
    if source.suffix != ".md":
        return
    page = _page_path(app, docname)
    text = source.read_text(encoding="utf-8")
    found = page_blocks(text, page)
    blocks: dict[int, Block] = {}
    for item in found:
        if isinstance(item, Block):
            blocks[item.line] = item
        else:
            logger.warning("%s", item.message, location=(docname, item.line), type="guidecheck",
                           subtype="block")
    # Fences the engine refused were reported just above; their rendering needs no second warning.
    refused = {item.fence_line for item in found if isinstance(item, BlockError)}

    rendered: set[int] = set()
    for node in list(doctree.findall(nodes.literal_block)):
        same_file = not node.source or Path(node.source).resolve() == source
        block = blocks.get(node.line) if same_file else None
        if block is None and same_file and node.line in refused:
            continue
        if block is None or block.line in rendered:
            logger.warning(
                "this code block is not a fenced block the tests know about (an indented code "
                "block, or a block from another file?): write it as a ``` fence with a language",
                location=node, type="guidecheck", subtype="block")
            continue
        rendered.add(block.line)
        unit = _code_unit(node)
        wrapper = verified_block(
            page=page, line=block.line, skip=block.options.skip, file_path=block.options.file_path,
            body=block.body if block.options.file_path else None, ids=[f"block-{block.line}"])
        wrapper.source, wrapper.line = node.source, node.line
        unit.parent.replace(unit, wrapper)
        wrapper += unit

    for block in blocks.values():
        if block.line not in rendered and not block.options.hidden:
            logger.warning("the tests run this block but Sphinx does not render it; check its "
                           "indentation and the directive around it",
                           location=(docname, block.line), type="guidecheck", subtype="block")

    _state(env)["pages"][docname] = {
        "page": page,
        "blocks": [
            {"line": b.line, "language": b.language, "action": b.action, "tier": b.tier,
             "skip": b.options.skip, "hidden": b.options.hidden}
            for b in blocks.values()
        ],
    }
    if blocks and not any(True for _ in doctree.findall(page_status)):
        holder = page_status(classes=["guidecheck-page-status"])
        section = next(iter(doctree.findall(nodes.section)), None)
        if section is not None and section.children and isinstance(section[0], nodes.title):
            section.insert(1, holder)
        else:
            doctree.insert(0, holder)


# --- resolving: statuses, summaries, downloads ------------------------------------------------------

def _summary_doc(app) -> str | None:
    summaries = sorted(_state(app.env)["summaries"])
    return summaries[0] if summaries else None


def _link(app, fromdoc: str, todoc: str, anchor: str = "") -> str | None:
    try:
        uri = app.builder.get_relative_uri(fromdoc, todoc)
    except NoUri:
        return None
    return uri + (f"#{anchor}" if anchor else "")


def _paragraph(*parts, classes=()) -> nodes.paragraph:
    paragraph = nodes.paragraph(classes=list(classes))
    for part in parts:
        paragraph += part if isinstance(part, nodes.Node) else nodes.Text(part)
    return paragraph


def _reference(text: str, uri: str | None, classes=()) -> nodes.Node:
    if uri is None:
        return nodes.Text(text)
    return nodes.reference("", text, refuri=uri, internal=True, classes=list(classes))


def _plural(number: int, word: str) -> str:
    if number == 1:
        return f"1 {word}"
    return f"{number} {word[:-1]}ies" if word.endswith("y") else f"{number} {word}s"


def _counts_words(totals: dict[str, int]) -> str:
    words = [f"{totals[reports.RAN]} ran", f"{totals[reports.VALIDATED]} validated",
             f"{totals[reports.SKIPPED]} skipped"]
    if totals[reports.FAILED]:
        words.append(f"{totals[reports.FAILED]} failed")
    if totals[reports.MISSING]:
        words.append(f"{totals[reports.MISSING]} {reports.NOT_IN_RUN}")
    return ", ".join(words)


def _write_artifact(app, docname: str, file_path: str, body: str) -> str | None:
    """Write a file block's content under the output directory; its URI from the page, or None."""
    if app.builder.format != "html":  # file_path is already a plain relative path (vocabulary)
        return None
    target = f"{ARTIFACTS}/{docname}/{file_path}"
    destination = Path(app.builder.outdir, *target.split("/"))
    destination.parent.mkdir(parents=True, exist_ok=True)
    destination.write_text(body, encoding="utf-8")
    return relative_uri(app.builder.get_target_uri(docname), target)


def _mark_block(app, docname: str, wrapper: verified_block, report) -> None:
    mark = nodes.paragraph(classes=["guidecheck-mark"])
    if report is not None:
        status, label = block_status(report.get(wrapper["page"], wrapper["line"]))
        if status == reports.SKIPPED and wrapper.get("skip") and label.endswith(f": {wrapper['skip']}"):
            label = "not executed"  # the reason is right below, in the skip note
        wrapper["status"] = status
        wrapper["classes"].append(f"guidecheck-{status}")
        mark += nodes.inline("", label, classes=["guidecheck-badge", f"guidecheck-badge-{status}"])
    if wrapper.get("file_path") and wrapper.get("body") is not None:
        uri = _write_artifact(app, docname, wrapper["file_path"], wrapper["body"])
        if uri:
            if len(mark):
                mark += nodes.Text(" ")
            mark += nodes.reference("", "download", refuri=uri, classes=["guidecheck-download"])
    if len(mark):
        wrapper += mark
    if wrapper.get("skip"):
        wrapper += _paragraph("Not run by the guide's tests: ", nodes.emphasis("", wrapper["skip"]),
                              classes=["guidecheck-skip-note"])


def _page_line(app, docname: str, report) -> nodes.paragraph | None:
    info = _state(app.env)["pages"].get(docname)
    if not info or not info["blocks"]:
        return None
    number = _plural(len(info["blocks"]), "code block")
    summary_doc = _summary_doc(app)
    uri = _link(app, docname, summary_doc) if summary_doc else None
    if report is None:
        return _paragraph(f"{number} · ", _reference("This build is unverified", uri),
                          ": no verification report was read.", classes=["guidecheck-page-line"])
    totals = count(report.get(info["page"], b["line"]) for b in info["blocks"])
    return _paragraph(f"{number}: {_counts_words(totals)} · ", _reference("verified", uri),
                      f" on {report.date} with {report.environment_words()}.",
                      classes=["guidecheck-page-line"])


def _table(headers: list[str], rows: list[list], classes=()) -> nodes.table:
    table = nodes.table(classes=list(classes))
    group = nodes.tgroup(cols=len(headers))
    table += group
    for _ in headers:
        group += nodes.colspec(colwidth=1)
    head, body = nodes.thead(), nodes.tbody()
    group += head
    group += body
    for target, cells in ((head, [headers]), (body, rows)):
        for cells_of_row in cells:
            row = nodes.row()
            for cell in cells_of_row:
                entry = nodes.entry()
                entry += cell if isinstance(cell, nodes.paragraph) else _paragraph(str(cell))
                row += entry
            target += row
    return table


def _site_summary(app, docname: str, report) -> list[nodes.Node]:
    pages = _state(app.env)["pages"]
    by_page = {info["page"]: (doc, info) for doc, info in pages.items() if info["blocks"]}
    out: list[nodes.Node] = []
    if report is None:
        out.append(_paragraph(
            "This build is unverified: no verification report was found at ",
            nodes.literal("", app.config.guidecheck_report),
            ". Run the guide's tests to produce one, then build again.",
            classes=["guidecheck-unverified"]))
    else:
        env = report.environment
        strict = "strict" if env.get("strict") else "not strict: a block whose backend was missing " \
                                                    "was skipped, not failed"
        out.append(_paragraph(
            f"Verified on {report.date} with {report.environment_words()} "
            f"(run {report.started or '?'} to {report.finished or '?'}; {strict}).",
            classes=["guidecheck-verified"]))

    entries_by_page: dict[str, list[dict]] = {}
    if report is not None:
        for entry in report.entries:
            entries_by_page.setdefault(entry["page"], []).append(entry)
    rows, totals_row = [], [0] * 6
    for page in sorted(set(by_page) | set(entries_by_page)):
        doc, info = by_page.get(page, (None, {"blocks": []}))
        blocks = info["blocks"]
        uri = _link(app, docname, doc) if doc else None
        cell = _paragraph(_reference(page, uri))
        if report is None:
            skipped = sum(1 for b in blocks if b["skip"])
            numbers = [len(blocks), None, None, skipped, None, None]
        else:
            reported = count(entries_by_page.get(page, []))
            missing = sum(1 for b in blocks if report.get(page, b["line"]) is None)
            numbers = [len(blocks), reported[reports.RAN], reported[reports.VALIDATED],
                       reported[reports.SKIPPED], reported[reports.FAILED], missing]
        for index, number in enumerate(numbers):
            totals_row[index] += number or 0
        rows.append([cell, *("–" if n is None else n for n in numbers)])
    if report is None:
        headers = ["Page", "Blocks", "Ran", "Validated", "Skipped (:skip:)", "Failed", "Not in report"]
        totals = [totals_row[0], "–", "–", totals_row[3], "–", "–"]
    else:
        headers = ["Page", "Blocks", "Ran", "Validated", "Skipped", "Failed", "Not in report"]
        totals = totals_row
    rows.append([_paragraph(nodes.strong("", "Total")), *totals])
    out.append(_table(headers, rows, classes=["guidecheck-summary-table"]))
    if report is not None:
        out.append(_paragraph(f"The report lists {_plural(len(report.entries), 'block')}.",
                              classes=["guidecheck-report-total"]))
        current = {(page, b["line"]) for page, (_, info) in by_page.items() for b in info["blocks"]}
        stale = [e for e in report.entries if (e["page"], e["line"]) not in current]
        if stale:
            out.append(_paragraph(
                f"{_plural(len(stale), 'entry')} of the report "
                + ("matches" if len(stale) == 1 else "match")
                + " no block of these pages "
                "(the pages changed since the run): "
                + ", ".join(f"{e['page']}:{e['line']}" for e in stale) + ".",
                classes=["guidecheck-stale"]))

    skipped_items = []
    if report is not None:
        skipped = [(e["page"], e["line"], e.get("language") or "", e["reason"])
                   for e in report.entries if e["outcome"] == "skipped"]
    else:
        skipped = [(page, b["line"], b["language"], b["skip"])
                   for page, (_, info) in by_page.items() for b in info["blocks"] if b["skip"]]
    for page, line, language, why in sorted(skipped):
        doc = by_page.get(page, (None,))[0]
        uri = _link(app, docname, doc, f"block-{line}") if doc else None
        item = nodes.list_item()
        item += _paragraph(_reference(f"{page}:{line}", uri),
                           f" ({language})" if language else "", f": {why}")
        skipped_items.append(item)
    title = "Blocks not executed" if report is not None else "Blocks marked :skip:"
    out.append(_paragraph(nodes.strong("", f"{title} ({len(skipped_items)})"),
                          classes=["guidecheck-skipped-title"]))
    if skipped_items:
        listing = nodes.bullet_list(classes=["guidecheck-skipped"])
        listing.extend(skipped_items)
        out.append(listing)
    else:
        out.append(_paragraph("None."))
    return out


def _doctree_resolved(app, doctree: nodes.document, docname: str) -> None:
    report = _report(app)
    for wrapper in list(doctree.findall(verified_block)):
        _mark_block(app, docname, wrapper, report)
    for holder in list(doctree.findall(page_status)):
        line = _page_line(app, docname, report)
        if line is None:
            holder.parent.remove(holder)
        else:
            holder += line
    for holder in list(doctree.findall(verification_summary)):
        holder.extend(_site_summary(app, docname, report))


# --- setup -------------------------------------------------------------------------------------------

def _register_lexers(app) -> None:
    """Languages of the vocabulary that this Pygments may not know, so -W builds stay clean."""
    from pygments.lexers import get_lexer_by_name
    from pygments.lexers.shell import BashLexer
    from pygments.lexers.special import TextLexer
    from pygments.lexers.sql import PostgresConsoleLexer, PostgresLexer
    from pygments.util import ClassNotFound

    for alias, fallback in (("psql", PostgresConsoleLexer), ("dotenv", BashLexer),
                            ("caddyfile", TextLexer)):
        try:
            get_lexer_by_name(alias)
        except ClassNotFound:
            app.add_lexer(alias, fallback)
    # The guide's SQL is PostgreSQL's: the generic SQL lexer fails on dollar quoting (DO $$ … $$).
    app.add_lexer("sql", PostgresLexer)
    # Pygments' Terraform lexer stumbles on splats and arithmetic; what it cannot colour stays plain.
    app.add_lexer("hcl", _lenient(get_lexer_by_name("hcl").__class__))


def _lenient(lexer_class):
    """A lexer that shows text it cannot classify as plain text instead of failing the build."""
    from pygments.token import Error, Text

    class Lenient(lexer_class):
        def get_tokens_unprocessed(self, text, *args):
            for index, token, value in super().get_tokens_unprocessed(text, *args):
                yield index, Text if token is Error else token, value
    return Lenient


def _builder_inited(app) -> None:
    for name in ("_guidecheck_report", "_guidecheck_report_path"):
        if hasattr(app, name):
            delattr(app, name)
    _report(app)


# --- wildcards, as readers expect them ----------------------------------------------------------------

_TRANSCRIPT_LANGUAGES = ("console", "psql")


def _reader_line(line: str) -> str:
    """``[..]`` reads as an ellipsis; the `` (re)`` marker is for the tests, the pattern is for readers."""
    return line.removesuffix(transcript.REGEX_SUFFIX).replace(transcript.ANY_TEXT, "…")


def _show_wildcards_to_readers(app, doctree: nodes.document) -> None:
    for block in doctree.findall(nodes.literal_block):
        if block.get("language") not in _TRANSCRIPT_LANGUAGES:
            continue
        text = block.astext()
        shown = "\n".join(_reader_line(line) for line in text.split("\n"))
        if shown != text:
            block.children = [nodes.Text(shown)]


def setup(app):
    app.add_config_value("guidecheck_report", DEFAULT_REPORT, "env", types=(str,))
    app.add_config_value("guidecheck_root", "", "env", types=(str,))
    app.add_node(verified_block, html=(_visit_verified_block, _depart_verified_block))
    app.add_node(page_status)
    app.add_node(verification_summary)
    for name in ("code-block", "code", "sourcecode"):
        app.add_directive(name, GuideCodeBlock, override=True)
    app.add_directive("verification-summary", VerificationSummary)
    app.add_directive("verification-status", VerificationStatus)
    variables.setup(app)
    _register_lexers(app)
    app.connect("builder-inited", _builder_inited)
    app.connect("env-get-outdated", _outdated)
    app.connect("env-purge-doc", _purge)
    app.connect("env-merge-info", _merge)
    app.connect("doctree-read", _doctree_read)
    app.connect("doctree-read", _show_wildcards_to_readers)
    app.connect("doctree-resolved", _doctree_resolved)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True,
            "env_version": 1}


__all__ = ["GuideCodeBlock", "VerificationStatus", "VerificationSummary", "setup"]
