"""One page's run: its workspace, its shell session, its database, and what to clean up afterwards."""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from . import files
from .blocks import saved_files
from .frontmatter import page_settings
from .pages import read_page
from .shell import PageShell

if TYPE_CHECKING:
    from .run import RunContext

# What every page's terminal looks like: stable, colourless, unhinted output that transcripts can match.
_TERMINAL = {
    "TERM": "dumb",
    "NO_COLOR": "1",
    "LC_ALL": "C.UTF-8",
    "LANG": "C.UTF-8",
    "COLUMNS": "100",
    "DOCKER_CLI_HINTS": "false",
    "BUILDKIT_PROGRESS": "plain",
    "PAGER": "cat",
    "PSQL_PAGER": "cat",
}
# The engine's own settings stay out of the reader's terminal.
_PRIVATE = re.compile(r"^(GUIDE_|PYTEST_|TESTCONTAINERS_|PG[A-Z]+$|COMPOSE_PROJECT_NAME$|MESHHOOK_DIR$)")


def page_key(page: str) -> str:
    """A short name for the page, safe in database, compose project and label values."""
    stem = re.sub(r"[^a-z0-9]+", "_", Path(page).with_suffix("").as_posix().lower()).strip("_")
    digest = hashlib.sha1(page.encode()).hexdigest()[:6]
    return f"{stem[:40]}_{digest}"


class PageSession:
    def __init__(self, page: str, context: RunContext) -> None:
        self.page = page
        self.context = context
        self.key = page_key(page)
        self.root = Path(tempfile.mkdtemp(prefix=f"guide-{self.key}-"))
        self.failed_at: str | None = None
        self.updates: list = []  # (block, step, new expected lines) found in update mode
        workspace, home, scratch = (self.root / name for name in ("work", "home", "engine"))
        for directory in (workspace, home, scratch):
            directory.mkdir()
        # The reader's terminal inherits this process's environment, less the engine's own settings.
        env = {name: value for name, value in os.environ.items() if not _PRIVATE.match(name)}
        env.update(_TERMINAL, HOME=str(home))
        env.update(context.page_environment(self))
        self.shell = PageShell(workspace, scratch, env)
        self._write_files_from_earlier_pages()

    def _write_files_from_earlier_pages(self) -> None:
        """What the reader saved on the pages this one builds on (front matter ``files-from``)."""
        root = self.context.settings.root
        settings = page_settings(read_page(root / self.page, self.page))
        for _, block in saved_files(root, settings.files_from):
            files.write(self.shell.cwd, block.options.file_path, block.body, block.options.mode)

    def close(self) -> None:
        """Undo everything the page did: processes, containers, its database, its workspace."""
        try:
            self.shell.close(spare=self.context.protected_pids())
            self.context.release_page(self)
        finally:
            shutil.rmtree(self.root, ignore_errors=True)
