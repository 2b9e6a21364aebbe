"""Run one block in its page's session and say, in a reader's terms, how it differs from the page.

An evaluator returns None when the block behaved as written, or a message that names page:line, what
ran, a diff of expected against actual output, the exit status and the tail of the output.
"""

from __future__ import annotations

import re
import shlex
import time
from collections.abc import Callable

from . import files, psql_layout, record, transcript
from .blocks import Block, BlockError
from .failure import Failure
from .page import PageSession
from .pages import location
from .redact import redact
from .screenshot.runner import run_screenshot
from .vocabulary import (CONSOLE, FILE, INTERPRETERS, PROVISION_REASON, PSQL, SCREENSHOT, SCRIPT,
                         SHELL_LANGUAGES, SQL)

_TAIL = 20
_PSQL_MARK = "@@guidecheck-step-{}@@"  # echoed before each statement, to split psql's output
_PSQL_MARK_LINE = re.compile("^" + re.escape(_PSQL_MARK).replace(r"\{\}", r"(\d+)") + "$", re.MULTILINE)
_PSQL_ERROR_AT = re.compile(r"psql:(\S+?):(\d+): ")  # how psql prefixes an error in a script
RECORDED = "guide_recorded"  # namespace key: {line: output} of passed :record: blocks, for the report


# How psql runs a SQL block (stop at the first error) and a psql transcript (errors are expected output).
SQL_FLAGS = "-X -q -v ON_ERROR_STOP=1"
PSQL_FLAGS = "-X -v ON_ERROR_STOP=0"


class Skip(Exception):
    """The block is not run; the message is the reason readers see (the pytest integration skips it)."""


def evaluate(example) -> str | None:
    """The Sybil evaluator for every block of every page."""
    block = example.region.parsed
    if isinstance(block, BlockError):
        return str(block)
    namespace = example.namespace
    context = namespace["guide_run"]
    if block.options.skip:
        raise Skip(block.options.skip)
    if namespace.get("page_failed_at"):
        raise Skip(f"not run: an earlier step failed at {namespace['page_failed_at']}")
    if "page" not in namespace:
        try:
            namespace["page"] = PageSession(block.page, context)
        except Exception as error:  # no workspace or database: no block of this page can run
            namespace["page_failed_at"] = block.where
            return f"{block.where}: the page's session could not start: {_described(error)}"
    page: PageSession = namespace["page"]

    if block.options.provision:  # page runs share the machine: never install into it
        raise Skip(PROVISION_REASON)
    if page.failed_at:
        raise Skip(f"not run: an earlier step failed at {page.failed_at}")
    missing = context.missing(block)
    if missing:
        if context.strict_failure(missing):
            page.failed_at = block.where
            return f"{block.where}: {context.reason(missing)}, and this is a strict run where it must run"
        raise Skip(context.reason(missing))

    try:
        output = run_block(block, page)
    except Failure as failure:
        page.failed_at = block.where
        return redact(str(failure), page.shell.env)
    if block.options.record:
        namespace.setdefault(RECORDED, {})[block.line] = record.kept(output or "", page.shell.env)
    return None


def run_block(block: Block, session) -> str | None:
    """Run the block in *session*, again each second while it fails within its ``:retry:`` span.

    Failure names page:line; a runner's defect fails its block like any failure (no later block runs).
    """
    deadline = time.monotonic() + (block.options.retry or 0)
    attempts = 0
    while True:
        attempts += 1
        try:
            return RUNNERS[block.kind](block, session)
        except Exception as error:
            if time.monotonic() < deadline:
                time.sleep(1)
                continue
            message = str(error) if isinstance(error, Failure) else \
                f"{block.where}: the engine could not run this block: {_described(error)}"
            if block.options.retry:
                message += f"\n(still failing after {attempts} attempts over {block.options.retry:g} s)"
            raise Failure(message) from error


def _described(error: Exception) -> str:
    return f"{type(error).__name__}: {error}"


# -- runners ----------------------------------------------------------------------------------

def _tail(output: str) -> str:
    lines = transcript.terminal_lines(output)
    shown = lines[-_TAIL:]
    head = f"last {len(shown)} of {len(lines)} lines of output:" if len(lines) > _TAIL else "output:"
    return head + "\n" + "\n".join("  " + line for line in shown) if shown else "no output"


def _indent(text: str, prefix: str) -> str:
    return "\n".join(prefix + line for line in text.splitlines())


def _deadline(block: Block) -> Callable[[], float]:
    end = time.monotonic() + block.options.timeout

    def remaining() -> float:
        left = end - time.monotonic()
        if left <= 0:
            raise Failure(f"{block.where}: timed out after {block.options.timeout:g} s")
        return left
    return remaining


def _timed_out(block: Block, what: str, output: str) -> Failure:
    return Failure(f"{block.where}: timed out after {block.options.timeout:g} s\n{what}\n{_tail(output)}")


def run_console(block: Block, page: PageSession) -> str:
    """Runs the transcript; returns it as it ran (commands and their real output)."""
    ran: list[tuple[str, str]] = []
    steps = transcript.parse(block.body, block.body_line, transcript.CONSOLE_PROMPT,
                             transcript.CONSOLE_CONTINUATION)
    remaining = _deadline(block)
    for number, step in enumerate(steps):
        shown = _indent(step.text, "  " + transcript.CONSOLE_PROMPT_TEXT)
        result = page.shell.bash(step.text, timeout=remaining(), name=f"L{step.line}")
        if result.timed_out:
            raise _timed_out(block, shown, result.output)
        expected = block.options.exit if number == len(steps) - 1 else 0
        differs = _compare(block, page, step, transcript.terminal_lines(result.output))
        if result.status != expected:
            raise Failure(f"{block.where}: command at line {step.line} exited {result.status}, "
                          f"expected {expected}\n{shown}\n" + (differs or _tail(result.output)))
        if differs:
            raise Failure(f"{block.where}: output of the command at line {step.line} differs from the "
                          f"page\n{shown}\n{differs}")
        ran.append((step.text, result.output))
    return record.console_transcript(ran)


