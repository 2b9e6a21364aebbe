"""The backends against a real Docker engine and real PostgreSQL binaries (skipped when absent)."""

from __future__ import annotations

import json
import os
import re
import secrets
import subprocess
from pathlib import Path

import psycopg
import pytest

from guidecheck.backends import docker, postgres
from guidecheck.backends.shim import write_docker_shim
from guidecheck.backends.images import build_image, content_digest

ROOT = Path(__file__).resolve().parents[1]
IMAGE_PAGE = ROOT / "source" / "database" / "postgres-image.md"
BASE_IMAGE = "debian:trixie-slim"

ENGINE = docker.engine_version()
needs_engine = pytest.mark.skipif(ENGINE is None, reason="no Docker engine answers `docker version` "
                                  "(run scripts/bootstrap-engine.sh)")


def sh(*args: str, **kwargs) -> subprocess.CompletedProcess[str]:
    return subprocess.run(list(args), capture_output=True, text=True, timeout=120, **kwargs)


def labels_of(kind: str, ident: str) -> dict[str, str]:
    data = json.loads(sh("docker", kind, "inspect", ident).stdout)[0]
    return data.get("Labels") or data["Config"]["Labels"] or {}


def exists(kind: str, ident: str) -> bool:
    return sh("docker", kind, "inspect", ident).returncode == 0


def dead_pid() -> int:
    child = subprocess.Popen(["true"])
    child.wait()
    return child.pid


def new_run_id() -> str:
    return secrets.token_hex(4)


@pytest.fixture(scope="module")
def base_image():
    if not exists("image", BASE_IMAGE):
        pytest.skip(f"{BASE_IMAGE} is missing (run scripts/bootstrap-engine.sh)")
    return BASE_IMAGE


@pytest.fixture(scope="module")
def guide_image(tmp_path_factory):
    """The guide's PostgreSQL image, built from its page's Dockerfile block (cached by content)."""
    match = re.search(r"```\{code-block\} dockerfile\n(?::[^\n]*\n)*?:image: (\S+)\n(?::[^\n]*\n)*\n(.*?)\n```\n",
                      IMAGE_PAGE.read_text(), re.S)
    assert match, f"no :image: Dockerfile block in {IMAGE_PAGE}"
    tag, text = match.group(1), match.group(2) + "\n"
    context = tmp_path_factory.mktemp("context")
    build_image(text, context, tag)
    again = build_image(text, context, tag)
    assert not again.built, "an unchanged Dockerfile must not be rebuilt"
    return tag


# --- engine, shim, sweep ------------------------------------------------------------------------

@needs_engine
def test_engine_version_names_the_server():
    assert re.match(r"^\d+\.\d+", ENGINE)


def test_engine_version_is_none_without_a_cli(monkeypatch):
    monkeypatch.setenv("PATH", "/nonexistent")
    assert docker.engine_version() is None


@needs_engine
def test_shim_labels_a_run_and_is_invisible(tmp_path, base_image):
    run_id = new_run_id()
    labels = docker.run_labels(run_id, os.getpid())
    shim = write_docker_shim(tmp_path / "bin", labels)
    env = {**os.environ, "PATH": f"{shim.parent}:{os.environ['PATH']}", "GUIDE_PAGE_LABEL": "page_a"}
    name = f"gc-test-{run_id}"
    try:
        result = sh("docker", "run", "--name", name, base_image, "sh", "-c",
                    "echo to-stdout; echo to-stderr >&2; exit 3", env=env)
        assert (result.returncode, result.stdout, result.stderr) == (3, "to-stdout\n", "to-stderr\n")
        got = labels_of("container", name)
        assert {k: got.get(k) for k in labels} == labels
        assert got.get("guidecheck.page") == "page_a"

        piped = sh("docker", "run", "--rm", "-i", base_image, "cat", input="line 1\nline 2", env=env)
        assert (piped.returncode, piped.stdout) == (0, "line 1\nline 2")
        # Commands that create nothing go through untouched (and fail the same way).
        unknown = sh("docker", "no-such-command", env=env)
        plain = sh("docker", "no-such-command")
        assert (unknown.returncode, unknown.stderr) == (plain.returncode, plain.stderr)

        assert sh("docker", "network", "create", name, env=env).returncode == 0
        assert sh("docker", "volume", "create", name, env=env).returncode == 0
        assert labels_of("network", name).get(docker.RUN_LABEL) == run_id
        assert labels_of("volume", name).get(docker.RUN_LABEL) == run_id
    finally:
        report = docker.sweep(run_id)
    assert not exists("container", name) and not exists("network", name) and not exists("volume", name)
    assert len(report.containers) == 1  # the --rm one removed itself
    assert report.networks == [name] and report.volumes == [name]


