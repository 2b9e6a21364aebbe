"""Every matching rule of console and psql transcripts, and the update-mode rewrite."""

import pytest

from guidecheck.transcript import (CONSOLE_CONTINUATION, CONSOLE_PROMPT, matches, parse, terminal_lines,
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
