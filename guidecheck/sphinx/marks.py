"""Each rendered block's status mark, and each page's summary line, time to follow and script download."""

from __future__ import annotations


from docutils import nodes

from ..record import machine_words
from ..script import page_script
from . import status
from .elements import link, output_file, paragraph, plural, reference
from .nodes import page_status, verification_summary, verified_block
from .state import report as load_report
from .state import root, state
from .summary import site_summary

ARTIFACTS = "_artifacts"  # file blocks, as downloads
SCRIPTS = "_scripts"  # pages as shell scripts


def summary_doc(app) -> str | None:
    summaries = sorted(state(app.env)["summaries"])
    return summaries[0] if summaries else None


def _write_output(app, docname: str, target: str, body: str) -> str | None:
    """Write a download under the output directory; its URI from the page, or None (not HTML)."""
    return output_file(app, docname, target, lambda path: path.write_text(body, encoding="utf-8"))


def _mark_block(app, docname: str, wrapper: verified_block, report) -> None:
    mark = nodes.paragraph(classes=["guidecheck-mark"])
    if report is not None:
        mark_status, label = status.block_status(report.get(wrapper["page"], wrapper["line"]))
        if mark_status == status.SKIPPED_MARK and wrapper.get("skip") and label.endswith(f": {wrapper['skip']}"):
            label = "not executed"  # the reason is right below, in the skip note
        wrapper["status"] = mark_status
        wrapper["classes"].append(f"guidecheck-{mark_status}")
        mark += nodes.inline("", label, classes=["guidecheck-badge", f"guidecheck-badge-{mark_status}"])
    if wrapper.get("file_path") and wrapper.get("body") is not None:
        # file_path is a plain relative path (vocabulary), safe under the output directory.
        uri = _write_output(app, docname, f"{ARTIFACTS}/{docname}/{wrapper['file_path']}", wrapper["body"])
        if uri:
            if len(mark):
                mark += nodes.Text(" ")
            mark += nodes.reference("", "download", refuri=uri, classes=["guidecheck-download"])
    if len(mark):
        wrapper += mark
    if wrapper.get("skip"):
        wrapper += paragraph("Not run by the guide's tests: ", nodes.emphasis("", wrapper["skip"]),
                             classes=["guidecheck-skip-note"])
    entry = report.get(wrapper["page"], wrapper["line"]) if report is not None else None
    if entry is not None and entry.output is not None:
        wrapper += _recorded_output(entry.output, report)


def _recorded_output(output: str, report) -> nodes.container:
    """A :record: block's output in the last run, labelled with when and on what it was measured."""
    holder = nodes.container(classes=["guidecheck-recorded"])
    holder += paragraph(f"Output of the last verified run ({status.report_date(report)}, "
                        f"{machine_words(report.environment.get('machine'))})",
                        classes=["guidecheck-recorded-label"])
    literal = nodes.literal_block(output, output, language="none")
    holder += literal
    return holder


def _page_lines(app, docname: str, report) -> list[nodes.paragraph]:
    info = state(app.env)["pages"].get(docname)
    if not info or not info["blocks"]:
        return []
    number = plural(len(info["blocks"]), "code block")
    summary = summary_doc(app)
    uri = link(app, docname, summary) if summary else None
    if report is None:
        lines = [paragraph(f"{number} · ", reference("This build is unverified", uri),
                           ": no verification report was read.", classes=["guidecheck-page-line"])]
    else:
        totals = status.count(report.get(info["page"], b["line"]) for b in info["blocks"])
        lines = [paragraph(f"{number}: {status.counts_words(totals)} · ", reference("verified", uri),
                           f" on {status.report_date(report)} with {status.environment_words(report)}.",
                           classes=["guidecheck-page-line"])]
    follow = paragraph(classes=["guidecheck-page-time"])
    if report is not None:
        shown = [b for b in info["blocks"] if not b["hidden"] and not b["skip"]]
        estimate = status.time_to_follow(shown, [report.get(info["page"], b["line"]) for b in shown])
        if estimate:
            follow += nodes.Text(estimate + " ")
    script = page_script(root(app), info["page"])
    uri = _write_output(app, docname, f"{SCRIPTS}/{docname}.sh", script) if script else None
    if uri:
        follow += nodes.reference("", "Download this page as a script", refuri=uri,
                                  classes=["guidecheck-script"])
    return lines + ([follow] if len(follow) else [])


def doctree_resolved(app, doctree: nodes.document, docname: str) -> None:
    report = load_report(app)
    for wrapper in list(doctree.findall(verified_block)):
        _mark_block(app, docname, wrapper, report)
    for holder in list(doctree.findall(page_status)):
        lines = _page_lines(app, docname, report)
        if lines:
            holder.extend(lines)
        else:
            holder.parent.remove(holder)
    for holder in list(doctree.findall(verification_summary)):
        holder.extend(site_summary(app, docname, report))


def setup(app) -> None:
    app.connect("doctree-resolved", doctree_resolved)