@needs_engine
def test_a_rebuild_through_the_shim_is_the_same_image_whichever_run_or_page_builds_it(tmp_path, base_image):
    # Otherwise a tag that pages share moves under another page's stack, whose next `up` recreates it.
    tag = f"guidecheck-test/rebuild-{new_run_id()}:latest"
    (tmp_path / "Dockerfile").write_text(f"FROM {base_image}\nRUN echo built > /built\n")
    (tmp_path / "compose.yaml").write_text(f"services:\n  svc:\n    build: .\n    image: {tag}\n")
    built = []
    try:
        for page in ("page_a", "page_b"):
            shim = write_docker_shim(tmp_path / page, docker.run_labels(new_run_id(), os.getpid()))
            env = {**os.environ, "PATH": f"{shim.parent}:{os.environ['PATH']}", "GUIDE_PAGE_LABEL": page,
                   "DOCKER_BUILDKIT": "1", "COMPOSE_PROJECT_NAME": f"gc-{new_run_id()}-{page}"}
            sh("docker", "build", "--quiet", "--tag", tag, str(tmp_path), env=env).check_returncode()
            built.append(sh("docker", "image", "inspect", "--format", "{{.Id}}", tag).stdout.strip())
            compose = sh("docker", "compose", "--file", str(tmp_path / "compose.yaml"), "build", "--quiet", env=env)
            assert compose.returncode == 0, compose.stderr
            built.append(sh("docker", "image", "inspect", "--format", "{{.Id}}", tag).stdout.strip())
        assert built[0] == built[2] and built[1] == built[3], built
        assert labels_of("image", tag).get(docker.COMPOSE_PROJECT_LABEL) == docker.BUILD_PROJECT
        assert docker.RUN_LABEL not in labels_of("image", built[0])
    finally:
        sh("docker", "image", "rm", "--force", tag, *set(built))


@needs_engine
def test_shim_labels_named_volumes_that_run_would_create_unlabelled(tmp_path, base_image):
    run_id = new_run_id()
    shim = write_docker_shim(tmp_path / "bin", docker.run_labels(run_id, os.getpid()))
    env = {**os.environ, "PATH": f"{shim.parent}:{os.environ['PATH']}"}
    short, long_form, mount = (f"gc-test-{run_id}-{kind}" for kind in ("v", "volume", "mount"))
    try:
        result = sh("docker", "run", "--rm", "-v", f"{short}:/a", f"--volume={long_form}:/b",
                    "--mount", f"type=volume,source={mount},target=/c", "-v", f"{tmp_path}:/host",
                    base_image, "sh", "-c", "touch /a/x /b/x /c/x && echo ok", env=env)
        assert (result.returncode, result.stdout) == (0, "ok\n"), result.stderr
        for volume in (short, long_form, mount):
            assert labels_of("volume", volume).get(docker.RUN_LABEL) == run_id
    finally:
        docker.sweep(run_id)
    assert not any(exists("volume", v) for v in (short, long_form, mount))


