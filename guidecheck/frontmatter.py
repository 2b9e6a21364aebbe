"""Page-level settings, from the ``guide:`` key of a page's front matter.

    ---
    guide:
      files-from: [deploy/images.md]
    ---

``files-from`` names earlier pages whose file blocks the reader already saved: they are written into
this page's workspace before its first block runs, so a page can be verified on its own.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import yaml

from .files import yaml_problem

KNOWN = {"files-from": "pages (relative to source/) whose file blocks this page starts with"}


class FrontMatterError(ValueError):
    """Unknown or malformed page settings; the caller names the page."""


@dataclass
class PageSettings:
    files_from: list[str] = field(default_factory=list)


def page_settings(text: str) -> PageSettings:
    if not text.startswith("---\n"):
        return PageSettings()
    end = text.find("\n---\n", 4)
    if end < 0:
        raise FrontMatterError("front matter is not closed by a '---' line")
    try:
        data = yaml.safe_load(text[4:end]) or {}
    except yaml.YAMLError as error:
        raise FrontMatterError(f"front matter is not valid YAML: {yaml_problem(error)}") from None
    if not isinstance(data, dict):
        raise FrontMatterError("front matter must be a mapping of settings (such as 'guide:')")
    guide = data.get("guide") or {}
    if not isinstance(guide, dict):
        raise FrontMatterError("'guide' in the front matter must be a mapping")
    unknown = set(guide) - set(KNOWN)
    if unknown:
        raise FrontMatterError(f"unknown page setting(s) {sorted(unknown)}; known: {sorted(KNOWN)}")
    files_from = guide.get("files-from", [])
    if not (isinstance(files_from, list) and all(isinstance(p, str) for p in files_from)):
        raise FrontMatterError("'files-from' must be a list of page paths")
    return PageSettings(files_from=files_from)
