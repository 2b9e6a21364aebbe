"""The lexer sees every fence; the classifier refuses what it cannot classify, naming page:line."""

import pytest

from guidecheck.blocks import Block, BlockError, page_blocks
from guidecheck.fences import find_fences


def blocks(text: str) -> list:
    return page_blocks(text, "source/p.md")


def only_error(text: str) -> BlockError:
    found = blocks(text)
    errors = [b for b in found if isinstance(b, BlockError)]
    assert len(errors) == 1, found
    return errors[0]


def test_plain_and_directive_fences_with_options():
    text = "# T\n\n```bash\necho a\n```\n\n```{code-block} console\n:timeout: 5m\n:exit: 2\n\n$ false\n```\n"
    first, second = blocks(text)
    assert (first.line, first.language, first.body) == (3, "bash", "echo a\n")
    assert (second.line, second.options.timeout, second.options.exit) == (7, 300.0, 2)
    assert second.body == "$ false\n" and second.body_line == 11


def test_extra_words_in_info_string_are_refused():
    """Sybil matches whole info strings, so ```bash title=x would silently vanish; we refuse it."""
    error = only_error("text\n\n```bash title=x\necho\n```\n")
    assert str(error).startswith("source/p.md:3:") and "unexpected words" in str(error)


@pytest.mark.parametrize("info, message", [
    ("", "without a language"),
    ("cobol", "unknown language 'cobol'"),
    ("{literalinclude} x.py", "unknown directive {literalinclude}"),
    ("{code-block}", "without a language"),
])
def test_unclassifiable_fences_are_errors(info, message):
    error = only_error(f"intro\n```{info}\nbody\n```\n")
    assert error.line == 2 and message in error.message


def test_unknown_and_malformed_options_name_their_line():
    error = only_error("x\n\n```{code-block} bash\n:timeout: 5s\n:colour: red\n\necho\n```\n")
    assert error.line == 5 and "unknown option :colour:" in error.message
    error = only_error("```{code-block} bash\n:timeout: soon\n\necho\n```\n")
    assert error.line == 2 and "expected a duration" in error.message
    error = only_error("```{code-block} console\n:exit: 300\n\n$ true\n```\n")
    assert "exit status 0-255" in error.message


def test_a_skip_needs_a_reason():
    error = only_error("```{code-block} text\n:skip:\n\nhello\n```\n")
    assert "reason" in error.message


def test_file_languages_need_a_file_or_a_reason():
    error = only_error("```yaml\na: 1\n```\n")
    assert "must name the file" in error.message
    (block,) = blocks("```{code-block} yaml\n:caption: deploy/compose.yaml\n\na: 1\n```\n")
    assert block.options.file_path == "deploy/compose.yaml" and block.action == "check"
    (block,) = blocks("```{code-block} yaml\n:caption: An example\n:skip: illustration\n\na: 1\n```\n")
    assert block.options.file_path is None and block.action == "skip"


def test_fences_nested_in_admonitions_and_tabs_are_found():
    text = ("````{note}\nSee:\n```console\n$ true\n```\n````\n\n"
            "`````{tab-set}\n````{tab-item} Linux\n```bash\ntrue\n```\n````\n`````\n")
    found = blocks(text)
    assert [(b.line, b.language) for b in found] == [(3, "console"), (10, "bash")]


def test_tilde_fences_indented_fences_and_front_matter():
    text = "---\ntitle: x\n---\n\n1. Step\n\n   ~~~bash\n   echo hi\n   ~~~\n"
    (block,) = blocks(text)
    assert block.line == 7 and block.body == "echo hi\n"


def test_unclosed_fence_is_an_error():
    assert "never closed" in only_error("```bash\necho\n").message


def test_duplicate_option_is_an_error():
    assert "twice" in only_error("```{code-block} bash\n:timeout: 1s\n:timeout: 2s\n\ntrue\n```\n").message


def test_inconsistent_options_are_errors():
    assert ":mode: applies only" in only_error("```{code-block} bash\n:mode: 600\n\ntrue\n```\n").message
    assert "console transcript must start" in only_error("```console\necho hi\n```\n").message
    assert "cannot be skipped" in only_error(
        "```{code-block} bash\n:hidden:\n:skip: no\n\ntrue\n```\n").message


def test_tier_inference():
    docker, sql, plain = (b for b in blocks(
        "```console\n$ docker compose up -d\n```\n\n```sql\nselect 1;\n```\n\n```bash\necho docker\n```\n"))
    assert (docker.tier, sql.tier, plain.tier) == ("docker", "postgres", "hermetic")
    assert isinstance(docker, Block)
    (named,) = blocks("```{code-block} console\n:tier: meshhook\n\n$ docker build .\n```\n")
    assert (named.tier, named.needs) == ("meshhook", {"meshhook", "docker"})


def test_fence_offsets_cover_the_whole_block():
    text = "a\n```bash\necho\n```\nb\n"
    (fence,) = find_fences(text)
    assert text[fence.start:fence.end] == "```bash\necho\n```\n"


def test_page_settings_in_front_matter_are_checked():
    (error, block) = blocks("---\nguide:\n  files-form: [a.md]\n---\n\n```bash\ntrue\n```\n")
    assert isinstance(error, BlockError) and error.line == 1 and "unknown page setting" in error.message
    assert isinstance(block, Block)


def test_file_blocks_without_a_parser_must_say_how_they_are_validated():
    error = only_error("```{code-block} caddyfile\n:caption: Caddyfile\n\n:80\n```\n")
    assert "no parser for caddyfile" in error.message
    (block,) = blocks("```{code-block} caddyfile\n:caption: Caddyfile\n:check: caddy validate\n\n:80\n```\n")
    assert block.action == "check"


def test_script_and_sql_blocks_that_name_a_file_are_files_not_runs():
    sql, script = blocks("```{code-block} sql\n:caption: db/harden.sql\n\nselect 1;\n```\n\n"
                         "```{code-block} bash\n:caption: smoke.sh\n\necho hi\n```\n")
    assert (sql.kind, sql.action, sql.needs) == ("file", "check", {"hermetic"})
    assert (script.kind, script.action) == ("file", "check")


def test_file_paths_stay_plain_and_inside_the_readers_directory():
    for caption in ("../escape.yaml", "a/../../b.yaml", "./compose.yaml", "/etc/passwd"):
        error = only_error(f"```{{code-block}} yaml\n:caption: {caption}\n\na: 1\n```\n")
        assert "must be the file's path relative to the reader's directory" in error.message, caption
