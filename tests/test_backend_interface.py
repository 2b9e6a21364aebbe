"""A backend is one module and one registration line: the how-to's worked example, run here the way a
project of its own would run it (with worker processes, strict and not, and replaced by another)."""

from __future__ import annotations

import json
import subprocess
import tempfile
from pathlib import Path

import pytest

from guidecheck.backends import registry
from guidecheck.blocks import Block, BlockError, page_blocks

ROOT = Path(__file__).resolve().parent.parent
HOWTO = "source/contributing/backends.md"


def howto_files() -> dict[str, str]:
    """The files the how-to page saves, by the path it saves them at."""
    blocks = page_blocks((ROOT / HOWTO).read_text(), HOWTO)
    return {b.options.file_path: b.body for b in blocks if isinstance(b, Block) and b.options.file_path}


def example_project(project, **extra: str):
    """A scratch project holding the how-to's files (and ``extra`` ones): nothing of the guide's."""
    for name, text in {**howto_files(), **extra}.items():
        path = project.root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return project


def verify(project, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(project.command(*args), cwd=project.root, env=project.env, capture_output=True,
                          text=True, timeout=300)


def report(project) -> dict:
    return json.loads((project.root / "build" / "verify" / "report.json").read_text())


def test_the_worked_example_is_one_module_and_one_registration_line():
    files = howto_files()
    assert set(files) == {"file_server.py", "conftest.py", "pytest.ini", "source/publish.md"}
    guide_conftest = (ROOT / "conftest.py").read_text()
    added = [line for line in files["conftest.py"].splitlines()
             if line.strip() and line not in guide_conftest and not line.startswith(("from ", "import "))]
    assert added == ['register("file_server:FileServer")']


def test_a_new_backend_runs_in_worker_processes_and_cleans_up(scratch_project):
    # An empty directory of its own (the other page's file is not in it), served by the same server.
    second_page = ("# Two\n\n```console\n$ ls \"$FILES_DIR\"\n"
                   "$ curl -s -o /dev/null -w '%{http_code}\\n' \"$FILES_URL\"\n200\n```\n")
    project = example_project(scratch_project, **{"source/two.md": second_page})
    leftovers_before = set(Path(tempfile.gettempdir()).glob("guide-files-*"))
    done = verify(project, "-n", "2", "--guide-strict")
    assert done.returncode == 0, done.stdout + done.stderr
    found = report(project)
    assert found["environment"]["fileserver"].endswith("http.server")
    assert {b["tier"] for b in found["blocks"]} == {"fileserver"}
    assert {b["outcome"] for b in found["blocks"]} == {"passed"}
    assert set(Path(tempfile.gettempdir()).glob("guide-files-*")) <= leftovers_before  # stop() removed it


UNAVAILABLE = '''
from guidecheck.backends.interface import BackendUnavailable
from file_server import FileServer


class Broken(FileServer):
    def start(self, plan):
        raise BackendUnavailable("the file server's port range is exhausted on this machine")
'''


def test_an_unavailable_backend_skips_its_blocks_and_fails_a_strict_run(scratch_project):
    conftest = howto_files()["conftest.py"] + 'register("broken:Broken")  # replaces the fileserver backend\n'
    project = example_project(scratch_project, **{"broken.py": UNAVAILABLE, "conftest.py": conftest})
    done = verify(project)
    assert done.returncode == 0, done.stdout + done.stderr
    (block,) = report(project)["blocks"]
    assert block["outcome"] == "skipped"
    assert block["reason"] == ("needs a web server that publishes files "
                               "(the file server's port range is exhausted on this machine)")
    assert report(project)["environment"]["fileserver"] is None
    strict = verify(project, "--guide-strict")
    assert strict.returncode == 1
    assert "source/publish.md:3: needs a web server that publishes files" in strict.stdout
    assert "port range is exhausted" in strict.stdout and "strict run" in strict.stdout


def test_tiers_come_from_the_registered_backends():
    tiers = registry.tiers()
    assert {"hermetic", "docker", "postgres", "meshhook", "cloud"} <= set(tiers)
    assert registry.strict_tiers() >= {"hermetic", "docker", "postgres", "meshhook"}
    assert "cloud" not in registry.strict_tiers()
    (refused,) = page_blocks("```{code-block} console\n:tier: filesrever\n\n$ true\n```\n", "source/p.md")
    assert isinstance(refused, BlockError) and "unknown tier 'filesrever'" in refused.message
    assert refused.line == 2


def test_the_report_environment_is_worded_by_each_backend():
    words = registry.environment_words({"docker": "26.1.5", "postgres": None, "meshhook": "11e288f56dea"})
    assert words.startswith("Docker 26.1.5, no PostgreSQL server, MeshHook 11e288f")


@pytest.mark.parametrize("entry", ["file_server.FileServer", "guidecheck.pin:COMMIT"])
def test_a_registration_must_name_a_backend_class(entry):
    saved = list(registry._registered)
    try:
        with pytest.raises((ValueError, TypeError)):
            registry.register(entry)
            registry.backends()
    finally:
        registry._registered[:] = saved

