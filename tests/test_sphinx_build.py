"""The Sphinx build of the guide: block marks, summaries, and refusing what the tests cannot run.

Each test runs ``sphinx-build -W`` in a subprocess with the repository's conf.py, as the docs job does.
"""

from __future__ import annotations

import functools
import json
import math
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

for module in ("sphinx", "myst_parser", "furo", "sphinx_copybutton", "sphinx_design", "bs4"):
    pytest.importorskip(module, reason=f"the docs build needs {module} (pip install '.[docs]')")

from bs4 import BeautifulSoup  # noqa: E402

from guidecheck.blocks import Block, page_blocks  # noqa: E402
from guidecheck.sphinx.status import duration, tool_name  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent  # conf.py is here
SITE = ROOT  # pages are named relative to this directory
SOURCE = SITE / "source"

needs_dot = pytest.mark.skipif(shutil.which("dot") is None,
                               reason="the guide's diagrams need Graphviz's dot (apt-get install graphviz)")


def sphinx_build(srcdir: Path, outdir: Path, root: Path, report: Path | str | None,
                 ) -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", "sphinx", "-W", "--keep-going", "-n", "--no-color", "-b", "html",
               "-c", str(ROOT), "-d", str(outdir.parent / (outdir.name + ".doctrees")),
               "-D", f"guidecheck_root={root}",
               "-D", f"guidecheck_report={report or 'no-such-dir/report.json'}",
               str(srcdir), str(outdir)]
    return subprocess.run(command, capture_output=True, text=True, cwd=ROOT, timeout=600)


def built(result: subprocess.CompletedProcess) -> None:
    assert result.returncode == 0, f"sphinx-build failed:\n{result.stdout[-3000:]}\n{result.stderr}"


def all_blocks(srcdir: Path, root: Path) -> list[Block]:
    blocks = []
    for path in sorted(srcdir.rglob("*.md")):
        page = path.relative_to(root).as_posix()
        for item in page_blocks(path.read_text(encoding="utf-8"), page):
            assert isinstance(item, Block), f"the engine refuses a block: {item}"
            blocks.append(item)
    return blocks


def fixture_report(blocks: list[Block]) -> dict:
    """A report as a run would write it: every outcome appears, and one entry is out of date."""
    entries = []
    for block in blocks:
        entry = {"page": block.page, "line": block.line, "language": block.language,
                 "action": block.action, "checks": [], "tier": block.tier, "outcome": "passed",
                 "reason": None, "seconds": 0.5}
        if block.action == "skip":
            entry.update(outcome="skipped", reason=block.options.skip)
        elif block.action == "check":
            entry["checks"] = [f"{block.language} parser"]
        entries.append(entry)
    visible_runs = [entry for entry, block in zip(entries, blocks, strict=True)
                    if entry["action"] == "run" and not block.options.hidden]
    assert len(visible_runs) >= 4, "the fixture report needs a few runnable blocks to vary"
    visible_runs[0]["outcome"] = "failed"
    visible_runs[1].update(outcome="skipped", reason="needs a Docker engine")
    visible_runs[2]["line"] += 1000  # the page changed since this run: no block there any more
    # A long wait on the secrets page, for its time to follow.
    secrets = [entry for entry, block in zip(entries, blocks, strict=True)
               if block.page == "source/secrets.md" and entry["outcome"] == "passed" and not block.options.hidden]
    if secrets:
        secrets[0]["seconds"] = 95.0
    return {"schema": 1, "started": "2026-11-26T10:00:00Z", "finished": "2026-11-26T10:02:31Z",
            "environment": {"docker": "26.1.5", "postgres": "17.6", "meshhook": "11e288f5c0ffee",
                            "strict": True},
            "blocks": entries}


def expected_label(entry: dict | None, block: Block) -> str:
    if entry is None:
        return "not in the last verification run"
    if entry["outcome"] == "failed":
        return "failed"
    if entry["outcome"] == "skipped":
        # the reason a page gives itself is shown once, under the block
        return "not executed" if entry["reason"] == block.options.skip else f"not executed: {entry['reason']}"
    took = " in 1 min 35 s" if entry["seconds"] == 95 else " in 0.5 s"  # as the mark words it
    if entry["action"] == "check":
        return "validated by " + ", ".join(tool_name(check) for check in entry["checks"]) + took
    return "verified · ran" + took


