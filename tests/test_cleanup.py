"""Everything a run creates on the Docker engine is gone afterwards: after a pass, after Ctrl-C in the
middle of a page, and — through the next run's sweep — after a run that was killed outright."""

import signal
import subprocess
import time
import uuid

import pytest

from guidecheck.backends import docker

pytestmark = pytest.mark.skipif(docker.engine_version() is None, reason="needs a Docker engine")


def page(name: str, nap: str) -> str:
    return f"""
```console
$ docker network create {name}-net >/dev/null && docker volume create {name}-vol >/dev/null
$ docker run -d --name {name} --network {name}-net -v {name}-vol:/data debian:trixie-slim sleep 600 >/dev/null
```

```{{code-block}} console
:timeout: 5m
$ sleep {nap}
```
"""


def left_behind(name: str) -> list[str]:
    found = []
    for kind, fmt in (("container", "ps -a"), ("network", "network ls"), ("volume", "volume ls")):
        listed = subprocess.run(["docker", *fmt.split(), "-q", "--filter", f"name={name}"],
                                capture_output=True, text=True, check=True).stdout.split()
        found += [f"{kind} {item}" for item in listed]
    return found


def start_run(project, name: str, nap: str = "300") -> subprocess.Popen:
    project.write({"cleanup.md": page(name, nap)})
    return subprocess.Popen(project.command(), cwd=project.root, env=project.env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)


def wait_for_container(name: str, process: subprocess.Popen) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if len(left_behind(name)) == 3:
            return
        assert process.poll() is None, process.stdout.read()
        time.sleep(0.5)
    raise AssertionError("the page never started its container")


def test_ctrl_c_in_the_middle_of_a_page_leaves_nothing(scratch_project):
    name = f"gc-cleanup-{uuid.uuid4().hex[:8]}"
    run = start_run(scratch_project, name)
    try:
        wait_for_container(name, run)
        run.send_signal(signal.SIGINT)
        output, _ = run.communicate(timeout=120)
    finally:
        run.kill()
    assert "KeyboardInterrupt" in output or "Interrupted" in output, output
    assert left_behind(name) == [], output


def test_a_killed_run_is_swept_by_the_next_run(scratch_project):
    name = f"gc-cleanup-{uuid.uuid4().hex[:8]}"
    nap = f"299.{uuid.uuid4().int % 1000:03d}"  # a unique command line, to end the orphan afterwards
    run = start_run(scratch_project, name, nap)
    try:
        wait_for_container(name, run)
        run.kill()
        run.wait(timeout=30)
        assert len(left_behind(name)) == 3  # nothing could clean up after SIGKILL
        removed = docker.sweep()  # what every run does first
        assert removed
        assert left_behind(name) == []
    finally:
        run.kill()
        subprocess.run(["pkill", "-f", f"sleep {nap}"], check=False)


def test_an_image_compose_rebuilt_under_the_same_tag_leaves_nothing_untagged(scratch_project):
    # Compose labels each build with its project (one per page and run), so the second run's build
    # of the same tag is a new image and the first run's loses its tag.
    service = f"gc-cleanup-{uuid.uuid4().hex[:8]}"
    tag = f"guidecheck-test/{service}:latest"
    scratch_project.write({"build.md": f"""
        ```{{code-block}} console
        :timeout: 5m
        $ printf 'FROM debian:trixie-slim\\nRUN true\\n' > Dockerfile
        $ printf 'services:\\n  {service}:\\n    build: .\\n    image: {tag}\\n' > compose.yaml
        $ docker compose build --quiet
        ```
        """})

    def built(*filters: str) -> list[str]:
        args = ["docker", "image", "ls", "-q", "--filter", f"label=com.docker.compose.service={service}"]
        for item in filters:
            args += ["--filter", item]
        return subprocess.run(args, capture_output=True, text=True, check=True).stdout.split()

    try:
        for _ in range(2):
            done = subprocess.run(scratch_project.command(), cwd=scratch_project.root, env=scratch_project.env,
                                  capture_output=True, text=True, timeout=300)
            assert done.returncode == 0, done.stdout + done.stderr
        assert len(built()) == 1, "the tag is kept as a cache"
        assert built("dangling=true") == []
    finally:
        subprocess.run(["docker", "image", "rm", "--force", tag, *built()], capture_output=True, check=False)