@needs_engine
def test_sweep_removes_dead_runs_and_keeps_the_rest(base_image):
    dead_run, live_run = new_run_id(), new_run_id()
    dead = docker.run_labels(dead_run, dead_pid())
    live = docker.run_labels(live_run, os.getpid())
    names = {key: f"gc-test-{key}-{dead_run}" for key in
             ("dead", "live", "plain", "compose", "compose_live")}

    def label_args(labels):
        return [arg for key, value in labels.items() for arg in ("--label", f"{key}={value}")]

    created = []
    try:
        for key, labels in (("dead", dead), ("live", live), ("plain", {})):
            name = names[key]
            sh("docker", "create", "--name", name, *label_args(labels), base_image, "true").check_returncode()
            sh("docker", "network", "create", *label_args(labels), name).check_returncode()
            sh("docker", "volume", "create", *label_args(labels), name).check_returncode()
            created.append(name)
        # Compose projects carry no run labels, only their name: gc-<run>-<page>.
        docker.register_run(live_run, os.getpid())
        for key, run in (("compose", dead_run), ("compose_live", live_run)):
            sh("docker", "volume", "create", "--label",
               f"{docker.COMPOSE_PROJECT_LABEL}={docker.compose_project_name(run, 'some_page')}",
               names[key]).check_returncode()
            created.append(names[key])

        docker.sweep()

        for kind in ("container", "network", "volume"):
            assert not exists(kind, names["dead"]), kind
            assert exists(kind, names["live"]), kind
            assert exists(kind, names["plain"]), kind
        assert not exists("volume", names["compose"])
        assert exists("volume", names["compose_live"])

        report = docker.sweep(live_run)
        assert not exists("container", names["live"]) and not exists("volume", names["compose_live"])
        assert docker.MARKER_PREFIX + live_run in report.volumes
        assert exists("container", names["plain"])
    finally:
        for name in created:
            sh("docker", "rm", "-f", name)
            sh("docker", "network", "rm", name)
            sh("docker", "volume", "rm", "-f", name)
        sh("docker", "volume", "rm", "-f", docker.MARKER_PREFIX + live_run)


@needs_engine
def test_page_sweep_takes_only_that_page(base_image):
    run_id = new_run_id()
    labels = docker.run_labels(run_id, os.getpid())
    names = {page: f"gc-test-{run_id}-{page}" for page in ("page_a", "page_b")}
    try:
        for page, name in names.items():
            args = [a for k, v in {**labels, docker.PAGE_LABEL: page}.items() for a in ("--label", f"{k}={v}")]
            sh("docker", "volume", "create", *args, name).check_returncode()
        docker.sweep(run_id, page="page_a")
        assert not exists("volume", names["page_a"]) and exists("volume", names["page_b"])
    finally:
        docker.sweep(run_id)
    assert not exists("volume", names["page_b"])


@needs_engine
def test_images_compose_built_for_a_page_go_with_it(base_image):
    """Compose names the images it builds <project>-<service>: they belong to the page's project."""
    run_id = new_run_id()
    project = docker.compose_project_name(run_id, "page_a")
    mine, other = f"{project}-proxy:latest", f"{docker.compose_project_name(run_id, 'page_b')}-proxy:latest"
    try:
        for tag in (mine, other):
            sh("docker", "tag", base_image, tag).check_returncode()
        docker.sweep(run_id, page="page_a")
        assert not exists("image", mine) and exists("image", other)
        docker.sweep(run_id)
        assert not exists("image", other)
    finally:
        sh("docker", "image", "rm", mine, other)


def test_content_digest_follows_dockerfile_and_context(tmp_path):
    (tmp_path / "a.txt").write_text("one")
    (tmp_path / ".dockerignore").write_text("ignored/\n")
    first = content_digest("FROM x\n", tmp_path)
    assert content_digest("FROM x\n", tmp_path) == first
    (tmp_path / "ignored").mkdir()
    (tmp_path / "ignored" / "b.txt").write_text("noise")
    assert content_digest("FROM x\n", tmp_path) == first
    (tmp_path / "a.txt").write_text("two")
    assert content_digest("FROM x\n", tmp_path) != first
    assert content_digest("FROM y\n", tmp_path) != content_digest("FROM x\n", tmp_path)