def soup(path: Path) -> BeautifulSoup:
    """The parsed page (read-only for callers); a page rebuilt in place has a new mtime and is parsed again."""
    stat = path.stat()
    return _parsed(path, stat.st_mtime_ns, stat.st_size)


@functools.lru_cache(maxsize=32)
def _parsed(path: Path, mtime_ns: int, size: int) -> BeautifulSoup:
    # Parsing dominates the mark checks: every block of a page would otherwise parse the page again.
    return BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser")


def html_of(outdir: Path, srcdir: Path, page: str, root: Path) -> Path:
    relative = (root / page).relative_to(srcdir).with_suffix(".html")
    return outdir / relative


@pytest.fixture(scope="module")
def verified_site(tmp_path_factory):
    """The guide itself, built with a report covering all its blocks."""
    blocks = all_blocks(SOURCE, SITE)
    report = fixture_report(blocks)
    where = tmp_path_factory.mktemp("verified")
    report_path = where / "report.json"
    report_path.write_text(json.dumps(report), encoding="utf-8")
    outdir = where / "html"
    built(sphinx_build(SOURCE, outdir, SITE, report_path))
    return outdir, blocks, report


@needs_dot
def test_every_block_carries_its_mark(verified_site):
    outdir, blocks, report = verified_site
    index = {(e["page"], e["line"]): e for e in report["blocks"]}
    checked = 0
    for block in blocks:
        page = soup(html_of(outdir, SOURCE, block.page, SITE))
        found = page.select(f'div.guidecheck-block[data-guidecheck-page="{block.page}"]'
                            f'[data-guidecheck-line="{block.line}"]')
        if block.options.hidden:
            assert not found, f"{block.where} is hidden but rendered"
            continue
        assert len(found) == 1, f"{block.where} has {len(found)} marked renderings"
        badge = found[0].select_one(".guidecheck-mark .guidecheck-badge")
        assert badge is not None, f"{block.where} has no badge"
        assert badge.get_text() == expected_label(index.get((block.page, block.line)), block)
        if block.options.skip:
            note = found[0].select_one(".guidecheck-skip-note")
            assert note is not None and block.options.skip in note.get_text(), block.where
        checked += 1
    assert checked, "the guide has no visible code block to check"


@needs_dot
def test_stale_entry_is_not_in_the_last_run(verified_site):
    outdir, blocks, report = verified_site
    current = {(b.page, b.line) for b in blocks}
    stale = [e for e in report["blocks"] if (e["page"], e["line"]) not in current]
    assert len(stale) == 1
    original = next(b for b in blocks if (b.page, b.line + 1000) == (stale[0]["page"], stale[0]["line"]))
    page = soup(html_of(outdir, SOURCE, original.page, SITE))
    block = page.select_one(f'div.guidecheck-block[data-guidecheck-line="{original.line}"]')
    assert "guidecheck-missing" in block["class"]
    assert block.select_one(".guidecheck-badge").get_text() == "not in the last verification run"
    summary = soup(outdir / "verification.html").select_one(".guidecheck-stale").get_text()
    assert f"{stale[0]['page']}:{stale[0]['line']}" in summary


