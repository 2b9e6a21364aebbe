#!/usr/bin/env python3
"""How long verification takes: a full run of the guide, one page, and per-page database provisioning.

    python scripts/benchmark.py                    # warm full run, one page, database provisioning
    python scripts/benchmark.py --cold             # first remove the engine's cached images
    python scripts/benchmark.py --only provisioning
    python scripts/benchmark.py --only overhead    # 100 trivial blocks: engine vs plain bash (vs prysk)

A *cold* run here means the engine's own images (labelled guidecheck.cache=1, e.g. the PostgreSQL
image) are rebuilt. Docker's BuildKit layer cache is machine-wide and is kept; for a run from nothing
(as in a fresh CI machine) also run `docker builder prune --all --force` first — that empties the
build cache of everything else on this engine too, so this script never does it.

Not a test: it prints a table and exits 0 unless a measured command failed.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import resource
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from guidecheck.backends import docker, postgres  # noqa: E402

DEFAULT_PAGE = "source/database/postgres-image.md"
POSTGRES_IMAGE = "meshhook-guide/postgres:17"


def timed_command(args: list[str]) -> tuple[float, int, str]:
    """Run a command from the repository root; its wall time, exit status and last output line."""
    started = time.monotonic()
    result = subprocess.run(args, cwd=ROOT, capture_output=True, text=True)
    lines = (result.stdout.strip() or result.stderr.strip()).splitlines()
    return time.monotonic() - started, result.returncode, lines[-1] if lines else ""


def pytest_args(*targets: str, parallel: bool) -> list[str]:
    args = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"]
    args += ["-n", "auto", "--dist", "loadfile"] if parallel else ["-p", "no:xdist"]
    return args + list(targets)


def drop_cache_images() -> int:
    """Remove the images the engine builds for itself, so the next run builds them again."""
    ids = subprocess.run(["docker", "image", "ls", "-q", "--filter", f"label={docker.CACHE_LABEL}=1"],
                         capture_output=True, text=True).stdout.split()
    if ids:
        subprocess.run(["docker", "image", "rm", "--force", *sorted(set(ids))], capture_output=True)
    return len(set(ids))


def provisioning(rounds: int) -> list[tuple[str, float, str]]:
    """Start the run's server the way the engine does, then clone and drop page databases."""
    rows = []
    started = time.monotonic()
    has_image = docker.engine_version() and subprocess.run(
        ["docker", "image", "inspect", POSTGRES_IMAGE], capture_output=True).returncode == 0
    run_id = secrets.token_hex(4)
    if has_image:
        server: postgres.PostgresServer = postgres.ContainerPostgres(
            POSTGRES_IMAGE, labels=docker.run_labels(run_id, os.getpid()))
    else:
        server = postgres.NativePostgres()
    try:
        server.start()
        rows.append((f"{server.kind} server start (PostgreSQL {server.version})",
                     time.monotonic() - started, "ok"))
        creates, drops = [], []
        for n in range(rounds):
            t0 = time.monotonic()
            server.create_page_database(f"bench_page_{n}")
            t1 = time.monotonic()
            server.drop_database(f"bench_page_{n}")
            creates.append(t1 - t0)
            drops.append(time.monotonic() - t1)
        rows.append((f"page database: clone template (median of {rounds})", statistics.median(creates),
                     f"max {max(creates):.3f}s"))
        rows.append((f"page database: drop (median of {rounds})", statistics.median(drops),
                     f"max {max(drops):.3f}s"))
    finally:
        server.stop()
        if has_image:
            docker.sweep(run_id)
    return rows


def _fastest(args: list[str], cwd: Path, rounds: int) -> tuple[float, float]:
    """The best wall time and CPU time (the command's and its children's) of a few runs.

    On a shared machine the others' load stretches wall time; CPU time is what the command itself costs.
    """
    walls, cpus = [], []
    for _ in range(rounds):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.monotonic()
        subprocess.run(args, cwd=cwd, capture_output=True, check=True)
        walls.append(time.monotonic() - started)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpus.append(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime)
    return min(walls), min(cpus)


