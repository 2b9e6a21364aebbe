"""The guide's pages as a reader meets them: depth first through the toctrees, from the root page."""

from __future__ import annotations


def reading_order(env, root_doc: str) -> list[str]:
    """Docnames in reading order; pages outside every toctree come last, by name."""
    seen: list[str] = []

    def visit(docname: str) -> None:
        if docname in seen:
            return
        seen.append(docname)
        for child in env.toctree_includes.get(docname, []):
            visit(child)

    visit(root_doc)
    return seen + sorted(set(env.found_docs) - set(seen))


def title(env, docname: str) -> str:
    """A page's title as the reader sees it, its docname when it has none."""
    node = env.titles.get(docname)
    return node.astext() if node is not None else docname
