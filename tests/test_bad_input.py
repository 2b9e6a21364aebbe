"""Every malformed construct a page can contain is a one-line error naming page:line, never a traceback."""

import pytest

from guidecheck.blocks import BlockError, page_blocks

F = "```"


def directive(language: str, *options: str, body: str = "$ true") -> str:
    return "\n".join([f"# Title\n\n{F}{{code-block}} {language}", *options, body, F, ""])


# (name, page text, line of the error, words the error must contain)
CLASSIFICATION = [
    ("unclosed-fence", f"# Title\n\n{F}console\n$ true\n", 3, "never closed"),
    ("unclosed-tilde-fence", "# Title\n\n~~~console\n$ true\n", 3, "never closed"),
    ("unknown-option", directive("console", ":bogus: 1"), 4, "unknown option :bogus:"),
    ("bad-timeout", directive("console", ":timeout: soon"), 4, ":timeout: expected a duration"),
    ("zero-timeout", directive("console", ":timeout: 0"), 4, "must be positive"),
    ("bad-retry", directive("console", ":retry: -"), 4, ":retry: expected a duration"),
    ("exit-out-of-range", directive("console", ":exit: 300"), 4, ":exit: expected an exit status"),
    ("exit-not-a-number", directive("console", ":exit: one"), 4, ":exit: expected an exit status"),
    ("option-twice", directive("console", ":exit: 1", ":exit: 2"), 3, "given twice"),
    ("unknown-tier", directive("console", ":tier: moon"), 4, "unknown tier 'moon'"),
    ("skip-without-reason", directive("console", ":skip:"), 4, "needs a reason"),
    ("flag-with-value", directive("console", ":hidden: yes"), 4, "takes no value"),
    ("hidden-and-skipped", directive("console", ":hidden:", ":skip: why"), 3, "hidden block cannot be skipped"),
    ("unknown-language", f"# Title\n\n{F}cobol\nDISPLAY 'X'.\n{F}\n", 3, "unknown language 'cobol'"),
    ("no-language", f"# Title\n\n{F}\nplain\n{F}\n", 3, "without a language"),
    ("directive-without-language", directive(""), 3, "without a language"),
    ("extra-info-words", f"# Title\n\n{F}console title=x\n$ true\n{F}\n", 3, "unexpected words"),
    ("unknown-directive", f"# Title\n\n{F}{{frobnicate}}\nx\n{F}\n", 3, "unknown directive"),
    ("text-before-first-prompt", f"# Title\n\n{F}console\nhello\n$ true\n{F}\n", 3, "must start with a '$ '"),
    ("psql-without-prompt", f"# Title\n\n{F}psql\nselect 1;\n{F}\n", 3, "must start with a '=> '"),
    ("file-without-caption", f"# Title\n\n{F}yaml\na: 1\n{F}\n", 3, "must name the file"),
    ("file-caption-with-dotdot", directive("yaml", ":caption: ../a.yaml", body="a: 1"), 3, "'../a.yaml'"),
    ("file-caption-absolute", directive("yaml", ":caption: /etc/a.yaml", body="a: 1"), 3, "'/etc/a.yaml'"),
    ("file-without-parser-or-check", directive("nginx", ":caption: a.conf", body="server {}"), 3,
     "no parser for nginx"),
    ("bad-file-mode", directive("yaml", ":caption: a.yaml", ":mode: 999", body="a: 1"), 5, "octal file mode"),
    ("mode-on-a-console-block", directive("console", ":mode: 600"), 3, ":mode: applies only to file"),
    ("check-on-a-console-block", directive("console", ":check: true"), 3, ":check: applies only to file"),
    ("bad-image-tag", directive("dockerfile", ":caption: Dockerfile", ":image: UPPER", body="FROM x"), 5,
     "image tag"),
    ("image-on-yaml", directive("yaml", ":caption: a.yaml", ":image: a/b:1", body="a: 1"), 3,
     ":image: applies only to Dockerfile"),
    ("unordered-on-console", directive("console", ":unordered:"), 3, "only to psql"),
    ("record-with-value", directive("console", ":record: yes"), 4, ":record: this option takes no value"),
    ("record-and-hidden", directive("console", ":record:", ":hidden:"), 3, "hidden or skipped block has none"),
    ("record-and-skipped", directive("console", ":record:", ":skip: why"), 3, "hidden or skipped block has none"),
    ("record-on-sql", directive("sql", ":record:", body="select 1;"), 3,
     ":record: applies only to console transcripts and scripts"),
    ("record-on-a-file", directive("yaml", ":caption: a.yaml", ":record:", body="a: 1"), 3,
     ":record: applies only to console"),
    ("front-matter-not-closed", "---\nguide:\n  files-from: []\n# Title\n", 1, "not closed"),
    ("front-matter-not-yaml", "---\nguide: [\n---\n# Title\n", 1, "not valid YAML: line 1"),
    ("front-matter-a-list", "---\n- a\n---\n# Title\n", 1, "must be a mapping"),
    ("front-matter-a-word", "---\nhello\n---\n# Title\n", 1, "must be a mapping"),
    ("front-matter-unknown-setting", "---\nguide:\n  foo: 1\n---\n# Title\n", 1, "unknown page setting"),
    ("front-matter-files-from-a-string", "---\nguide:\n  files-from: x.md\n---\n# Title\n", 1,
     "must be a list"),
]


@pytest.mark.parametrize("name, text, line, words", CLASSIFICATION, ids=[case[0] for case in CLASSIFICATION])
def test_a_malformed_construct_is_one_line_naming_page_and_line(name, text, line, words):
    page = f"source/{name}.md"
    errors = [found for found in page_blocks(text, page) if isinstance(found, BlockError)]
    assert len(errors) == 1, errors
    message = str(errors[0])
    assert message.startswith(f"{page}:{line}: ") and words in message
    assert "\n" not in message


# Found only when the block runs: still one line naming page:line, and no later block runs.
AT_RUN_TIME = [
    ("invalid-yaml", directive("yaml", ":caption: a.yaml", body="a: [1\nb: 2"), "a.yaml is not valid yaml"),
    ("invalid-json", directive("json", ":caption: a.json", body='{"a": }'), "a.json is not valid json"),
    ("invalid-toml", directive("toml", ":caption: a.toml", body="a = "), "a.toml is not valid toml"),
]


def test_every_bad_page_fails_at_its_line_without_a_traceback(run_pages):
    pages = {f"{name}.md": text for name, text, *_ in CLASSIFICATION + AT_RUN_TIME}
    pages["not-utf8.md"] = b"# Title\n\nCaf\xe9 au lait.\n"
    run = run_pages(pages)
    assert run.status == 1
    assert "Traceback" not in run.output and "INTERNALERROR" not in run.output
    for name, _, line, words in CLASSIFICATION:
        entry = run.outcome(f"source/{name}.md", line)
        assert entry["outcome"] == "failed" and words in entry["reason"], entry
    for name, _, words in AT_RUN_TIME:
        entry = run.outcome(f"source/{name}.md", 3)
        assert entry["outcome"] == "failed" and entry["reason"].startswith(f"source/{name}.md:3: ")
        assert words in entry["reason"], entry
    entry = run.outcome("source/not-utf8.md", 3)
    assert entry["outcome"] == "failed"
    assert entry["reason"] == "source/not-utf8.md:3: not valid UTF-8 at byte 12 (invalid continuation byte): " \
                              "save the page as UTF-8"
