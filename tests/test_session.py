"""A page is one terminal: state persists across blocks; pages are isolated; hung blocks are killed."""

import os
import signal
import subprocess
import time
from pathlib import Path

from guidecheck.shell import PageShell, become_subreaper


def make_shell(tmp_path: Path, extra: dict[str, str] | None = None) -> PageShell:
    for name in ("work", "engine"):
        (tmp_path / name).mkdir()
    env = {"PATH": os.environ["PATH"], "HOME": str(tmp_path), **(extra or {})}
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


def test_the_page_shell_outlives_failures_exits_and_errexit(tmp_path):
    shell = make_shell(tmp_path)
    shell.bash("mkdir d && cd d && export A=1", timeout=10)
    first = shell._process.pid
    assert shell.bash("export B=2; set -e; false; echo unreachable", timeout=10).status == 1
    assert shell.bash("cd ..; export C=3; exit 7", timeout=10).status == 7
    assert shell.bash("export D=4\nfalse\necho unreachable", timeout=10, errexit=True).status == 1
    assert shell.bash("echo $UNSET_VARIABLE", timeout=10, errexit=True).status == 1
    result = shell.bash('echo "$A $B $C $D $-"; pwd', timeout=10)
    assert result.status == 0 and result.output.split()[:4] == ["1", "2", "3", "4"]
    assert "e" not in result.output.split()[4], "errexit leaked from a script block into a later command"
    assert result.output.split()[5] == str(tmp_path / "work")  # `exit` kept the cd before it
    assert shell._process.pid == first


def test_a_block_that_kills_its_shell_fails_and_the_next_gets_a_new_one(tmp_path):
    shell = make_shell(tmp_path)
    shell.bash("mkdir d && cd d && export KEPT=yes", timeout=10)
    result = shell.bash("kill -9 $$; sleep 5", timeout=10)
    assert result.status == 137 and "the next step starts a new one" in result.output
    after = shell.bash('echo "$KEPT"; pwd', timeout=10)
    assert after.status == 0 and after.output.split() == ["yes", str(tmp_path / "work" / "d")]


def test_stdin_is_empty_and_output_interleaves_as_in_a_terminal(tmp_path):
    shell = make_shell(tmp_path)
    started = time.monotonic()
    assert shell.bash("cat; read -r line", timeout=10).status == 1  # read hits end of input at once
    assert time.monotonic() - started < 5
    result = shell.bash("echo one; echo two >&2; echo three", timeout=10)
    assert result.output.splitlines() == ["one", "two", "three"]


def test_a_timeout_spares_what_earlier_blocks_left_running(tmp_path):
    shell = make_shell(tmp_path)
    server = int(shell.bash("sleep 300 > /dev/null 2>&1 &\necho $!", timeout=10).output)
    assert shell.bash("export LATER=1; sleep 300", timeout=1).timed_out
    assert _alive(server), "a later block's timeout killed an earlier block's background job"
    result = shell.bash('echo "${LATER:-unset}"', timeout=10)
    assert result.output.strip() == "unset"  # the killed block saved nothing
    shell.close()
    time.sleep(0.2)
    assert not _alive(server)


def test_programs_see_the_session_but_cannot_change_it(tmp_path):
    shell = make_shell(tmp_path)
    shell.bash("mkdir d && cd d && export A='x y'", timeout=10)
    source = "import os\nprint(os.getcwd(), os.environ['A'])\nos.environ['A'] = 'changed'\n"
    result = shell.program(["python3"], source, timeout=10, suffix=".py", name="py")
    assert result.output.strip() == f"{tmp_path / 'work' / 'd'} x y"
    assert shell.env["A"] == "x y" and shell.cwd == tmp_path / "work" / "d"


def test_every_value_survives_the_trip_through_the_state_file(tmp_path):
    values = {"NEWLINE": "a\nb", "QUOTES": "it's \"quoted\"", "DOLLAR": "$HOME `x` \\n",
              "CONTROL": "tab\there\x01", "UNICODE": "\u00e9\u2713", "EMPTY": ""}
    shell = make_shell(tmp_path, values)  # Python writes them for bash; bash saves them for Python
    assert {name: shell.env.get(name) for name in values} == values
    echoed = shell.bash('export TOUCHED=1; printf "%s|" "$NEWLINE" "$QUOTES" "$DOLLAR" "$CONTROL" "$UNICODE"',
                        timeout=10)
    assert echoed.output == "|".join(list(values.values())[:5]) + "|"
    assert {name: shell.env.get(name) for name in values} == values and shell.env["TOUCHED"] == "1"


def test_bash_read_only_variables_in_the_environment_stay_out_of_the_state(tmp_path):
    shell = make_shell(tmp_path, {"SHELLOPTS": "braceexpand:hashall", "BASHOPTS": "checkwinsize"})
    assert shell.bash("echo ok", timeout=10).output == "ok\n"


def test_ctrl_c_ends_the_hung_block_and_everything_the_page_started(scratch_project, tmp_path):
    pids = tmp_path / "pids"
    scratch_project.write({"hang.md": f"""
        ```console
        $ sleep 301 > /dev/null 2>&1 & echo $! >> {pids}
        ```

        ```console
        $ sleep 302 & echo $! >> {pids}; sleep 303
        ```
        """})
    run = subprocess.Popen(scratch_project.command("--guide-no-backends"), cwd=scratch_project.root,
                           env=scratch_project.env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 60
        while not (pids.exists() and len(pids.read_text().split()) == 2):
            assert time.monotonic() < deadline and run.poll() is None, run.stdout.read()
            time.sleep(0.1)
        time.sleep(0.3)  # into the hang
        run.send_signal(signal.SIGINT)
        output, _ = run.communicate(timeout=60)
    finally:
        run.kill()
    assert "KeyboardInterrupt" in output or "Interrupted" in output, output
    time.sleep(0.2)
    assert not [pid for pid in map(int, pids.read_text().split()) if _alive(pid)], output


def test_each_page_gets_a_fresh_workspace_and_home_that_are_gone_afterwards(run_pages, tmp_path):
    seen = tmp_path / "seen"
    block = f"```console\n$ ls -A; ls -A ~; echo \"$PWD $HOME\" >> {seen}; touch here ~/there\n```\n"
    run = run_pages({"one.md": block, "two.md": block})
    assert run.status == 0, run.output
    places = [line.split() for line in seen.read_text().splitlines()]
    assert len(places) == 2 and len({place for pair in places for place in pair}) == 4
    assert not [place for pair in places for place in pair if Path(place).exists()]