def overhead(blocks: int, rounds: int = 5) -> list[tuple[str, float, str]]:
    """The same trivial commands as a page through the engine, in one plain bash, and in prysk.

    Per-command costs are differences between ``blocks`` commands and one, so every tool's own start-up
    (pytest's, prysk's, bash's) cancels out.
    """
    work = Path(tempfile.mkdtemp(prefix="guide-overhead-"))
    tools = {"engine": [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:xdist",
                        "--guide-no-backends", "source/{n}.md"],
             "bash": ["bash", "--noprofile", "--norc", "{n}.sh"]}
    if importlib.util.find_spec("prysk") is not None:
        tools["prysk"] = [sys.executable, "-m", "prysk", "-q", "{n}.t"]
    runs: dict[str, dict[int, tuple[float, float]]] = {tool: {} for tool in tools}
    try:
        (work / "source").mkdir()
        shutil.copy(ROOT / "conftest.py", work)
        (work / "pytest.ini").write_text("[pytest]\n")
        for count in (1, blocks):
            (work / "source" / f"{count}.md").write_text("```console\n$ true\n```\n\n" * count)
            (work / f"{count}.sh").write_text("true\n" * count)
            (work / f"{count}.t").write_text("  $ true\n" * count)
        for _ in range(rounds):  # interleaved, so a burst of load hits every tool alike
            for tool, args in tools.items():
                for count in (1, blocks):
                    measured = _fastest([arg.format(n=count) for arg in args], work, 1)
                    best = runs[tool].get(count, measured)
                    runs[tool][count] = (min(best[0], measured[0]), min(best[1], measured[1]))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    # A block's cost: (time for all blocks - time for one) / (blocks - 1), in wall and in CPU time.
    each = {tool: [(times[blocks][i] - times[1][i]) / (blocks - 1) for i in (0, 1)] for tool, times in runs.items()}
    ms = {tool: f"{wall * 1000:.2f} ms wall, {cpu * 1000:.2f} ms CPU" for tool, (wall, cpu) in each.items()}
    extra = [each["engine"][i] - each["bash"][i] for i in (0, 1)]
    rows = [(f"{blocks} trivial blocks through the engine (one page)", runs["engine"][blocks][0],
             f"a block: {ms['engine']}"),
            (f"the same {blocks} commands in one plain bash", runs["bash"][blocks][0], f"a command: {ms['bash']}"),
            (f"engine overhead, all {blocks} blocks (engine - plain bash)", extra[0] * blocks,
             f"a block: {extra[0] * 1000:.2f} ms wall, {extra[1] * 1000:.2f} ms CPU (target <= 3 ms); engine/bash, "
             f"whole runs: {runs['engine'][blocks][0] / runs['bash'][blocks][0]:.0f}x")]
    if "prysk" in tools:
        rows.append((f"the same {blocks} commands in prysk (one shell a file)", runs["prysk"][blocks][0],
                     f"a command: {ms['prysk']}; engine/prysk, whole runs: "
                     f"{runs['engine'][blocks][0] / runs['prysk'][blocks][0]:.1f}x"))
    else:
        rows.append(("prysk", 0.0, "not installed in this Python: `pip install prysk` to compare with it"))
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cold", action="store_true", help="remove the engine's cached images first")
    parser.add_argument("--page", default=DEFAULT_PAGE, help=f"the one page to time (default {DEFAULT_PAGE})")
    parser.add_argument("--rounds", type=int, default=20, help="page databases to clone and drop")
    parser.add_argument("--blocks", type=int, default=100, help="trivial blocks for the overhead measurement")
    parser.add_argument("--only", choices=["full", "page", "provisioning", "overhead"], action="append",
                        help="measure only this (repeatable)")
    options = parser.parse_args()
    wanted = set(options.only or ["full", "page", "provisioning", "overhead"])

    rows: list[tuple[str, float, str]] = []
    failed = False
    if "full" in wanted:
        if options.cold:
            removed = drop_cache_images()
            seconds, status, last = timed_command(pytest_args("source", parallel=True))
            rows.append((f"cold full run ({removed} cached images removed first)", seconds, last))
            failed |= status != 0
        seconds, status, last = timed_command(pytest_args("source", parallel=True))
        rows.append(("warm full run (pytest -n auto source)", seconds, last))
        failed |= status != 0
    if "page" in wanted:
        seconds, status, last = timed_command(pytest_args(options.page, parallel=False))
        rows.append((f"one page ({options.page})", seconds, last))
        failed |= status != 0
    if "provisioning" in wanted:
        rows += provisioning(options.rounds)
    if "overhead" in wanted:
        rows += overhead(options.blocks)

    width = max(len(name) for name, _, _ in rows)
    print(f"{'measurement'.ljust(width)}  {'seconds':>8}  result")
    for name, seconds, note in rows:
        print(f"{name.ljust(width)}  {seconds:8.2f}  {note}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
