"""One report module: what the pytest side writes, the Sphinx side reads back into the same classes."""

import json

import pytest

from guidecheck.report import SCHEMA, BlockEntry, Report, ReportError, load


def test_a_written_report_reads_back_entry_for_entry(tmp_path):
    report = Report(environment={"docker": None, "postgres": "17.6", "meshhook": None, "strict": True})
    ran = BlockEntry(page="source/a.md", line=3, language="console", action="run", checks=[], tier="hermetic",
                     via="AWS API emulator (moto)")
    skipped = BlockEntry(page="source/a.md", line=9, language="yaml", action="check", checks=["yaml parser"],
                         tier="hermetic")
    report.record(ran, "passed", None, 1.23456)
    report.record(skipped, "skipped", "needs a Docker engine", 0.0)
    path = tmp_path / "report.json"
    report.write(path)
    data = json.loads(path.read_text())
    assert data["schema"] == SCHEMA and data["blocks"][0]["via"] == "AWS API emulator (moto)"
    back = load(path)
    assert back.entries == [ran, skipped] and back.get("source/a.md", 3).seconds == 1.235
    assert back.get("source/a.md", 9).action == "skip"  # neither run nor validated
    assert back.environment == report.environment and back.digest and not back.duplicates


@pytest.mark.parametrize("change, words", [
    ({"outcome": "maybe"}, "'outcome' must be one of"),
    ({"line": 0}, "'line' must be a positive integer"),
    ({"outcome": "skipped", "reason": None}, "a skipped block needs a reason"),
    ({"via": 3}, "'via' must be text or null"),
    ({"seconds": "fast"}, "'seconds' must be a number"),
])
def test_an_entry_that_breaks_the_schema_is_refused_with_its_index(tmp_path, change, words):
    entry = {"page": "source/a.md", "line": 3, "language": "console", "action": "run", "checks": [],
             "tier": "hermetic", "outcome": "passed", "reason": None, "seconds": 1, **change}
    path = tmp_path / "report.json"
    path.write_text(json.dumps({"schema": SCHEMA, "environment": {}, "blocks": [entry]}))
    with pytest.raises(ReportError, match=r"blocks\[0\]"):
        load(path)
    with pytest.raises(ReportError, match=words):
        load(path)


def test_newer_fields_are_ignored_and_duplicates_noticed(tmp_path):
    entry = {"page": "source/a.md", "line": 3, "action": "run", "outcome": "passed", "added_later": 1}
    path = tmp_path / "report.json"
    path.write_text(json.dumps({"schema": SCHEMA, "blocks": [entry, entry]}))
    report = load(path)
    assert report.duplicates == [("source/a.md", 3)] and report.get("source/a.md", 3).via is None
    assert load(tmp_path / "absent.json") is None
