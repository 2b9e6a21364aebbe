"""How code reads: lexers for the vocabulary's languages, and wildcards shown as readers expect them."""

from __future__ import annotations

from docutils import nodes

from .. import transcript
from ..vocabulary import TRANSCRIPT_LANGUAGES


def register_lexers(app) -> None:
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


def reader_line(line: str) -> str:
    """``[..]`` reads as an ellipsis; the `` (re)`` marker is for the tests, the pattern is for readers."""
    return line.removesuffix(transcript.REGEX_SUFFIX).replace(transcript.ANY_TEXT, "…")


def show_wildcards_to_readers(app, doctree: nodes.document) -> None:
    for block in doctree.findall(nodes.literal_block):
        if block.get("language") not in TRANSCRIPT_LANGUAGES:
            continue
        text = block.astext()
        shown = "\n".join(reader_line(line) for line in text.split("\n"))
        if shown != text:
            block.children = [nodes.Text(shown)]


def setup(app) -> None:
    register_lexers(app)
    app.connect("doctree-read", show_wildcards_to_readers)
