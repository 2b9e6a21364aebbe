"""Sharded verification: every page in exactly one shard, and the shards' reports merge into one."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from guidecheck import merge, shard

ROOT = Path(__file__).resolve().parent.parent
GUIDE_PAGES = sorted(path.relative_to(ROOT).as_posix() for path in (ROOT / "source").rglob("*.md"))


@pytest.mark.parametrize("count", [1, 2, 3, 5, len(GUIDE_PAGES) + 2])
def test_every_page_of_the_guide_is_in_exactly_one_shard(count):
    weighted = shard.weights(ROOT, GUIDE_PAGES, report=ROOT / "no-such-report.json")
    shards = shard.partition(weighted, count)
    assert len(shards) == count
    placed = [page for pages in shards for page in pages]
    assert sorted(placed) == GUIDE_PAGES and len(placed) == len(set(placed))
    totals = [sum(weighted[page] for page in pages) for pages in shards]
    # Greedy placement: no shard exceeds the lightest by more than the heaviest page.
    assert max(totals) - min(totals) <= max(weighted.values())
    specs = [shard.pages_of(f"{index}/{count}", ROOT) for index in range(1, count + 1)]
    assert sorted(page for pages in specs for page in pages) == GUIDE_PAGES


def test_weights_come_from_the_last_full_report_else_from_block_counts(tmp_path):
    pages = ["source/a.md", "source/b.md"]
    for page, blocks in zip(pages, (1, 3), strict=True):
        (tmp_path / page).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / page).write_text("# T\n\n" + "```console\n$ true\n```\n\n" * blocks)
    report = tmp_path / "report.json"
    assert shard.weights(tmp_path, pages, report) == {"source/a.md": 1.0, "source/b.md": 3.0}
    report.write_text(json.dumps({"blocks": [{"page": "source/a.md", "seconds": 40.0}]}))
    assert shard.weights(tmp_path, pages, report) == {"source/a.md": 1.0, "source/b.md": 3.0}  # partial
    report.write_text(json.dumps({"blocks": [{"page": "source/a.md", "seconds": 40.0},
                                             {"page": "source/b.md", "seconds": 2.5},
                                             {"page": "source/b.md", "seconds": 0.5}]}))
    assert shard.weights(tmp_path, pages, report) == {"source/a.md": 40.0, "source/b.md": 3.0}
    assert shard.partition(shard.weights(tmp_path, pages, report), 2) == [["source/a.md"], ["source/b.md"]]


@pytest.mark.parametrize("spec", ["0/2", "3/2", "2", "a/b", "1/0"])
def test_a_malformed_shard_is_refused(spec):
    with pytest.raises(shard.ShardError, match="expected i/n"):
        shard.parse(spec)


PAGES = {f"page{n}.md": f"# Page {n}\n\n```console\n$ echo {n}\n{n}\n```\n\n```console\n$ true\n```\n"
         for n in range(1, 6)}


def test_shards_run_disjoint_pages_and_their_reports_merge_into_the_whole(scratch_project):
    scratch_project.write(PAGES)
    reports = []
    for index in (1, 2):
        done = subprocess.run(scratch_project.command("--guide-no-backends", f"--guide-shard={index}/2"),
                              cwd=scratch_project.root, env=scratch_project.env, capture_output=True, text=True,
                              timeout=300)
        assert done.returncode == 0, done.stdout + done.stderr
        reports.append(scratch_project.root / "build" / "verify" / f"shard-{index}-of-2.json")
    pages = [{block["page"] for block in json.loads(path.read_text())["blocks"]} for path in reports]
    assert pages[0] and pages[1] and not pages[0] & pages[1]
    assert pages[0] | pages[1] == {f"source/{name}" for name in PAGES}
    assert not (scratch_project.root / "build" / "verify" / "report.json").exists()

    merged = scratch_project.root / "merged.json"
    done = subprocess.run([sys.executable, "-m", "guidecheck.merge", *map(str, reports), "--output", str(merged),
                           "--complete", "--root", str(scratch_project.root)],
                          env=scratch_project.env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert "merged 2 reports: 10 blocks, 0 failed" in done.stdout
    document = json.loads(merged.read_text())
    assert [(b["page"], b["line"]) for b in document["blocks"]] == sorted(
        (f"source/{name}", line) for name in PAGES for line in (3, 8))

    # One shard's report alone is not the whole guide, and no block may be reported twice.
    done = subprocess.run([sys.executable, "-m", "guidecheck.merge", str(reports[0]), "--output", str(merged),
                           "--complete", "--root", str(scratch_project.root)],
                          env=scratch_project.env, capture_output=True, text=True)
    assert done.returncode == 1 and "blocks in no shard's report: source/page" in done.stderr
    with pytest.raises(merge.MergeError, match=r"source/page\d\.md:3 is in two shards' reports"):
        merge.merge([json.loads(reports[0].read_text())] * 2)


def test_shards_that_ran_on_different_engines_do_not_merge():
    base = {"schema": 1, "started": "a", "finished": "b", "blocks": []}
    with pytest.raises(merge.MergeError, match="different postgres versions: 16.4, 17.6"):
        merge.merge([{**base, "environment": {"postgres": "17.6", "strict": True}},
                     {**base, "environment": {"postgres": "16.4", "strict": True}}])


def test_the_merged_report_names_the_browser_of_the_shard_that_took_the_screenshots():
    base = {"schema": 1, "started": "a", "finished": "b", "blocks": []}
    merged = merge.merge([{**base, "environment": {"browser": None, "strict": True}},
                          {**base, "environment": {"browser": "156.0.8078.108", "strict": True}}])
    assert merged["environment"]["browser"] == "156.0.8078.108"