@needs_dot
def test_summary_totals_equal_the_report(verified_site):
    outdir, blocks, report = verified_site
    page = soup(outdir / "verification.html")
    table = page.select_one("table.guidecheck-summary-table")
    headers = [th.get_text(strip=True) for th in table.select("thead th")]
    total = [td.get_text(strip=True) for td in table.select("tbody tr")[-1].select("td")]
    totals = dict(zip(headers, total, strict=True))
    entries = report["blocks"]
    assert totals["Page"] == "Total"
    assert int(totals["Blocks"]) == len(blocks)
    assert int(totals["Ran"]) == sum(e["outcome"] == "passed" and e["action"] == "run" for e in entries)
    assert int(totals["Validated"]) == sum(e["outcome"] == "passed" and e["action"] == "check"
                                           for e in entries)
    assert int(totals["Skipped"]) == sum(e["outcome"] == "skipped" for e in entries)
    assert int(totals["Failed"]) == sum(e["outcome"] == "failed" for e in entries)
    assert sum(int(totals[h]) for h in ("Ran", "Validated", "Skipped", "Failed")) == len(entries)
    assert int(totals["Not in report"]) == 1
    assert f"The report lists {len(entries)} blocks." in page.get_text(" ")
    # every page's own row adds up to its report entries
    for row in table.select("tbody tr")[:-1]:
        cells = [td.get_text(strip=True) for td in row.select("td")]
        mine = [e for e in entries if e["page"] == row.select_one("td a")["title"]]
        assert sum(int(c) for c in cells[2:6]) == len(mine), cells
    listed = page.select_one("ul.guidecheck-skipped").get_text(" ")
    for entry in entries:
        if entry["outcome"] == "skipped":
            assert f"{entry['page']}:{entry['line']}" in listed and entry["reason"] in listed
    assert "Verified on 2026-11-26 with Docker 26.1.5, PostgreSQL 17.6, MeshHook 11e288f" in page.get_text()


@needs_dot
def test_summary_lists_pages_by_title_in_reading_order(verified_site):
    outdir, blocks, report = verified_site
    table = soup(outdir / "verification.html").select_one("table.guidecheck-summary-table")
    links = [row.select_one("td a") for row in table.select("tbody tr")[:-1]]
    # In the order the table of contents gives the pages, each under the title of its page.
    contents = [a["href"].split("#")[0] for a in soup(outdir / "index.html").select(
        ".sidebar-tree a.reference.internal") if "#" not in a["href"]]
    order = [a["href"].split("#")[0] for a in links]
    assert order == sorted(order, key=contents.index), (order, contents)
    for link in links:
        heading = soup(html_of(outdir, SOURCE, link["title"], SITE)).select_one("h1").get_text()
        assert link.get_text() == heading.rstrip("#¶ \n"), (link.get_text(), heading)


@needs_dot
def test_each_page_with_blocks_has_a_summary_line(verified_site):
    outdir, blocks, report = verified_site
    for page in sorted({b.page for b in blocks}):
        mine = [b for b in blocks if b.page == page]
        line = soup(html_of(outdir, SOURCE, page, SITE)).select(".guidecheck-page-line")
        assert len(line) == 1, page
        text = " ".join(line[0].get_text().split())
        assert text.startswith(f"{len(mine)} code block"), text
        assert "verified on 2026-11-26 with Docker 26.1.5, PostgreSQL 17.6, MeshHook 11e288f" in text


@needs_dot
def test_a_page_says_how_long_it_takes_to_follow_and_offers_its_script(verified_site):
    outdir, blocks, report = verified_site
    html = html_of(outdir, SOURCE, "source/secrets.md", SITE)
    line = soup(html).select_one(".guidecheck-page-time")
    text = " ".join(line.get_text().split())
    shown = [b for b in blocks if b.page == "source/secrets.md" and not b.options.hidden and not b.options.skip]
    index = {(e["page"], e["line"]): e for e in report["blocks"]}
    measured = [index[(b.page, b.line)] for b in shown if index[(b.page, b.line)]["outcome"] != "skipped"]
    waited = sum(entry["seconds"] for entry in measured)
    minutes = math.ceil((waited + 20 * len(shown)) / 60)  # 20 s to read and copy each block
    slow = next(b for b in shown if index[(b.page, b.line)]["seconds"] == 95)
    assert text.startswith(f"About {minutes} minutes to follow: {duration(waited)} waiting for commands in the last "
                           f"run, and about 20 s to read and copy each of {len(shown)} blocks; the longest waits: "
                           f"the {slow.language} block (line {slow.line}, 1 min 35 s).")
    link = line.select_one("a.guidecheck-script")
    assert link.get_text() == "Download this page as a script"
    from guidecheck.script import page_script
    assert (html.parent / link["href"]).read_text() == page_script(SITE, "source/secrets.md")
    # A page whose blocks the run did not measure makes no claim about time.
    for page in {b.page for b in blocks}:
        time_line = soup(html_of(outdir, SOURCE, page, SITE)).select_one(".guidecheck-page-time")
        assert time_line is None or "to follow" in time_line.get_text() or time_line.select_one("a")


