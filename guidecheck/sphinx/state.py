"""What the extension keeps between Sphinx's phases: per-page block lists and the report of this build.

Page data lives in the (pickled, parallel-merged) environment; the report is read once per build and
kept beside the application, keyed by it, rather than on private attributes of Sphinx's objects.
"""

from __future__ import annotations

import weakref
from pathlib import Path

from sphinx.util import logging

from .. import report as reports
from ..pages import page_name

logger = logging.getLogger(__name__)

_loaded: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # app -> Report | None


def state(env) -> dict:
    """Per-build data kept in the (pickled) environment."""
    if not hasattr(env, "guidecheck"):
        env.guidecheck = {"pages": {}, "summaries": set(), "report_digest": None}
    return env.guidecheck


def purge(app, env, docname: str) -> None:
    data = state(env)
    data["pages"].pop(docname, None)
    data["summaries"].discard(docname)


def merge(app, env, docnames, other) -> None:
    mine, theirs = state(env), state(other)
    for docname in docnames:
        if docname in theirs["pages"]:
            mine["pages"][docname] = theirs["pages"][docname]
        if docname in theirs["summaries"]:
            mine["summaries"].add(docname)


def root(app) -> Path:
    return Path(app.config.guidecheck_root or app.confdir).resolve()


def page_of(app, docname: str) -> str:
    """The report's name for a document: its path relative to the repository root."""
    return page_name(app.env.doc2path(docname), root(app))


def report_path(app) -> Path:
    """Where this build reads the verification report (what the run kept beside it is found from here)."""
    path = Path(app.config.guidecheck_report)
    return path if path.is_absolute() else root(app) / path


def report(app) -> reports.Report | None:
    """The report for this build (loaded once), or None; a broken report is a warning."""
    if app not in _loaded:
        path = report_path(app)
        try:
            loaded = reports.load(path)
        except reports.ReportError as error:
            logger.warning("unusable verification report: %s", error, type="guidecheck", subtype="report")
            loaded = None
        for page, line in loaded.duplicates if loaded else ():
            logger.warning("the verification report lists %s:%d more than once", page, line,
                           type="guidecheck", subtype="report")
        _loaded[app] = loaded
    return _loaded[app]


def builder_inited(app) -> None:
    _loaded.pop(app, None)
    report(app)


def outdated(app, env, added, changed, removed) -> list[str]:
    """Re-read every page when the report changed; the summary page whenever any page changed."""
    data = state(env)
    loaded = report(app)
    digest = loaded.digest if loaded else None
    again: set[str] = set()
    if data["report_digest"] != digest:
        data["report_digest"] = digest
        again |= set(env.all_docs)
    if added or changed or removed:
        again |= set(data["summaries"])
    return sorted(again - set(added) - set(changed) - set(removed))


def setup(app) -> None:
    app.add_config_value("guidecheck_report", reports.DEFAULT_PATH, "env", types=(str,))
    app.add_config_value("guidecheck_root", "", "env", types=(str,))
    app.connect("builder-inited", builder_inited)
    app.connect("env-get-outdated", outdated)
    app.connect("env-purge-doc", purge)
    app.connect("env-merge-info", merge)
