"""Pages whose backend mostly waits get a worker of their own, beside a worker a core for the others."""

from __future__ import annotations

import re
from types import SimpleNamespace

from test_backend_interface import example_project, howto_files, verify

from guidecheck import schedule

WAITING = '''
from file_server import FileServer


class SlowFileServer(FileServer):
    waits = True
'''
PLAIN = "# {}\n\n```console\n$ true\n```\n"


def workers(output: str) -> dict[str, set[str]]:
    """Which worker ran each page, from pytest's verbose lines ("[gw1] [ 40%] PASSED source/a.md::…")."""
    ran: dict[str, set[str]] = {}
    for worker, page in re.findall(r"^\[(gw\d+)\] \[ *\d+%\] PASSED (source/[^:]+)::", output, re.MULTILINE):
        ran.setdefault(page, set()).add(worker)
    return ran


def test_a_page_that_waits_runs_on_a_worker_kept_for_it(scratch_project):
    conftest = howto_files()["conftest.py"] + 'register("slow_file_server:SlowFileServer")\n'
    plain = {f"source/page{n}.md": PLAIN.format(f"Page {n}") for n in range(4)}
    project = example_project(scratch_project, **{"conftest.py": conftest, "slow_file_server.py": WAITING, **plain})
    done = verify(project, "-n", "auto", "-v", "-v", "--guide-strict")
    assert done.returncode == 0, done.stdout + done.stderr
    kept = f"gw{schedule.cores()}"  # one worker more than there are cores
    ran = workers(done.stdout)
    assert ran["source/publish.md"] == {kept}, done.stdout  # the how-to's page, served by the waiting backend
    assert set(ran) == {"source/publish.md", *plain}
    assert all(kept not in ran[page] for page in plain), done.stdout


def test_without_such_a_page_there_is_a_worker_a_core(scratch_project):
    project = example_project(scratch_project, **{"source/publish.md": PLAIN.format("Publish")})
    done = verify(project, "-n", "auto", "-v", "-v")
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"created: {schedule.cores()}/{schedule.cores()} workers" in done.stdout


class Worker:
    def __init__(self, name: str) -> None:
        self.gateway = SimpleNamespace(id=name)


def test_the_kept_worker_stays_the_same_when_it_is_done():
    # A worker that is done leaves the scheduler's nodes: the next highest must not become the kept one
    # (it would then be shut down with work left for it).
    scheduler = schedule.WaitingPagesApart.__new__(schedule.WaitingPagesApart)
    workers = [Worker(f"gw{n}") for n in range(3)]
    scheduler.assigned_work, scheduler.kept = {worker: {} for worker in workers}, None
    assert scheduler._kept_for_waiting(workers[2])
    del scheduler.assigned_work[workers[2]]
    assert not scheduler._kept_for_waiting(workers[1])