@needs_dot
def test_file_blocks_link_their_exact_content(verified_site):
    outdir, blocks, report = verified_site
    files = [b for b in blocks if b.options.file_path and not b.options.hidden]
    if not files:
        pytest.skip("the guide has no file block yet")
    for block in files:
        html = html_of(outdir, SOURCE, block.page, SITE)
        rendered = soup(html).select_one(f'div.guidecheck-block[data-guidecheck-line="{block.line}"]')
        link = rendered.select_one("a.guidecheck-download")
        assert link is not None, f"{block.where} has no download link"
        target = (html.parent / link["href"]).resolve()
        assert target.name == Path(block.options.file_path).name
        assert target.read_text(encoding="utf-8") == block.body, block.where


@needs_dot
def test_without_a_report_the_build_says_unverified(tmp_path):
    outdir = tmp_path / "html"
    built(sphinx_build(SOURCE, outdir, SITE, None))
    summary = soup(outdir / "verification.html")
    assert "This build is unverified" in summary.select_one(".guidecheck-unverified").get_text()
    for html in outdir.rglob("*.html"):
        page = soup(html)
        assert not page.select(".guidecheck-badge"), f"{html} shows a status without a report"
        for line in page.select(".guidecheck-page-line"):
            assert "This build is unverified" in line.get_text()


# --- small sites written by the tests ---------------------------------------------------------------

def small_site(tmp_path: Path, pages: dict[str, str]) -> Path:
    source = tmp_path / "source"
    toctree = "\n".join(name.removesuffix(".md") for name in pages)
    pages = {"index.md": f"# Home\n\n```{{toctree}}\n{toctree}\n```\n", **pages}
    for name, text in pages.items():
        path = source / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
    return source


REFUSED = {
    "unknown option": ("""
        # Unknown option

        ```{code-block} console
        :frobnicate: yes

        $ true
        ```
        """, 4),
    "words after the language": ("""
        # Title attribute

        Some text.

        ```bash title=x
        echo hi
        ```
        """, 5),
    "bad option value": ("""
        # Bad value

        ```{code-block} bash
        :exit: lots

        echo hi
        ```
        """, 4),
    "indented code block": ("""
        # Indented

        Text before.

            echo "an indented code block is never run"
        """, 5),
    "file block without a path": ("""
        # Nameless file

        ```yaml
        key: value
        ```
        """, 3),
    "unknown language": ("""
        # Language

        ```rust
        fn main() {}
        ```
        """, 3),
}


@pytest.mark.parametrize("case", sorted(REFUSED))
def test_a_block_the_tests_cannot_run_fails_the_build(tmp_path, case):
    text, line = REFUSED[case]
    source = small_site(tmp_path, {"bad.md": text})
    result = sphinx_build(source, tmp_path / "html", tmp_path, None)
    assert result.returncode != 0, f"the build accepted a page with {case}"
    assert f"bad.md:{line}: WARNING" in result.stderr, result.stderr


def test_a_page_that_is_not_utf8_is_one_warning_naming_it_not_a_crash(tmp_path):
    source = small_site(tmp_path, {"bad.md": "# Bad\n\nplaceholder\n\n```console\n$ true\n```\n"})
    (source / "bad.md").write_bytes((source / "bad.md").read_bytes().replace(b"placeholder", b"caf\xe9"))
    result = sphinx_build(source, tmp_path / "html", tmp_path, None)
    assert result.returncode != 0 and "Traceback" not in result.stderr + result.stdout
    warnings = [line for line in result.stderr.splitlines() if "WARNING" in line]
    assert len(warnings) == 1 and warnings[0].endswith(
        "bad.md:3: WARNING: not valid UTF-8 at byte 10 (invalid continuation byte): save the page as UTF-8 "
        "[guidecheck.block]"), result.stderr


