"""Sphinx side of the guide's tests, one module per job.

* ``nodes``: ``code-block``/``code``/``sourcecode`` accept every verification option of the vocabulary,
  so pages render clean under ``-W``; ``:hidden:`` blocks render nothing; the placeholders below.
* ``state``: per-page data in the environment, and the verification report read once per build.
* ``matching``: rendered code blocks matched with the engine's blocks; anything unmatched is a warning.
* ``marks``: each block's status (and how long it took), each page's summary line, its time to follow and
  its download as a script; file blocks get a download of their exact content.
* ``summary``: ``{verification-summary}`` lists every page and every block not executed.
* ``lexers``: lexers for the vocabulary's languages; transcript wildcards shown as readers expect them.
* ``screenshots``: ``{screenshot}``, the run's picture of a page of MeshHook's UI.
* ``variables``: ``{variables-table}``.
"""

from __future__ import annotations

from . import lexers, marks, matching, nodes, readerpath, screenshots, state, variables


def setup(app):
    for module in (state, nodes, screenshots, matching, lexers, marks, variables, readerpath):
        module.setup(app)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True, "env_version": 2}
