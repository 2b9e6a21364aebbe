"""Two verification runs on one Docker engine take turns, and both pass: pages use fixed container
names and host ports, as readers should, so running them side by side would make them collide."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from guidecheck.backends import docker
from guidecheck.backends.engine_lock import HELD, EngineLock

ROOT = Path(__file__).resolve().parent.parent

HOLD = """
import sys, time
from guidecheck.backends.engine_lock import EngineLock
EngineLock(sys.argv[1]).acquire(print)
print("holding", flush=True)
time.sleep(300)
"""


def hold(path: Path) -> subprocess.Popen:
    holder = subprocess.Popen([sys.executable, "-c", HOLD, str(path)], cwd=ROOT, stdout=subprocess.PIPE,
                              text=True, env={k: v for k, v in os.environ.items() if k != HELD})
    assert holder.stdout.readline().strip() == "holding"
    return holder


def test_a_killed_holder_lets_the_waiting_run_go_on(tmp_path, monkeypatch):
    monkeypatch.delenv(HELD, raising=False)
    path = tmp_path / "engine.lock"
    holder = hold(path)
    said: list[str] = []
    try:
        killer = subprocess.Popen(["sh", "-c", f"sleep 1; kill -9 {holder.pid}"])
        lock = EngineLock(path)
        lock.acquire(said.append, poll=0.1)
        killer.wait()
    finally:
        holder.kill()
        holder.wait()
    try:
        assert lock.waited >= 0.8
        (message,) = said
        assert message.startswith("waiting for the run started at ")
        assert f"(pid {holder.pid})" in message and "take turns" in message
        assert os.environ[HELD] == str(path)  # runs this one starts share its turn
    finally:
        lock.release()
    assert HELD not in os.environ


def test_a_free_engine_is_taken_at_once(tmp_path, monkeypatch):
    monkeypatch.delenv(HELD, raising=False)
    lock = EngineLock(tmp_path / "engine.lock")
    started = time.monotonic()
    lock.acquire(pytest.fail)  # nothing to wait for, nothing to say
    try:
        assert time.monotonic() - started < 0.5
    finally:
        lock.release()


def page(name: str, port: int) -> str:
    """A page as readers get them: a fixed container name and host port."""
    return f"""
```console
$ docker run --detach --name {name} --publish 127.0.0.1:{port}:8080 debian:trixie-slim sleep 120
[..]
$ docker ps --filter name={name} --format '{{{{.Names}}}} {{{{.Ports}}}}'
{name} 127.0.0.1:{port}->8080/tcp
$ sleep 2
```
"""


@pytest.mark.skipif(docker.engine_version() is None, reason="needs a Docker engine")
def test_two_runs_of_the_same_page_at_once_both_pass(scratch_project, tmp_path, free_port):
    name, port = f"gc-twice-{uuid.uuid4().hex[:8]}", free_port
    projects = [scratch_project, type(scratch_project)(tmp_path / "second-clone")]
    runs = []
    for project in projects:
        project.write({"twice.md": page(name, port)})
        env = {**project.env, "GUIDE_ENGINE_LOCK": str(tmp_path / "engine.lock")}  # this test's engine turn
        env.pop(HELD, None)  # not part of the run that runs this test
        runs.append(subprocess.Popen(project.command(), cwd=project.root, env=env, text=True,
                                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT))
    try:
        outputs = [run.communicate(timeout=300)[0] for run in runs]
    finally:
        for run in runs:
            if run.poll() is None:
                run.send_signal(signal.SIGINT)
                run.wait(timeout=60)
    assert [run.returncode for run in runs] == [0, 0], "\n".join(outputs)
    waited = [output for output in outputs if "waiting for the run started at" in output]
    assert len(waited) == 1, "\n".join(outputs)
    assert "(pid " in waited[0]
