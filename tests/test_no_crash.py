"""No crash paths: an engine defect fails its block, a broken page is that page's error, nothing is lost."""

import subprocess
import sys

from guidecheck import infrastructure
from guidecheck.backends import docker_engine
from guidecheck.backends.postgres_server import PostgresBackend
from guidecheck.run import Settings
from guidecheck.blocks import BlockError, read_blocks

PAGE = """
# Demo

```console
$ export GREETING=hello
```

```{code-block} yaml
:caption: app.yaml

port: 8080
```

```console
$ echo "$GREETING"
hello
```
"""

BROKEN_FILE_RUNNER = """
import guidecheck.evaluate as _evaluate

def _broken(block, page):
    raise RuntimeError("injected defect")

_evaluate.RUNNERS["file"] = _broken
"""


def test_an_exception_in_a_runner_fails_its_block_and_stops_the_page(run_pages):
    run = run_pages({"demo.md": PAGE}, conftest_extra=BROKEN_FILE_RUNNER)
    assert run.status == 1
    assert run.outcome("source/demo.md", 3)["outcome"] == "passed"
    failed = run.outcome("source/demo.md", 7)
    assert failed["outcome"] == "failed"
    assert failed["reason"] == ("source/demo.md:7: the engine could not run this block: "
                                "RuntimeError: injected defect")
    assert run.outcome("source/demo.md", 13)["reason"] == "not run: an earlier step failed at source/demo.md:7"
    assert "Traceback" not in run.output


LOSE_A_BLOCK = """
def pytest_collection_modifyitems(items):
    # An engine defect: the block at line 7 is never run, and nothing says it was left out.
    items[:] = [item for item in items if item.example.line != 7]
"""


def test_a_run_that_loses_a_block_fails(run_pages):
    run = run_pages({"demo.md": PAGE}, conftest_extra=LOSE_A_BLOCK)
    assert run.status == 1, run.output
    assert "1 blocks of the selected pages are missing from the report: source/demo.md:7" in run.output
    assert [entry["line"] for entry in run.report["blocks"]] == [3, 13]


def test_a_deliberately_partial_run_is_not_a_lost_block(run_pages):
    run = run_pages({"demo.md": PAGE}, "-k", "line:3")
    assert run.status == 0, run.output
    assert [entry["line"] for entry in run.report["blocks"]] == [3]


# Each block needs the one before it in the same shell: only one worker per page can pass.
CHAINED = "# Chained\n\n" + "\n".join(
    f"```console\n$ export STEP{n}=$(( ${{STEP{n - 1}:-0}} + 1 )) && echo $STEP{n}\n{n}\n```\n" for n in range(1, 9))


def test_xdist_runs_each_page_in_one_worker_whatever_dist_is_asked(run_pages):
    for dist in (["--dist", "load"], []):
        run = run_pages({"chained.md": CHAINED, "other.md": CHAINED}, "-n", "2", *dist)
        assert run.status == 0, run.output
        assert len(run.report["blocks"]) == 16
        assert {entry["outcome"] for entry in run.report["blocks"]} == {"passed"}


def test_the_chained_page_fails_when_its_blocks_are_split(run_pages):
    # The page above really needs one session: cut it in two and the second half fails.
    run = run_pages({"chained.md": CHAINED}, "-k", "not line:3")
    assert run.status == 1
    assert run.report["blocks"][0]["outcome"] == "failed"


NOT_UTF8 = b"# Title\n\n```console\n$ echo caf\xe9\n```\n"


def test_a_page_that_is_not_utf8_is_its_own_error_and_no_other_pages(run_pages, tmp_path):
    run = run_pages({"good.md": PAGE, "bad.md": NOT_UTF8}, "--ignore=source/bad.md")
    assert run.status == 0, run.output
    # What the controller reads of every page (image recipes, whether PostgreSQL is needed) survives it.
    plan = infrastructure.plan(Settings(root=run.root), sorted((run.root / "source").glob("*.md")))
    assert docker_engine.image_recipes(docker_engine.guide_pages(run.root)) == {}
    assert not PostgresBackend.wanted(plan)
    (error,) = read_blocks(run.root / "source" / "bad.md", "source/bad.md")
    assert isinstance(error, BlockError)
    assert str(error) == ("source/bad.md:4: not valid UTF-8 at byte 30 (invalid continuation byte): "
                          "save the page as UTF-8")
    lint = subprocess.run([sys.executable, "-m", "guidecheck.lint", "source/bad.md"], cwd=run.root,
                          capture_output=True, text=True, env={"PYTHONPATH": str(infrastructure.Path(
                              infrastructure.__file__).parents[1])})
    assert lint.returncode == 1 and lint.stdout.startswith("source/bad.md:4: not valid UTF-8 at byte 30")


NO_SESSION = """
import guidecheck.evaluate as _evaluate

class _NoSession:
    def __init__(self, page, context):
        raise OSError("no space left on device")

_evaluate.PageSession = _NoSession
"""


def test_a_page_whose_session_cannot_start_fails_once_and_runs_nothing(run_pages):
    run = run_pages({"demo.md": PAGE}, conftest_extra=NO_SESSION)
    assert run.status == 1
    assert run.outcome("source/demo.md", 3)["reason"] == ("source/demo.md:3: the page's session could not start: "
                                                          "OSError: no space left on device")
    for line in (7, 13):
        assert run.outcome("source/demo.md", line)["reason"] == "not run: an earlier step failed at source/demo.md:3"
