"""Every matching rule of console and psql transcripts, and the update-mode rewrite."""

import pytest

from guidecheck.transcript import (CONSOLE_CONTINUATION, CONSOLE_PROMPT, diff, matches, parse, terminal_lines,
                                   updated)


def test_parse_commands_continuations_and_output():
    body = "$ docker run \\\n>   --rm img\nline one\n\n$ true\n\n"
    first, second = parse(body, 10, CONSOLE_PROMPT, CONSOLE_CONTINUATION)
    assert first.text == "docker run \\\n  --rm img" and first.line == 10
    assert first.expected == ["line one"] and (first.expected_from, first.expected_to) == (2, 3)
    assert second.text == "true" and second.line == 14 and second.expected == []


@pytest.mark.parametrize("expected, actual, ok", [
    (["a", "b"], ["a", "b"], True),
    (["a", "b"], ["a", "c"], False),
    (["a"], ["a", "b"], False),  # extra output is a mismatch
    ([], ["noise"], False),  # no expected output means none
    (["a", "...", "z"], ["a", "z"], True),  # ... matches zero lines
    (["a", "...", "z"], ["a", "1", "2", "z"], True),
    (["...", "z"], ["a", "b"], False),
    (["id: [..]"], ["id: 42"], True),
    (["id: [..] ok"], ["id: 42 fail"], False),
    (["[..] (x)"], ["anything (x)"], True),  # brackets stay literal outside [..]
    ([r"\d+ rows (re)"], ["12 rows"], True),
    ([r"\d+ rows (re)"], ["twelve rows"], False),
    (["trailing   "], ["trailing"], True),  # trailing spaces are not content
    (["...", "b", "..."], ["a", "b", "c"], True),
])
def test_matching_rules(expected, actual, ok):
    assert matches(expected, actual) is ok


def test_terminal_lines_show_what_a_terminal_shows():
    assert terminal_lines("a\r\nprogress 10%\rprogress 100%\n\x1b[31mred\x1b[0m\n\n\n") == [
        "a", "progress 100%", "red"]


def test_update_keeps_wildcards_that_still_match():
    assert updated(["Started [..]", "...", "done"], ["Started at 5", "x", "y", "finished"]) == [
        "Started [..]", "...", "finished"]
    assert updated(["a", "b"], ["a", "c"]) == ["a", "c"]
    assert updated(["same [..]"], ["same thing"]) == ["same [..]"]


def _timed(function, *args):
    import time
    started = time.perf_counter()
    result = function(*args)
    return result, time.perf_counter() - started


def test_a_long_output_against_an_ellipsis_is_a_diff_not_a_crash():
    # `$ seq 1 5000` written as "1 / ... / 4999": the last line differs, and the diff says so.
    actual = [str(number) for number in range(1, 5001)]
    assert not matches(["1", "...", "4999"], actual)
    assert matches(["1", "...", "5000"], actual)
    text = diff(["1", "...", "4999"], actual, "page.md:3")
    assert text.startswith("--- expected (page.md:3)\n+++ actual\n@@ -1,3 +1,5000 @@\n 1\n-...\n+2")
    assert "lines of diff not shown" in text and len(text.splitlines()) < 300
    assert text.endswith("+5000")  # the end of a long output, where a failing command says why


@pytest.mark.parametrize("expected", [
    [f"line {n}" for n in range(100_000)],  # every line literal
    ["line 0", "...", "line 99999"],
    ["...", "line [..]", "..."],
])
def test_a_100000_line_output_matches_well_under_a_second(expected):
    actual = [f"line {n}" for n in range(100_000)]
    result, seconds = _timed(matches, expected, actual)
    assert result and seconds < 0.8


def test_a_100000_line_output_diffs_well_under_a_second():
    expected = [f"line {n}" for n in range(100_000)]
    actual = list(expected)
    actual[50_000] = "changed"
    assert not matches(expected, actual)
    text, seconds = _timed(diff, expected, actual, "p.md:1")
    assert seconds < 0.8
    assert "-line 50000\n+changed" in text and len(text.splitlines()) == 11
    # All-equal lines are the worst case for difflib's alignment; the common head makes it trivial.
    text, seconds = _timed(diff, ["y"] * 99_999, ["y"] * 100_000, "p.md:1")
    assert seconds < 0.8 and text.endswith("\n+y")
    # Nothing in common: one bounded hunk, no quadratic alignment.
    text, seconds = _timed(diff, expected, [f"other {n}" for n in range(100_000)], "p.md:1")
    assert seconds < 0.8 and len(text.splitlines()) < 300


def test_update_of_a_very_long_output_is_the_literal_output():
    # Aligning 3,000 lines with 3,000 would need millions of cells: the output is taken as it is.
    actual = [f"line {n}" for n in range(3_000)]
    assert updated([f"old {n}" for n in range(3_000)], actual) == actual