def _compare(block: Block, page: PageSession, step: transcript.Step, actual: list[str],
             normalise: Callable[[str], str] = lambda line: line, unordered: bool = False) -> str | None:
    """None when the output matches (or was recorded for update mode), else a unified diff."""
    expected = [normalise(line) for line in step.expected]
    got = [normalise(line) for line in actual]
    if unordered:
        expected, got = psql_layout.sorted_rows(expected), psql_layout.sorted_rows(got)
    if transcript.matches(expected, got):
        return None
    if page.context.settings.update:
        page.updates.append((block, step, transcript.updated(step.expected, actual)))
        return None
    # Matching ignores layout; the diff shows the lines as written and as printed.
    return transcript.diff(step.expected, actual, location(block.page, step.line + 1), normalise)


def run_script(block: Block, page: PageSession) -> str:
    """Runs the script; returns what it printed."""
    name = f"L{block.line}"
    if block.language in SHELL_LANGUAGES:
        result = page.shell.bash(block.body, timeout=block.options.timeout, errexit=True, name=name)
    else:
        suffix = ".py" if block.language == "python" else ".js"
        result = page.shell.program(INTERPRETERS[block.language], block.body, suffix=suffix,
                                    timeout=block.options.timeout, name=name)
    what = f"  ({block.language} block, {len(block.body.splitlines())} lines)"
    if result.timed_out:
        raise _timed_out(block, what, result.output)
    if result.status != block.options.exit:
        raise Failure(f"{block.where}: {block.language} block exited {result.status}, expected "
                      f"{block.options.exit}\n{what}\n{_tail(result.output)}")
    return result.output


def _psql_locations(block: Block, output: str, sql_file: str) -> str:
    """Point psql's ``psql:file:N:`` at the page line the statement is on."""
    def to_page(match: re.Match) -> str:
        if not match.group(1).endswith(sql_file):
            return match.group(0)
        return location(block.page, block.body_line + int(match.group(2)) - 1) + ": "
    return _PSQL_ERROR_AT.sub(to_page, output)


def _psql(block: Block, page: PageSession, script: str, flags: str, what: str):
    """Run a psql script in the page's session (its PG* variables); a timeout is a Failure."""
    path = page.shell.scratch / f"L{block.line}.sql"
    path.write_text(script)
    result = page.shell.bash(f"psql {flags} -f {shlex.quote(str(path))}", timeout=block.options.timeout,
                             name=f"L{block.line}-sql")
    if result.timed_out:
        raise _timed_out(block, f"  ({what})", result.output)
    return result, path.name


def run_sql(block: Block, page: PageSession) -> None:
    result, sql_file = _psql(block, page, block.body, SQL_FLAGS, "sql block")
    if result.status != block.options.exit:
        output = _psql_locations(block, result.output, sql_file)
        raise Failure(f"{block.where}: SQL failed (psql exited {result.status})\n{_tail(output)}")


def run_psql(block: Block, page: PageSession) -> None:
    steps = transcript.parse(block.body, block.body_line, transcript.PSQL_PROMPT,
                             transcript.PSQL_CONTINUATION)
    script = "".join(f"\\echo {_PSQL_MARK.format(n)}\n{step.text}\n" for n, step in enumerate(steps))
    result, _ = _psql(block, page, script, PSQL_FLAGS, "psql transcript")
    parts = _PSQL_MARK_LINE.split(result.output)
    outputs = {int(parts[i]): parts[i + 1] for i in range(1, len(parts) - 1, 2)}
    for number, step in enumerate(steps):
        output = _PSQL_ERROR_AT.sub("", outputs.get(number, ""))  # as psql shows it interactively
        differs = _compare(block, page, step, transcript.terminal_lines(output.strip("\n")),
                           psql_layout.normalise, block.options.unordered)
        if differs:
            raise Failure(f"{block.where}: result of the statement at line {step.line} differs from "
                          f"the page\n{_indent(step.text, '  ' + transcript.PSQL_PROMPT_TEXT)}\n{differs}")
    if result.status != 0:
        raise Failure(f"{block.where}: psql exited {result.status}\n{_tail(result.output)}")


def run_file(block: Block, page: PageSession) -> None:
    path = files.write(page.shell.cwd, block.options.file_path, block.body, block.options.mode)
    try:
        files.parse(block.language, block.body)
    except files.InvalidFile as error:
        raise Failure(f"{block.where}: {block.options.file_path} is not valid {block.language}: "
                      f"{error}") from None
    if block.options.check:
        result = page.shell.bash(block.options.check, timeout=block.options.timeout,
                                 name=f"L{block.line}-check")
        if result.timed_out or result.status != 0:
            status = "timed out" if result.timed_out else f"exited {result.status}"
            raise Failure(f"{block.where}: the check of {path.name} {status}\n"
                          f"  $ {block.options.check}\n{_tail(result.output)}")


# A runner returns what the block printed (console and script blocks), for :record:.
RUNNERS: dict[str, Callable[[Block, PageSession], str | None]] = {
    CONSOLE: run_console,
    SCRIPT: run_script,
    SQL: run_sql,
    PSQL: run_psql,
    FILE: run_file,
    SCREENSHOT: run_screenshot,
}
