"""Every code block of every page under source/ is a test (see guidecheck)."""

from pathlib import Path

from guidecheck.collect import guide_sybil

pytest_plugins = ["guidecheck.pytest_plugin"]

pytest_collect_file = guide_sybil(Path(__file__).parent).pytest()
