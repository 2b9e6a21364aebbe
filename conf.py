"""Sphinx configuration of the MeshHook deployment guide.

It sits at the repository root; the pages are in ``source/``:

    sphinx-build -W --keep-going -n -b html -c . source build/html
"""

import os
import sys

ROOT = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, ROOT)

project = "MeshHook deployment guide"
author = "The guide's authors"
copyright = "the guide's authors"

extensions = [
    "myst_parser",
    "sphinx_design",
    "sphinx_copybutton",
    "sphinx.ext.graphviz",
    "guidecheck.sphinx",
]

# Pages are MyST Markdown only.
source_suffix = {".md": "markdown"}
root_doc = "index"
exclude_patterns = ["_static", "_templates"]

# Every cross-reference must resolve: -n with -W turns a missing target into a failure.
nitpicky = True

# MyST: the test engine lexes ``` and ~~~ fences only, so the colon fence stays off.
myst_enable_extensions = ["deflist"]
myst_heading_anchors = 3

# The verification report written by the guide's tests, relative to guidecheck_root (this directory).
guidecheck_report = "build/verify/report.json"
guidecheck_root = ROOT

# Theme: furo has dark mode and search built in.
html_theme = "furo"
html_title = "MeshHook deployment guide"
html_static_path = ["source/_static"]
html_css_files = ["guidecheck.css"]
html_copy_source = False

# Copying a transcript copies the commands only: prompts stripped, output left out.
# ``$ `` starts a command and ``> `` continues it; ``=> `` and ``-> `` are psql's prompts.
copybutton_prompt_text = r"\$ |> |\w*=[>#] |\w*-[>#] "
copybutton_prompt_is_regexp = True
copybutton_only_copy_prompt_lines = True

# Diagrams are drawn at build time by Graphviz's dot, offline.
graphviz_output_format = "svg"
