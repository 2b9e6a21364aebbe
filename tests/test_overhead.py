"""What a page costs beyond its own commands: no backend for a page that needs none, a fork a block."""

import pytest

from guidecheck.backends import docker



@pytest.mark.skipif(docker.engine_version() is None, reason="needs a Docker engine")
def test_a_page_of_hermetic_blocks_starts_no_backend(run_pages):
    run = run_pages({"plain.md": "```console\n$ echo hi\nhi\n```\n"}, backends=True)
    assert run.status == 0, run.output
    assert run.report["environment"]["docker"] is None and run.report["environment"]["postgres"] is None
    with_docker = run_pages({"plain.md": "```console\n$ docker version --format '{{.Server.Version}}'\n...\n```\n"},
                            backends=True)
    assert with_docker.status == 0 and with_docker.report["environment"]["docker"], with_docker.output


def test_a_hundred_blocks_are_a_hundred_tests_in_one_page_shell(run_pages, tmp_path):
    shells = tmp_path / "shells"
    run = run_pages({"trivial.md": "".join(f"```console\n$ echo $$ >> {shells}\n```\n\n" for _ in range(100))})
    assert run.status == 0 and "100 passed" in run.output, run.output
    assert len(set(shells.read_text().split())) == 1