GOOD_PAGE = """
    # Every kind of block

    ```console
    $ echo hello
    hello
    ```

    ```{code-block} dotenv
    :caption: app.env
    :mode: 600

    KEY=value
    ```

    ```{code-block} caddyfile
    :caption: Caddyfile
    :check: caddy validate --config Caddyfile

    localhost {
        respond "hello"
    }
    ```

    ```{code-block} psql
    :unordered:

    => SELECT 1 AS one;
     one
    -----
       1
    (1 row)
    ```

    ```{code-block} bash
    :hidden:

    touch prepared
    ```

    ```{code-block} console
    :skip: illustration: needs a cloud account
    :timeout: 5m
    :retry: 30s

    $ cloud login
    ```

    ````{tab-set}
    ```{tab-item} One
    ~~~console
    $ echo in a tab
    in a tab
    ~~~
    ```
    ````

    ```{note}
    A note with a block:

    ~~~{code-block} console
    :tier: hermetic

    $ echo in a note
    in a note
    ~~~
    ```
    """


def build_good_page_with_report(tmp_path: Path):
    """The good page built against a fixture report: (source dir, its blocks, the report, its path)."""
    source = small_site(tmp_path, {"good.md": GOOD_PAGE})
    blocks = all_blocks(source, tmp_path)
    report = fixture_report(blocks)
    report_path = tmp_path / "report.json"
    report_path.write_text(json.dumps(report), encoding="utf-8")
    built(sphinx_build(source, tmp_path / "html", tmp_path, report_path))
    return source, blocks, report, report_path


def test_every_kind_of_block_builds_clean_and_is_marked(tmp_path):
    source, blocks, report, report_path = build_good_page_with_report(tmp_path)
    page = soup(tmp_path / "html" / "good.html")
    marked = page.select("div.guidecheck-block")
    assert len(marked) == len(blocks) - 1  # the hidden block is not rendered
    assert "touch prepared" not in page.get_text()
    assert not page.find(string=lambda s: ":mode:" in s or ":retry:" in s or ":tier:" in s)
    note = page.select_one(".guidecheck-skip-note").get_text()
    assert "illustration: needs a cloud account" in note


def test_a_changed_report_changes_the_marks_of_an_unchanged_site(tmp_path):
    source, blocks, report, report_path = build_good_page_with_report(tmp_path)
    first = [e for e in report["blocks"] if e["outcome"] == "failed"][0]
    first["outcome"] = "passed"
    report_path.write_text(json.dumps(report), encoding="utf-8")
    built(sphinx_build(source, tmp_path / "html", tmp_path, report_path))
    block = soup(tmp_path / "html" / "good.html").select_one(
        f'div.guidecheck-block[data-guidecheck-line="{first["line"]}"]')
    assert block.select_one(".guidecheck-badge").get_text() == "verified · ran in 0.5 s"


def test_an_unusable_report_fails_the_build(tmp_path):
    source = small_site(tmp_path, {"good.md": GOOD_PAGE})
    report_path = tmp_path / "report.json"
    report_path.write_text(json.dumps({"schema": 1, "blocks": [{"page": "x.md", "line": 0}]}))
    result = sphinx_build(source, tmp_path / "html", tmp_path, report_path)
    assert result.returncode != 0
    assert "unusable verification report" in result.stderr


VARIABLES = """
    meshhook:
      - name: DATABASE_URL
        read_by: [web, worker]
        phase: runtime
        required: true
        default: null
        secret: true
        purpose: Where the database is.
    deployment:
      - name: POSTGRES_PASSWORD
        used_by: [postgres]
        required: true
        default: null
        secret: true
        purpose: Password of the superuser.
    """


