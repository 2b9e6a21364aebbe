"""The engine end to end over throwaway pages: report, failures that explain themselves, update mode."""

import textwrap
from pathlib import Path

import pytest

PAGE = """
# Demo

```console
$ mkdir -p app && cd app && export GREETING=hello
$ echo "$GREETING from $(basename "$PWD")"
hello from app
```

```{code-block} yaml
:caption: config/app.yaml
:check: grep -q 'port: 8080' config/app.yaml

port: 8080
```

```{code-block} console
:exit: 3
$ printf 'one\\ntwo\\nthree\\n'; exit 3
one
...
```

```{code-block} text
:skip: illustration: what the browser shows
Welcome
```
"""


def test_every_block_is_reported_once_with_its_outcome(run_pages):
    run = run_pages({"demo.md": PAGE})
    assert run.status == 0, run.output
    lines = [(b["line"], b["action"], b["outcome"]) for b in run.report["blocks"]]
    assert lines == [(3, "run", "passed"), (9, "check", "passed"), (16, "run", "passed"),
                     (23, "skip", "skipped")]
    assert run.outcome("source/demo.md", 9)["checks"] == ["yaml parser", "grep -q 'port: 8080' config/app.yaml"]
    assert run.outcome("source/demo.md", 23)["reason"] == "illustration: what the browser shows"
    assert (run.root / "build" / "verify" / "report.json").exists()


def test_changed_expected_output_fails_at_its_line_with_a_diff(run_pages):
    run = run_pages({"demo.md": PAGE.replace("hello from app", "hello from web")})
    assert run.status == 1
    assert "source/demo.md:3: output of the command at line 5 differs from the page" in run.output
    assert "-hello from web\n+hello from app" in run.output
    assert run.outcome("source/demo.md", 3)["outcome"] == "failed"
    # A page is one terminal: what follows a failed step is not run, and says why.
    assert run.outcome("source/demo.md", 9)["reason"] == "not run: an earlier step failed at source/demo.md:3"


def test_changed_command_flag_fails_with_exit_status_and_output(run_pages):
    run = run_pages({"demo.md": PAGE.replace("mkdir -p app", "mkdir --bogus app")})
    assert run.status == 1
    assert "source/demo.md:3: command at line 4 exited 1, expected 0" in run.output
    assert "mkdir: unrecognized option '--bogus'" in run.output


def test_changed_config_key_fails_the_files_check(run_pages):
    run = run_pages({"demo.md": PAGE.replace("port: 8080\n```", "prot: 8080\n```")})
    assert run.status == 1
    assert "source/demo.md:9: the check of app.yaml exited 1" in run.output


def test_invalid_config_fails_its_parser(run_pages):
    run = run_pages({"demo.md": PAGE.replace("port: 8080\n```", "port: [8080\n```")})
    assert "source/demo.md:9: config/app.yaml is not valid yaml" in run.output


def test_unknown_option_and_extra_info_words_fail_naming_page_line(run_pages):
    run = run_pages({"bad.md": """
        # Bad

        ```bash title=x
        echo hi
        ```

        ```{code-block} bash
        :colour: red

        echo hi
        ```
        """})
    assert run.status == 1
    assert "source/bad.md:3: unexpected words after the language" in run.output
    assert "source/bad.md:8: unknown option :colour:" in run.output
    assert [b["outcome"] for b in run.report["blocks"]] == ["failed", "failed"]


def test_timeout_fails_and_names_the_limit(run_pages):
    run = run_pages({"slow.md": """
        ```{code-block} console
        :timeout: 1s
        $ sleep 30
        ```
        """})
    assert "source/slow.md:1: timed out after 1 s" in run.output


def test_retry_reruns_until_the_block_passes(run_pages):
    run = run_pages({"retry.md": """
        ```bash
        (sleep 2 && touch ready) > /dev/null 2>&1 &
        ```

        ```{code-block} console
        :retry: 20s
        $ test -f ready && echo up
        up
        ```
        """})
    assert run.status == 0, run.output


def test_tiers_skip_with_a_reason_and_fail_when_strict(run_pages):
    page = {"tiers.md": """
        ```{code-block} console
        :tier: cloud
        $ supabase projects list
        ```

        ```sql
        select 1;
        ```
        """}
    run = run_pages(page)
    assert run.status == 0, run.output
    assert run.outcome("source/tiers.md", 1)["reason"].startswith("needs a Supabase Cloud project")
    assert run.outcome("source/tiers.md", 6)["reason"].startswith("needs a PostgreSQL server")
    strict = run_pages(page, "--guide-strict")
    assert strict.status == 1
    assert "source/tiers.md:6: needs a PostgreSQL server" in strict.output and "strict run" in strict.output
    assert strict.outcome("source/tiers.md", 1)["outcome"] == "skipped"  # cloud is never expected here


