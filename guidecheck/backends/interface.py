"""The backend interface: the one protocol for everything a page's blocks run against.

A *backend* provides one or more *tiers* (``docker``, ``postgres``, ``meshhook``…): something a block
needs beyond the machine's own tools. The engine knows backends only through this class; a new backend
is one module with a :class:`Backend` subclass plus one registration line (``registry.register``).

Lifecycle, and which process calls what::

    controller (the pytest process without xdist, or xdist's master)
        backend = Cls(settings)                 no I/O
        backend.start(plan)                     only when Cls.wanted(plan); raise BackendUnavailable(why)
        backend.sweep_leftovers() -> str        remove what killed runs left; a line for the log, or ""
        backend.describe() -> dict              JSON-able: all a worker needs to attach
        backend.report_environment()            JSON value for report["environment"][Cls.name]
    worker (an xdist worker process)
        backend = Cls(settings)
        backend.attach(description)             what describe() returned, after a JSON round trip
    every process that runs pages, for each page (a guidecheck.page.PageSession: .page, .key, .root)
        backend.page_environment(page) -> dict  variables the page's shell gets (before its first block)
        backend.page_path() -> list[str]        directories put first on the page's PATH
        backend.release_page(page)              after the page's last block, pass, fail or Ctrl-C
        backend.protected_pids() -> set[int]    host processes that page cleanup must not kill
    controller, at the end of the run
        backend.stop()                          always: after a pass, a failure, Ctrl-C or a failed start
    Sphinx, reading a report
        Cls.environment_words(value) -> str     "Docker 26.1.5" / "no Docker engine"
    the report, describing a block
        Cls.via(tier) -> str | None             what a block of that tier runs against, when a stand-in

Tiers and blocks: ``Cls.tiers`` maps each tier to what a reader is told the block needs ("needs a
Docker engine"): plain words, no engine or variable names. ``Cls.needs(block)`` infers, from what a
block does, a tier of this backend that the block needs although it does not say ``:tier:``
(``docker`` for a block that runs ``docker``); it must be pure and fast, Sphinx and lint call it too.
A block needs its ``:tier:`` (or, without one, the tier inferred by the latest registered backend
that claims it) plus every tier any backend infers for it; it runs only when all are available.

Strictness: with ``Cls.strict`` a strict run (``GUIDE_STRICT=1``) fails, rather than skips, each block
needing a tier of this backend when ``start`` raised :class:`BackendUnavailable`; the failure carries
that message, so write it for the maintainer who must fix the machine. Outside resources this machine
cannot provide (a cloud account) are non-strict.

Dependencies: ``Cls.uses`` names backends this one builds on when they are available (PostgreSQL
runs in a container when Docker is there). They are started before it (registration order must
respect this) and reach :meth:`start` through ``plan.started``; wanting a backend wants what it uses.

Configuration: a backend reads its settings from ``GUIDE_<NAME>_*`` environment variables (tox
passes ``GUIDE_*`` through) in ``start``, on the controller, and hands workers what they need in
``describe``. Page shells never see ``GUIDE_*`` variables: export to pages only via ``page_environment``.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

if TYPE_CHECKING:
    from ..blocks import Block
    from ..page import PageSession
    from ..run import Settings


class BackendUnavailable(Exception):
    """``start`` cannot provide this backend here and now; the message says why and what to do."""


@dataclass
class Plan:
    """What the controller knows when it starts backends."""

    settings: Settings
    pages: dict[str, str]  # the selected pages: path relative to the root -> text
    blocks: list[Block]  # their blocks that would run (not :skip:), in page order
    started: dict[str, Backend] = field(default_factory=dict)  # backends started so far, by name

    def needs(self, tier: str) -> bool:
        """Whether any block of the selected pages needs this tier."""
        return any(tier in block.needs for block in self.blocks)

    def say(self, message: str) -> None:
        """A progress line on the run's standard error (image builds, clones, waits)."""
        print(f"guidecheck: {message}", file=sys.stderr, flush=True)


class Backend:
    """Base class of every backend. Override what the backend does; the defaults do nothing."""

    name: ClassVar[str]  # registry key, and key of its entry in the report's environment
    tiers: ClassVar[dict[str, str]]  # tier -> what a reader is told a block needs ("a Docker engine")
    strict: ClassVar[bool] = True  # a strict run fails blocks needing these tiers when unavailable
    uses: ClassVar[tuple[str, ...]] = ()  # backends this one builds on when available, started first
    waits: ClassVar[bool] = False  # its blocks spend their time waiting, not computing (see schedule.py)

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    # -- classification (pure: also used by Sphinx and lint) -----------------------------------

    @classmethod
    def needs(cls, block: Block) -> str | None:
        """A tier of this backend the block needs by what it does, though it names no ``:tier:``."""
        return None

    @classmethod
    def via(cls, tier: str) -> str | None:
        """What a block of *tier* runs against when this backend stands in for the real target (an API
        emulator), in a reader's words; None when it runs against the real thing. The report keeps it,
        and the block's mark says "ran against …"."""
        return None

    @classmethod
    def wanted(cls, plan: Plan) -> bool:
        """Whether this run should start the backend: by default, when a selected block needs it."""
        return any(plan.needs(tier) for tier in cls.tiers)

    # -- controller ----------------------------------------------------------------------------

    def start(self, plan: Plan) -> None:
        """Make the backend ready for this run; raise BackendUnavailable(why) when it cannot be."""

    def sweep_leftovers(self) -> str:
        """Remove what runs killed before they could clean up left behind; a log line or ""."""
        return ""

    def describe(self) -> dict[str, Any]:
        """All a worker process needs to :meth:`attach` (JSON-able; may hold run secrets)."""
        return {}

    def stop(self) -> None:
        """Release everything this run holds; also called after a failed or partial start."""

    def report_environment(self) -> Any:
        """What the report's environment says of this backend (a version, a commit), None if absent."""
        return None

    @classmethod
    def environment_words(cls, value: Any) -> str:
        """The report's environment value in a reader's words, for the guide's verification notes."""
        return f"{cls.name} {value}" if value else f"no {cls.name}"

    # -- worker --------------------------------------------------------------------------------

    def attach(self, description: dict[str, Any]) -> None:
        """Use what the controller started, from its :meth:`describe`."""

    # -- every process that runs pages ---------------------------------------------------------

    def provides(self) -> set[str]:
        """The tiers on offer once started or attached (all of them, by default)."""
        return set(self.tiers)

    def page_environment(self, page: PageSession) -> dict[str, str]:
        """Environment variables for one page's shell (e.g. a fresh database's PG* variables)."""
        return {}

    def page_path(self) -> list[str]:
        """Directories put first on every page's PATH (e.g. a wrapper that labels what pages create)."""
        return []

    def release_page(self, page: PageSession) -> None:
        """Undo what the page created through this backend; runs even when the page failed."""

    def protected_pids(self) -> set[int]:
        """Host processes of this backend that a page's process cleanup must spare."""
        return set()