# --- PostgreSQL -----------------------------------------------------------------------------------

def _check_server(server: postgres.PostgresServer) -> None:
    """What the engine relies on: conninfo connects, page databases are made and drop.

    How fast a page database is made is measured by scripts/benchmark.py, not asserted here: a timed
    assertion fails on a loaded machine without anything being wrong.
    """
    info = server.conninfo()
    assert set(info) == {"PGHOST", "PGPORT", "PGUSER", "PGPASSWORD", "PGDATABASE"}
    assert info["PGHOST"] == "127.0.0.1"
    assert info["PGPASSWORD"] not in repr(server)

    for n in range(3):
        page = server.create_page_database(f"test_page_{n}")
        assert page["PGDATABASE"] == f"test_page_{n}"

    page = server.conninfo("test_page_0")
    with psycopg.connect(host=page["PGHOST"], port=page["PGPORT"], user=page["PGUSER"],
                         password=page["PGPASSWORD"], dbname=page["PGDATABASE"]) as conn:
        assert conn.execute("select current_database()").fetchone()[0] == "test_page_0"
        conn.execute("create table t (id int)")
    # A session left open in the page database does not stop the drop.
    lingering = psycopg.connect(host=page["PGHOST"], port=page["PGPORT"], user=page["PGUSER"],
                                password=page["PGPASSWORD"], dbname="test_page_1")
    for n in range(3):
        server.drop_database(f"test_page_{n}")
    lingering.close()
    with postgres.attach(server.describe()).connect() as conn:
        left = conn.execute("select count(*) from pg_database where datname like 'test_page_%'").fetchone()[0]
    assert left == 0
    with pytest.raises(ValueError):
        server.create_page_database("Robert'); drop table students;--")


@needs_engine
def test_container_server(guide_image):
    run_id = new_run_id()
    labels = docker.run_labels(run_id, os.getpid())
    server = postgres.ContainerPostgres(guide_image, labels=labels)
    try:
        server.start()
        container = server.container_id
        assert server.version.startswith("17.")
        got = labels_of("container", container)
        assert got[docker.RUN_LABEL] == run_id
        ports = json.loads(sh("docker", "inspect", "-f", "{{json .HostConfig.PortBindings}}", container).stdout)
        assert ports["5432/tcp"][0]["HostIp"] == "127.0.0.1"
        with server.admin.connect() as conn:
            assert conn.execute("show shared_preload_libraries").fetchone()[0] == "pg_cron"
            conn.execute("create extension pgmq")
            assert conn.execute("select extversion from pg_extension where extname = 'pgmq'").fetchone()[0] == "1.13.0"
        _check_server(server)
    finally:
        server.stop()
        docker.sweep(run_id)
    assert not exists("container", container)


@needs_engine
def test_container_server_failing_start_leaves_nothing(base_image):
    run_id = new_run_id()
    # debian:trixie-slim has no PostgreSQL: the container exits at once and never accepts connections.
    server = postgres.ContainerPostgres(base_image, labels=docker.run_labels(run_id, os.getpid()))
    with pytest.raises(postgres.PostgresError):
        server.start(timeout=5)
    left = sh("docker", "ps", "-aq", "--filter", f"label={docker.RUN_LABEL}={run_id}").stdout.split()
    assert left == []


@pytest.mark.skipif(postgres.find_native_bindir() is None, reason="no /usr/lib/postgresql/*/bin here")
def test_native_server():
    server = postgres.NativePostgres.if_available()
    assert server is not None
    try:
        server.start()
        directory = server._dir
        port = int(server.conninfo()["PGPORT"])
        assert server.version.split(".")[0] == server.bindir.parent.name
        assert server.pids()
        _check_server(server)
    finally:
        server.stop()
    assert not directory.exists()
    with pytest.raises(psycopg.OperationalError):
        psycopg.connect(host="127.0.0.1", port=port, user="postgres", connect_timeout=2)
