"""pytest integration: settings, the run's backends, the report and cleanup.

The controller process (the only process without pytest-xdist, the master with it) starts what a
run shares — one PostgreSQL server, the docker shim — and hands workers a description of it. Every
process runs its pages against those; the controller alone writes the report and removes what the run
created, whether the run passes, fails, times out or is interrupted.
"""

from __future__ import annotations

import json
import os
import signal
import uuid
from pathlib import Path

import pytest

from .blocks import Block, BlockError, read_blocks
from .evaluate import Skip
from .report import DEFAULT_PATH, BlockEntry, Report
from .run import RunContext, Settings
from .shell import become_subreaper
from . import handover, infrastructure, shard
from .pages import SOURCE, PAGE_SUFFIX, location, page_name, pages_under

_WORKER_KEY = "guidecheck"
_ENTRY = "guidecheck_entry"


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("guidecheck", "verifying the guide's code blocks")
    group.addoption("--guide-strict", action="store_true", default=os.environ.get("GUIDE_STRICT") == "1",
                    help="fail, rather than skip, blocks whose tier this run should be able to run "
                         "(every tier a backend provides; not outside resources such as a cloud account)")
    group.addoption("--guide-update", action="store_true",
                    help="rewrite the expected output of transcripts in the pages instead of failing")
    group.addoption("--guide-report", metavar="PATH", default=DEFAULT_PATH,
                    help="where to write the verification report, relative to the rootdir")
    group.addoption("--guide-shard", metavar="I/N", default=os.environ.get("GUIDE_SHARD") or None,
                    help="verify only the i-th of n shards of the guide's pages (env GUIDE_SHARD); "
                         "the report goes to build/verify/shard-I-of-N.json")
    group.addoption("--guide-no-backends", action="store_const", const="", dest="guide_backends",
                    help="start no backends (Docker, PostgreSQL, MeshHook…): their blocks skip, or fail when strict")
    group.addoption("--guide-backends", metavar="NAMES", default=None, dest="guide_backends",
                    help="start only these backends (comma-separated names, e.g. meshhook); the others' blocks "
                         "skip, or fail when strict")


def _is_worker(config: pytest.Config) -> bool:
    return hasattr(config, "workerinput")


@pytest.hookimpl(tryfirst=True)
def pytest_cmdline_main(config: pytest.Config) -> None:
    """A page is one shell session, so all of a page's blocks must run in the same xdist worker."""
    if getattr(config.option, "numprocesses", None) and getattr(config.option, "dist", "no") in ("load", "no"):
        config.option.dist = "loadfile"


@pytest.hookimpl(tryfirst=True, optionalhook=True)
def pytest_xdist_auto_num_workers(config: pytest.Config) -> int | None:
    """``-n auto``: a worker a core, and one more kept for pages that mostly wait (schedule.py)."""
    if os.environ.get("PYTEST_XDIST_AUTO_NUM_WORKERS"):
        return None  # the user's count, as xdist reads it
    from . import schedule
    config.stash[_waiting_key] = schedule.waiting_pages(Path(config.rootpath), _selected_pages(config))
    return schedule.cores() + (1 if config.stash[_waiting_key] else 0)


@pytest.hookimpl(tryfirst=True, optionalhook=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log):
    # Of the waiting pages -n auto made a worker for, those this run kept (a shard keeps some pages).
    root = Path(config.rootpath)
    selected = {path.relative_to(root).as_posix() for path in config.stash[_pages_key]}
    waiting = config.stash.get(_waiting_key, set()) & selected
    if not waiting or config.getvalue("dist") != "loadfile":
        return None  # xdist's own
    from . import schedule
    return schedule.WaitingPagesApart(config, log, waiting)


def pytest_configure(config: pytest.Config) -> None:
    become_subreaper()
    root = Path(config.rootpath)
    spec = config.getoption("guide_shard")
    if spec:
        try:
            config.stash[_shard_key] = shard.pages_of(spec, root)
        except shard.ShardError as error:
            raise pytest.UsageError(str(error)) from None
        if config.getoption("guide_report") == DEFAULT_PATH:
            config.option.guide_report = shard.report_name(spec)
    if _is_worker(config):
        shared = json.loads(config.workerinput[_WORKER_KEY])
        settings = Settings.from_shared(shared["settings"], root)
        context = infrastructure.attach(settings, shared["backends"])
    else:
        settings = Settings(root=root, strict=config.getoption("guide_strict"),
                            update=config.getoption("guide_update"),
                            run_id=uuid.uuid4().hex[:8], controller_pid=os.getpid())
        _stop_on_sigterm()
        pages = _selected_pages(config)
        config.stash[_pages_key] = pages
        allowed = config.getoption("guide_backends")
        context = infrastructure.start(settings, pages,
                                       allowed=None if allowed is None else set(filter(None, allowed.split(","))))
        config.stash[_report_key] = Report(environment=infrastructure.report_environment(context))
    config.stash[_context_key] = context


