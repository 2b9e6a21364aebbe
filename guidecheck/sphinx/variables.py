"""``{variables-table} variables.yaml``: the guide's environment variables, drawn from their data file.

The path is relative to the page. The file is read and validated by ``guidecheck.variables.load``, the
same code that checks the guide's templates against it, so the table and the checks cannot disagree; a
malformed file is a build warning (an error under -W).
"""

from __future__ import annotations

from pathlib import Path

from docutils import nodes
from sphinx.util import logging
from sphinx.util.docutils import SphinxDirective

from ..variables import DataError, Variable, load
from .elements import paragraph, table

logger = logging.getLogger(__name__)


def _cell(*parts: nodes.Node | str) -> nodes.entry:
    entry = nodes.entry()
    entry += paragraph(*parts)
    return entry


def _default(variable: Variable) -> nodes.entry:
    return _cell(nodes.literal("", variable.default)) if variable.default is not None else _cell("—")


def _common(variable: Variable) -> tuple[nodes.entry, ...]:
    return (_cell("yes" if variable.required else "no"), _default(variable),
            _cell("yes" if variable.secret else "no"), _cell(variable.purpose))


class VariablesTable(SphinxDirective):
    required_arguments = 1
    has_content = False

    def run(self) -> list[nodes.Node]:
        relative, path = self.env.relfn2path(self.arguments[0], self.env.docname)
        self.env.note_dependency(relative)
        try:
            variables = load(Path(path))
        except (OSError, DataError) as error:
            logger.warning("variables-table: %s", error, location=self.get_location(),
                           type="guidecheck", subtype="variables")
            return []
        meshhook = [v for v in variables.values() if v.section == "meshhook"]
        deployment = [v for v in variables.values() if v.section == "deployment"]
        out: list[nodes.Node] = []
        if meshhook:
            out.append(table(
                title="Read by MeshHook", classes=["guidecheck-variables"],
                headers=["Variable", "Read by", "Phase", "Required", "Default", "Secret", "Purpose"],
                rows=[[_cell(nodes.literal("", v.name)), _cell(", ".join(v.read_by)), _cell(v.phase or ""),
                       *_common(v)] for v in meshhook],
                widths=[14, 8, 7, 7, 10, 6, 40]))
        if deployment:
            out.append(table(
                title="Introduced by this guide", classes=["guidecheck-variables"],
                headers=["Variable", "Used by", "Required", "Default", "Secret", "Purpose"],
                rows=[[_cell(nodes.literal("", v.name)), _cell(", ".join(v.read_by)), *_common(v)]
                      for v in deployment],
                widths=[14, 12, 7, 10, 6, 44]))
        return out


def setup(app) -> None:
    app.add_directive("variables-table", VariablesTable)
