"""Start, share and stop the run's backends (see backends/interface.py for what a backend is).

The controller decides which registered backends the selected pages want, starts them in
registration order, and hands workers their descriptions; workers attach to them. A backend that
cannot start is recorded with its reason: its blocks skip with it, or fail with it in a strict run.
"""

from __future__ import annotations

import sys
from pathlib import Path

from .backends import registry
from .backends.interface import BackendUnavailable, Plan
from .blocks import Block, page_blocks
from .record import machine
from .run import RunContext, Settings


def _say(message: str) -> None:
    print(f"guidecheck: {message}", file=sys.stderr, flush=True)


def plan(settings: Settings, pages: list[Path]) -> Plan:
    """The selected pages and the blocks of theirs that would run."""
    root = settings.root
    texts = {}
    for path in pages:
        page = path.relative_to(root).as_posix() if path.is_relative_to(root) else path.name
        texts[page] = path.read_bytes().decode(errors="replace")  # collection reports undecodable pages
    blocks = [block for page, text in texts.items() for block in page_blocks(text, page)
              if isinstance(block, Block) and not block.options.skip]
    return Plan(settings=settings, pages=texts, blocks=blocks)


def _wanted(plan: Plan) -> set[str]:
    """The backends the plan wants, and those they use."""
    classes = registry.backends()
    wanted = {cls.name for cls in classes if cls.wanted(plan)}
    for cls in reversed(classes):  # uses point to earlier registrations
        if cls.name in wanted:
            wanted.update(cls.uses)
    return wanted


def start(settings: Settings, pages: list[Path], allowed: set[str] | None = None) -> RunContext:
    """Controller side: start what the selected pages need (of the *allowed* backends, None: any); on any
    error, stop what had started."""
    context = RunContext(settings)
    if not pages or allowed == set():
        return context
    the_plan = plan(settings, pages)
    wanted = _wanted(the_plan) if allowed is None else _wanted(the_plan) & allowed
    try:
        for cls in registry.backends():
            if cls.name not in wanted:
                continue
            backend = cls(settings)
            context.backends[cls.name] = backend  # stopped at the end even if it fails to start
            try:
                backend.start(the_plan)
            except Exception as error:  # noqa: BLE001  (any failure to start is that backend's problem)
                why = str(error) if isinstance(error, BackendUnavailable) else f"{type(error).__name__}: {error}"
                _say(f"{cls.name}: {why}")
                context.problems[cls.name] = why
                del context.backends[cls.name]
                backend.stop()
                continue
            swept = backend.sweep_leftovers()
            if swept:
                _say(swept)
            the_plan.started[cls.name] = backend
    except BaseException:
        stop(context)
        raise
    return context


def describe(context: RunContext) -> dict:
    """What a worker needs to use the controller's backends."""
    return {"backends": {name: backend.describe() for name, backend in context.backends.items()},
            "problems": context.problems}


def attach(settings: Settings, described: dict) -> RunContext:
    """Worker side: use what the controller started."""
    context = RunContext(settings, problems=dict(described["problems"]))
    classes = {cls.name: cls for cls in registry.backends()}
    for name, description in described["backends"].items():
        backend = classes[name](settings)
        backend.attach(description)
        context.backends[name] = backend
    return context


def report_environment(context: RunContext) -> dict:
    """The report's environment: each registered backend's entry (None when not on offer)."""
    environment = {cls.name: None for cls in registry.backends()}
    for name, backend in context.backends.items():
        environment[name] = backend.report_environment()
    return {**environment, "strict": context.settings.strict, "machine": machine()}


def stop(context: RunContext) -> None:
    """Controller side: stop every backend, the last started first, even when one fails to stop."""
    errors = []
    for backend in reversed(list(context.backends.values())):
        try:
            backend.stop()
        except Exception as error:  # noqa: BLE001  (re-raised below, after the others stopped)
            errors.append(error)
    context.backends.clear()
    if errors:
        raise errors[0]