def _selected_pages(config: pytest.Config) -> list[Path]:
    """The pages this run may touch, known before collection so backends start only when needed."""
    source = Path(config.rootpath) / SOURCE
    pages: set[Path] = set()
    for arg in config.args or [str(source)]:
        path = Path(str(arg).split("::")[0]).resolve()
        if path.is_file() and path.suffix == PAGE_SUFFIX:
            pages.add(path)
        elif path.is_dir():
            pages.update(p for p in pages_under(path) if p.is_relative_to(source))
        if source.is_relative_to(path) and source.is_dir():
            pages.update(pages_under(source))
    # Pages the run is told to leave out (--ignore, --ignore-glob) are neither run nor expected.
    return sorted(page for page in pages
                  if not config.hook.pytest_ignore_collect(collection_path=page, config=config))


def pytest_ignore_collect(collection_path: Path, config: pytest.Config) -> bool | None:
    """A sharded run collects only its own pages (other files, such as the engine's tests, as usual)."""
    if _shard_key not in config.stash or collection_path.suffix != ".md":
        return None
    root = Path(config.rootpath)
    if not collection_path.is_relative_to(root / SOURCE):
        return None
    return collection_path.relative_to(root).as_posix() not in config.stash[_shard_key] or None


_context_key = pytest.StashKey[RunContext]()
_shard_key = pytest.StashKey[set]()
_pages_key = pytest.StashKey[list]()
_report_key = pytest.StashKey[Report]()
_waiting_key = pytest.StashKey[set]()  # pages -n auto added a worker for (schedule.py)


def _stop_on_sigterm() -> None:
    """A CI timeout sends SIGTERM: turn it into the same orderly stop as Ctrl-C."""
    def interrupt(signum, frame):
        raise KeyboardInterrupt(f"signal {signum}")
    signal.signal(signal.SIGTERM, interrupt)


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node) -> None:
    """Hand an xdist worker what the controller started."""
    context = node.config.stash[_context_key]
    node.workerinput[_WORKER_KEY] = json.dumps({
        "settings": context.settings.shared(),
        "backends": infrastructure.describe(context),
    })


@pytest.fixture(scope="session")
def guide_run(request: pytest.FixtureRequest) -> RunContext:
    """The run's settings and backends, for the pages' Sybil examples."""
    return request.config.stash[_context_key]


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item):
    """The engine says Skip in its own terms; pytest hears a skip with the reader's reason."""
    try:
        return (yield)
    except Skip as skip:
        pytest.skip(str(skip))
    finally:
        handover.carry(item, Path(item.config.rootpath) / item.config.getoption("guide_report"))


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Attach to each block's test what the report says of it, so it reaches the controller."""
    for item in items:
        example = getattr(item, "example", None)
        parsed = getattr(getattr(example, "region", None), "parsed", None)
        if isinstance(parsed, (Block, BlockError)):
            item.user_properties.append((_ENTRY, json.dumps(BlockEntry.describe(parsed).__dict__)))


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    """Fold each block's setup/call outcome into the report (controller only)."""
    config = _controller_config
    if config is None or _report_key not in config.stash:
        return
    entry_json = dict(report.user_properties).get(_ENTRY)
    if entry_json is None:
        return
    if report.when == "call" or (report.when == "setup" and not report.passed):
        reason = None
        if report.skipped and isinstance(report.longrepr, tuple):
            reason = str(report.longrepr[2]).removeprefix("Skipped: ")
        elif report.failed:
            reason = _first_line(report)
        outcome = "passed" if report.passed else "skipped" if report.skipped else "failed"
        entry = BlockEntry(**json.loads(entry_json))
        if outcome == "passed":
            handover.fill(entry, dict(report.user_properties))
        config.stash[_report_key].record(entry, outcome, reason, report.duration)


def _first_line(report: pytest.TestReport) -> str:
    text = str(report.longrepr or "")
    for line in text.splitlines():
        if line.strip() and not line.startswith("Example at "):
            return line.strip()[:300]
    return "failed"


_controller_config: pytest.Config | None = None


@pytest.hookimpl(tryfirst=True)
def pytest_sessionstart(session: pytest.Session) -> None:
    global _controller_config
    if not _is_worker(session.config):
        _controller_config = session.config


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    config = session.config
    if _is_worker(config) or _report_key not in config.stash:
        return
    report = config.stash[_report_key]
    path = Path(config.rootpath) / config.getoption("guide_report")
    if report.blocks:
        report.write(path)
    missing = _missing_from_report(config, report)
    if missing and exitstatus != pytest.ExitCode.INTERRUPTED:
        shown = ", ".join(missing[:10]) + (" …" if len(missing) > 10 else "")
        config.get_terminal_writer().line(
            f"guidecheck: {len(missing)} blocks of the selected pages are missing from the report: {shown}",
            red=True)
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def _missing_from_report(config: pytest.Config, report: Report) -> list[str]:
    """Blocks of the pages this run covered whole that never reported an outcome (a defect)."""
    option = config.option
    partial = (option.keyword or option.markexpr or option.collectonly or getattr(option, "deselect", None)
               or getattr(option, "lf", False) or getattr(option, "stepwise", False) or option.maxfail
               or any("::" in str(arg) for arg in config.args))
    if partial:
        return []  # a deliberately partial run reports what it ran
    root = Path(config.rootpath)
    missing = []
    for path in config.stash.get(_pages_key, []):
        page = page_name(path, root)
        for block in read_blocks(path, page):
            if (page, block.line) not in report.blocks:
                missing.append(location(page, block.line))
    return missing


def pytest_unconfigure(config: pytest.Config) -> None:
    context = config.stash.get(_context_key, None)
    if context is not None and not _is_worker(config):
        infrastructure.stop(context)