def test_variables_table_renders_the_data_file(tmp_path):
    page = "# Variables\n\n```{variables-table} variables.yaml\n```\n"
    source = small_site(tmp_path, {"config/vars.md": page})
    (source / "config" / "variables.yaml").write_text(textwrap.dedent(VARIABLES), encoding="utf-8")
    built(sphinx_build(source, tmp_path / "html", tmp_path, None))
    tables = soup(tmp_path / "html" / "config" / "vars.html").select("table.guidecheck-variables")
    rows = [[td.get_text(strip=True) for td in row.select("td")]
            for table in tables for row in table.select("tbody tr")]
    assert rows == [
        ["DATABASE_URL", "web, worker", "runtime", "yes", "—", "yes", "Where the database is."],
        ["POSTGRES_PASSWORD", "postgres", "yes", "—", "yes", "Password of the superuser."],
    ]


def test_a_malformed_variables_file_fails_the_build(tmp_path):
    source = small_site(tmp_path, {"vars.md": "# Variables\n\n```{variables-table} variables.yaml\n```\n"})
    broken = textwrap.dedent(VARIABLES).replace("phase: runtime", "phase: never")
    (source / "variables.yaml").write_text(broken, encoding="utf-8")
    result = sphinx_build(source, tmp_path / "html", tmp_path, None)
    assert result.returncode != 0
    assert "vars.md:3: WARNING: variables-table:" in result.stderr and "phase must be" in result.stderr


def test_badges_name_the_validating_tool_not_the_whole_command():
    wrapped = ('docker run --rm --volume "$PWD/Caddyfile:/etc/caddy/Caddyfile:ro" img:local '
               "caddy validate --config /etc/caddy/Caddyfile --adapter caddyfile")
    assert tool_name(wrapped) == "caddy validate"
    assert tool_name("docker compose --file compose.yaml config --quiet") == "docker compose config"
    assert tool_name("yaml parser") == "yaml parser"
    assert tool_name("grep -q 'port: 8080' config/app.yaml and more words") == "grep -q …"


def test_transcript_wildcards_read_as_readers_expect():
    from guidecheck.sphinx.lexers import reader_line as _reader_line

    assert _reader_line("built at [..]") == "built at …"
    assert _reader_line(r"\d{4}-\d{2}-\d{2} (re)") == r"\d{4}-\d{2}-\d{2}"
    assert _reader_line("...") == "..."
    assert _reader_line("plain output") == "plain output"


RECORDED_PAGE = """
    # Load test

    ```{code-block} console
    :record:

    $ bench --requests 100
    requests/s: [..]
    ```

    ```{code-block} bash
    :record:

    echo "failover took 3 s"
    ```
    """


def test_a_recorded_output_is_shown_under_its_block_with_date_and_machine(tmp_path):
    source = small_site(tmp_path, {"load.md": RECORDED_PAGE})
    transcript = "$ bench --requests 100\nrequests/s: 1234 <measured>"
    report = {"schema": 1, "started": "2026-11-26T10:00:00Z", "finished": "2026-11-26T10:02:31Z",
              "environment": {"docker": None, "postgres": None, "meshhook": None, "strict": False,
                              "machine": {"cpu": "Test CPU 3000", "cores": 2, "memory_gib": 7.8}}}
    report["blocks"] = [
        {"page": "source/load.md", "line": 3, "language": "console", "action": "run", "checks": [],
         "tier": "hermetic", "outcome": "passed", "reason": None, "seconds": 2.0, "output": transcript},
        {"page": "source/load.md", "line": 10, "language": "bash", "action": "run", "checks": [],
         "tier": "hermetic", "outcome": "passed", "reason": None, "seconds": 1.0},  # an older report: no output
    ]
    report_path = tmp_path / "report.json"
    report_path.write_text(json.dumps(report), encoding="utf-8")
    built(sphinx_build(source, tmp_path / "html", tmp_path, report_path))  # -W: no warning either way
    page = soup(tmp_path / "html" / "load.html")
    first, second = page.select("div.guidecheck-block")
    recorded = first.select_one(".guidecheck-recorded")
    assert recorded.select_one(".guidecheck-recorded-label").get_text() == \
        "Output of the last verified run (2026-11-26, Test CPU 3000 · 2 cores · 7.8 GiB)"
    assert recorded.select_one("pre").get_text().rstrip("\n") == transcript
    assert second.select_one(".guidecheck-recorded") is None
    assert page.get_text().count("Output of the last verified run") == 1
