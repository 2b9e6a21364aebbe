#!/usr/bin/env python3
"""How long verification takes: a full run of the guide, one page, and per-page database provisioning.

    python scripts/benchmark.py                    # warm full run, one page, database provisioning
    python scripts/benchmark.py --cold             # first remove the engine's cached images
    python scripts/benchmark.py --only provisioning

A *cold* run here means the engine's own images (labelled guidecheck.cache=1, e.g. the PostgreSQL
image) are rebuilt. Docker's BuildKit layer cache is machine-wide and is kept; for a run from nothing
(as in a fresh CI machine) also run `docker builder prune --all --force` first — that empties the
build cache of everything else on this engine too, so this script never does it.

Not a test: it prints a table and exits 0 unless a measured command failed.
"""

from __future__ import annotations

import argparse
import os
import secrets
import statistics
import subprocess
import sys
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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cold", action="store_true", help="remove the engine's cached images first")
    parser.add_argument("--page", default=DEFAULT_PAGE, help=f"the one page to time (default {DEFAULT_PAGE})")
    parser.add_argument("--rounds", type=int, default=20, help="page databases to clone and drop")
    parser.add_argument("--only", choices=["full", "page", "provisioning"], action="append",
                        help="measure only this (repeatable)")
    options = parser.parse_args()
    wanted = set(options.only or ["full", "page", "provisioning"])

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

    width = max(len(name) for name, _, _ in rows)
    print(f"{'measurement'.ljust(width)}  {'seconds':>8}  result")
    for name, seconds, note in rows:
        print(f"{name.ljust(width)}  {seconds:8.2f}  {note}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
