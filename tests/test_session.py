"""A page is one terminal: state persists across blocks; pages are isolated; hung blocks are killed."""

import os
import time
from pathlib import Path

from guidecheck.shell import PageShell, become_subreaper


def make_shell(tmp_path: Path) -> PageShell:
    for name in ("work", "engine"):
        (tmp_path / name).mkdir()
    env = {"PATH": os.environ["PATH"], "HOME": str(tmp_path)}
    return PageShell(tmp_path / "work", tmp_path / "engine", env)


def test_cwd_and_exports_persist_but_plain_variables_do_not(tmp_path):
    shell = make_shell(tmp_path)
    shell.bash("mkdir -p a/b && cd a/b && export KEPT=1 && LOCAL=2", timeout=10)
    result = shell.bash('pwd; echo "${KEPT:-unset} ${LOCAL:-unset}"', timeout=10)
    assert result.output.split() == [str(tmp_path / "work" / "a" / "b"), "1", "unset"]
    shell.bash("unset KEPT", timeout=10)
    assert shell.bash('echo "${KEPT:-gone}"', timeout=10).output.strip() == "gone"


def test_errexit_scripts_stop_at_the_first_failure_and_keep_their_state(tmp_path):
    shell = make_shell(tmp_path)
    result = shell.bash("export A=1\nfalse\necho unreachable", timeout=10, errexit=True)
    assert result.status == 1 and "unreachable" not in result.output
    assert shell.env["A"] == "1"


def test_background_jobs_do_not_hold_a_command_open(tmp_path):
    shell = make_shell(tmp_path)
    started = time.monotonic()
    result = shell.bash("sleep 30 &\necho started", timeout=10)
    assert result.status == 0 and time.monotonic() - started < 5
    assert shell.close() >= 1


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def test_a_hung_block_is_killed_with_everything_it_started(tmp_path):
    become_subreaper()
    shell = make_shell(tmp_path)
    pidfile = tmp_path / "pids"
    # A child, a grandchild that leaves the session (setsid), and a hang.
    script = f"sleep 300 & echo $! >> {pidfile}; setsid sleep 300 & echo $! >> {pidfile}; sleep 300"
    started = time.monotonic()
    result = shell.bash(script, timeout=1)
    assert result.timed_out and time.monotonic() - started < 5
    time.sleep(0.2)
    pids = [int(p) for p in pidfile.read_text().split()]
    assert len(pids) == 2
    assert not any(_alive(pid) for pid in pids), "a process outlived its timed-out block"
