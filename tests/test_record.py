"""``:record:``: a block's real output in the run reaches the report, redacted and capped."""

from __future__ import annotations

import pytest

from guidecheck import record

PAGE = """
    # Recorded

    ```{code-block} console
    :record:

    $ printf 'requests/s: %s\\n' 1234
    requests/s: [..]
    $ echo second \\
    > line
    second line
    ```

    ```{code-block} bash
    :record:

    for n in 1 2 3; do echo "step $n"; done
    ```

    ```console
    $ echo not recorded
    not recorded
    ```
    """


@pytest.mark.parametrize("workers", [(), ("-n", "1")], ids=["one-process", "xdist-worker"])
def test_the_engine_records_what_the_block_printed(run_pages, workers):
    run = run_pages({"recorded.md": PAGE}, *workers)  # a worker's output must reach the controller's report
    assert run.status == 0, run.output
    console = run.outcome("source/recorded.md", 3)
    assert console["output"] == "$ printf 'requests/s: %s\\n' 1234\nrequests/s: 1234\n$ echo second \\\n" \
                                "> line\nsecond line"
    assert run.outcome("source/recorded.md", 13)["output"] == "step 1\nstep 2\nstep 3"
    assert run.outcome("source/recorded.md", 19)["output"] is None
    machine = run.report["environment"]["machine"]
    assert machine["cores"] >= 1 and machine["cpu"] and machine["memory_gib"] > 0


def test_a_failed_block_records_nothing(run_pages):
    page = "# Failing\n\n```{code-block} console\n:record:\n\n$ echo measured\nsomething else\n```\n"
    run = run_pages({"failing.md": page})
    assert run.status == 1
    entry = run.outcome("source/failing.md", 3)
    assert entry["outcome"] == "failed" and entry["output"] is None


def test_a_secret_in_the_recorded_output_is_masked(run_pages):
    page = """
        # Secret

        ```{code-block} bash
        :hidden:

        export API_TOKEN=s3cr3t-value-123
        ```

        ```{code-block} console
        :record:

        $ echo "token is $API_TOKEN, url postgres://app:hunter22@db/app"
        token is [..]
        ```
        """
    run = run_pages({"secret.md": page})
    assert run.status == 0, run.output
    output = run.outcome("source/secret.md", 9)["output"]
    assert "s3cr3t-value-123" not in output and "hunter22" not in output
    assert "token is ****, url postgres://app:****@db/app" in output


def test_a_long_recorded_output_keeps_its_end_and_says_so(run_pages):
    page = "# Long\n\n```{code-block} python\n:record:\n\nfor n in range(5000):\n    print(f'line {n}')\n```\n"
    run = run_pages({"long.md": page})
    assert run.status == 0, run.output
    lines = run.outcome("source/long.md", 3)["output"].split("\n")
    assert lines[0] == f"[output shortened: the last {record.MAX_LINES} of 5000 lines]"
    assert lines[1:] == [f"line {n}" for n in range(5000 - record.MAX_LINES, 5000)]


def test_the_cap_holds_for_bytes_and_for_one_huge_line():
    wide = "\n".join("x" * 1000 for _ in range(100))
    kept = record.kept(wide, {})
    assert len(kept.encode()) <= record.MAX_BYTES + 100
    assert kept.startswith("[output shortened: the last 19 of 100 lines]\n")
    huge = record.kept("y" * 50_000 + "END", {})
    assert huge.startswith("[output shortened: the end of one long line]\n") and huge.endswith("yEND")
    assert record.kept("short\n", {}) == "short"


def test_words_for_a_machine_and_for_a_report_without_one():
    assert record.machine_words({"cpu": "Some CPU", "cores": 2, "memory_gib": 7.8}) == \
        "Some CPU · 2 cores · 7.8 GiB"
    assert record.machine_words(None) == "an unrecorded machine"


def test_merged_shards_name_every_machine_their_outputs_came_from():
    from guidecheck import merge

    base = {"schema": 1, "started": "a", "finished": "b", "blocks": []}
    one, two = {"cpu": "CPU A", "cores": 2, "memory_gib": 8.0}, {"cpu": "CPU B", "cores": 4, "memory_gib": 16.0}
    same = merge.merge([{**base, "environment": {"machine": one}}, {**base, "environment": {"machine": one}}])
    assert same["environment"]["machine"] == one
    mixed = merge.merge([{**base, "environment": {"machine": one}}, {**base, "environment": {"machine": two}}])
    assert record.machine_words(mixed["environment"]["machine"]) == \
        "one of: CPU A · 2 cores · 8.0 GiB; CPU B · 4 cores · 16.0 GiB"
