"""Pages whose backend mostly waits get a worker of their own, beside a worker a core for the others."""

from __future__ import annotations

import re

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
