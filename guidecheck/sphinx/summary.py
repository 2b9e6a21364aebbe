"""``{verification-summary}``: every page's counts, stale report entries and every block not executed."""

from __future__ import annotations

from docutils import nodes

from ..pages import location
from ..report import SKIPPED
from . import order, status
from .elements import link, paragraph, plural, reference, table
from .state import state


def _verified_line(app, report) -> nodes.paragraph:
    if report is None:
        return paragraph("This build is unverified: no verification report was found at ",
                         nodes.literal("", app.config.guidecheck_report),
                         ". Run the guide's tests to produce one, then build again.",
                         classes=["guidecheck-unverified"])
    strict = "strict" if report.environment.get("strict") else \
        "not strict: a block whose backend was missing was skipped, not failed"
    return paragraph(f"Verified on {status.report_date(report)} with {status.environment_words(report)} "
                     f"(run {report.started or '?'} to {report.finished or '?'}; {strict}).",
                     classes=["guidecheck-verified"])


def _reading_place(app, by_page: dict):
    """A sort key putting pages (and their blocks) in the order a reader meets them."""
    place = {doc: n for n, doc in enumerate(order.reading_order(app.env, app.config.root_doc))}
    return lambda page: (place.get(by_page.get(page, (None,))[0], len(place)), page)


def _counts_table(app, docname: str, report, by_page: dict) -> nodes.table:
    entries_by_page: dict[str, list] = {}
    for entry in report.entries if report is not None else ():
        entries_by_page.setdefault(entry.page, []).append(entry)
    rows, totals_row = [], [0] * 6
    for page in sorted(set(by_page) | set(entries_by_page), key=_reading_place(app, by_page)):
        doc, info = by_page.get(page, (None, {"blocks": []}))
        blocks = info["blocks"]
        # Readers know a page by its title; the path stays at hand as the link's tooltip.
        title = order.title(app.env, doc) if doc else page
        cell = paragraph(reference(title, link(app, docname, doc) if doc else None, tooltip=page))
        if report is None:
            numbers = [len(blocks), None, None, sum(1 for b in blocks if b["skip"]), None, None]
        else:
            reported = status.count(entries_by_page.get(page, []))
            missing = sum(1 for b in blocks if report.get(page, b["line"]) is None)
            numbers = [len(blocks), reported[status.RAN], reported[status.VALIDATED],
                       reported[status.SKIPPED_MARK], reported[status.FAILED_MARK], missing]
        for index, number in enumerate(numbers):
            totals_row[index] += number or 0
        rows.append([cell, *("–" if n is None else n for n in numbers)])
    skipped_header = "Skipped (:skip:)" if report is None else "Skipped"
    headers = ["Page", "Blocks", "Ran", "Validated", skipped_header, "Failed", "Not in report"]
    totals = [totals_row[0], "–", "–", totals_row[3], "–", "–"] if report is None else totals_row
    rows.append([paragraph(nodes.strong("", "Total")), *totals])
    return table(headers, rows, classes=["guidecheck-summary-table"])


def _report_notes(report, by_page: dict) -> list[nodes.Node]:
    out: list[nodes.Node] = [paragraph(f"The report lists {plural(len(report.entries), 'block')}.",
                                       classes=["guidecheck-report-total"])]
    current = {(page, b["line"]) for page, (_, info) in by_page.items() for b in info["blocks"]}
    stale = [entry for entry in report.entries if entry.key not in current]
    if stale:
        out.append(paragraph(
            f"{plural(len(stale), 'entry')} of the report " + ("matches" if len(stale) == 1 else "match")
            + " no block of these pages (the pages changed since the run): "
            + ", ".join(location(*entry.key) for entry in stale) + ".", classes=["guidecheck-stale"]))
    return out


def _not_executed(app, docname: str, report, by_page: dict) -> list[nodes.Node]:
    if report is not None:
        skipped = [(e.page, e.line, e.language, e.reason) for e in report.entries if e.outcome == SKIPPED]
    else:
        skipped = [(page, b["line"], b["language"], b["skip"])
                   for page, (_, info) in by_page.items() for b in info["blocks"] if b["skip"]]
    items = []
    place = _reading_place(app, by_page)
    for page, line, language, why in sorted(skipped, key=lambda item: (place(item[0]), item[1:])):
        doc = by_page.get(page, (None,))[0]
        uri = link(app, docname, doc, f"block-{line}") if doc else None
        item = nodes.list_item()
        item += paragraph(reference(location(page, line), uri), f" ({language})" if language else "", f": {why}")
        items.append(item)
    title = "Blocks not executed" if report is not None else "Blocks marked :skip:"
    out: list[nodes.Node] = [paragraph(nodes.strong("", f"{title} ({len(items)})"),
                                       classes=["guidecheck-skipped-title"])]
    if items:
        listing = nodes.bullet_list(classes=["guidecheck-skipped"])
        listing.extend(items)
        out.append(listing)
    else:
        out.append(paragraph("None."))
    return out


def site_summary(app, docname: str, report) -> list[nodes.Node]:
    pages = state(app.env)["pages"]
    by_page = {info["page"]: (doc, info) for doc, info in pages.items() if info["blocks"]}
    out = [_verified_line(app, report), _counts_table(app, docname, report, by_page)]
    if report is not None:
        out += _report_notes(report, by_page)
    return out + _not_executed(app, docname, report, by_page)