def test_pages_do_not_share_state(run_pages):
    run = run_pages({
        "a.md": "```console\n$ export FROM_A=1 && touch a-was-here\n```\n",
        "b.md": "```console\n$ echo \"${FROM_A:-unset}\"; ls\nunset\n```\n",
    })
    assert run.status == 0, run.output


def test_secrets_do_not_reach_failure_output(run_pages):
    run = run_pages({"secret.md": """
        ```console
        $ export WEBHOOK_SECRET=s3cr3t-value-123 && echo "secret is $WEBHOOK_SECRET"
        secret is something-else
        ```
        """})
    assert run.status == 1
    assert "s3cr3t-value-123" not in run.output and "****" in run.output


def test_update_mode_rewrites_expected_output_and_is_idempotent(run_pages):
    page = textwrap.dedent("""
        # Update

        Some prose stays as it is.

        ```console
        $ printf 'Started at %s\\nline\\nchanged\\n' "$(date +%s)"
        Started at [..]
        line
        old
        $ echo second
        second
        ```
        """).lstrip()
    run = run_pages({"u.md": page}, "--guide-update")
    assert run.status == 0, run.output
    path = run.root / "source" / "u.md"
    rewritten = path.read_text()
    assert rewritten == page.replace("line\nold\n", "line\nchanged\n")
    again = run_pages({}, "--guide-update")
    assert again.status == 0 and path.read_bytes() == rewritten.encode()
    plain = run_pages({})
    assert plain.status == 0, plain.output


def test_files_from_an_earlier_page_are_in_the_workspace(run_pages):
    run = run_pages({
        "first.md": "```{code-block} dotenv\n:caption: conf/app.env\n:mode: 600\n\nPORT=8080\n```\n",
        "second.md": ("---\nguide:\n  files-from: [first.md]\n---\n\n"
                      "```console\n$ cat conf/app.env; stat -c %a conf/app.env\nPORT=8080\n600\n```\n"),
    })
    assert run.status == 0, run.output


def test_saved_scripts_and_sql_are_syntax_checked_by_real_parsers(run_pages):
    page = """
        ```{code-block} sql
        :caption: harden.sql

        alter table t enable row level security;
        selec 1;
        ```

        ```{code-block} bash
        :caption: smoke.sh

        if true; then echo missing fi
        ```
        """
    run = run_pages({"files.md": page})
    assert 'source/files.md:1: harden.sql is not valid sql: line 2: syntax error at or near "selec"' in run.output
    run = run_pages({"files.md": page.replace("selec 1", "select 1")})
    assert "source/files.md:8: smoke.sh is not valid bash: " in run.output
    fixed = run_pages({"files.md": page.replace("selec 1", "select 1").replace("missing fi", "ok; fi")})
    assert fixed.status == 0, fixed.output
    assert fixed.outcome("source/files.md", 1)["checks"] == ["PostgreSQL parser (pglast)"]


def _postgres_available() -> bool:
    from guidecheck.backends import docker, postgres

    return docker.engine_version() is not None or postgres.find_native_bindir() is not None


PSQL_PAGE = """
    ```sql
    create table items (id int primary key, name text);
    insert into items values (1, 'one'), (2, 'two');
    ```

    ```psql
    => select id,   name from items order by id;
    id|name
    --+-----
     1 | one
     2 | two
    (2 rows)
    => select count(*) from items where name = 'none';
     count
    -------
         0
    (1 row)
    ```

    ```{code-block} psql
    :unordered:

    => select name from items order by id desc;
     name
    ------
     one
     two
    (2 rows)
    ```
    """


def _image_page() -> str:
    """Only the guide's PostgreSQL Dockerfile block (the engine builds its server from it)."""
    from guidecheck.blocks import Block, page_blocks

    root = Path(__file__).resolve().parent.parent
    text = (root / "source/database/postgres-image.md").read_text()
    (recipe,) = [b for b in page_blocks(text, "image.md") if isinstance(b, Block) and b.options.image]
    return text[recipe.start:recipe.end]


@pytest.mark.skipif(not _postgres_available(), reason="needs a Docker engine or PostgreSQL binaries")
def test_sql_and_psql_transcripts_on_a_real_server(run_pages):
    run = run_pages({"db.md": PSQL_PAGE, "image.md": _image_page()}, "--guide-strict", backends=True)
    assert run.status == 0, run.output
    assert run.report["environment"]["postgres"]

    changed = run_pages({"db.md": PSQL_PAGE.replace(" 2 | two", " 2 | deux")}, backends=True)
    assert "source/db.md:6: result of the statement at line 7 differs from the page" in changed.output
    assert " 1 | one\n- 2 | deux\n+  2 | two\n" in changed.output  # aligned by content, shown as printed

    broken = run_pages({"db.md": PSQL_PAGE.replace("insert into items", "insert into itemz")}, backends=True)
    assert 'source/db.md:3: ERROR:  relation "itemz" does not exist' in broken.output
