"""The docs build shows a screenshot from the last verification run, and says so plainly without one."""

from __future__ import annotations

import json
import struct
import zlib

import pytest

from test_sphinx_build import built, small_site, soup, sphinx_build

PAGE = """
    # The sign-in page

    ```{screenshot} https://localhost:18443/auth/login
    :expect: Sign In to MeshHook
    :viewport: 1024x700

    MeshHook's *sign-in* page.

    Without Supabase Auth it cannot sign anyone in.
    ```
    """


def _png(width: int, height: int) -> bytes:
    """A real (blank) PNG, as a run's picture would be."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    rows = b"".join(b"\0" + b"\xff" * 3 * width for _ in range(height))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


def _report(tmp_path, outcome: str = "passed", screenshot: str | None = "screenshots/shots/L3.png"):
    report = {"schema": 1, "started": "2026-11-29T10:00:00Z", "finished": "2026-11-29T10:02:00Z",
              "environment": {"browser": "156.0.8078.108", "strict": False},
              "blocks": [{"page": "source/shots.md", "line": 3, "language": "screenshot", "action": "run",
                          "checks": [], "tier": "browser", "outcome": outcome, "seconds": 2.5,
                          "reason": None if outcome == "passed" else "text not visible",
                          "screenshot": screenshot}]}
    path = tmp_path / "verify" / "report.json"
    path.parent.mkdir()
    path.write_text(json.dumps(report), encoding="utf-8")
    return path


def test_without_a_run_the_figure_says_the_picture_is_taken_by_a_verification_run(tmp_path):
    source = small_site(tmp_path, {"shots.md": PAGE})
    built(sphinx_build(source, tmp_path / "html", tmp_path, None))  # -W: clean without a picture
    figure = soup(tmp_path / "html" / "shots.html").select_one("figure.guidecheck-screenshot")
    assert figure.select_one("img") is None
    assert "sign-in page" in figure.select_one("figcaption").get_text()
    missing = figure.select_one(".guidecheck-shot-missing").get_text()
    assert "taken by the guide's verification run" in missing and "https://localhost:18443/auth/login" in missing
    assert "1024×700" in missing


def test_the_build_embeds_the_picture_of_the_last_run_with_its_mark(tmp_path):
    source = small_site(tmp_path, {"shots.md": PAGE})
    report = _report(tmp_path)
    (report.parent / "screenshots" / "shots").mkdir(parents=True)
    (report.parent / "screenshots" / "shots" / "L3.png").write_bytes(_png(1024, 700))
    built(sphinx_build(source, tmp_path / "html", tmp_path, report))
    page = soup(tmp_path / "html" / "shots.html")
    block = page.select_one('div.guidecheck-block[data-guidecheck-line="3"]')
    image = block.select_one("figure.guidecheck-screenshot img")
    assert image["alt"] == "MeshHook’s sign-in page."  # the caption, as readers read it
    assert (tmp_path / "html" / image["src"]).read_bytes() == _png(1024, 700)
    credit = block.select_one(".guidecheck-shot-credit").get_text()
    assert "2026-11-29" in credit and "Chromium 156.0.8078.108" in credit and "1024×700" in credit
    assert "cannot sign anyone in" in block.get_text()  # the caption's second paragraph, under it
    assert block.select_one(".guidecheck-badge").get_text().startswith("verified · ran")


@pytest.mark.parametrize("outcome, screenshot", [("failed", None), ("passed", "screenshots/shots/L9.png")])
def test_a_failed_run_or_a_missing_file_shows_no_stale_picture(tmp_path, outcome, screenshot):
    source = small_site(tmp_path, {"shots.md": PAGE})
    report = _report(tmp_path, outcome, screenshot)
    (report.parent / "screenshots" / "shots").mkdir(parents=True)
    (report.parent / "screenshots" / "shots" / "L3.png").write_bytes(_png(20, 20))  # an older run's
    built(sphinx_build(source, tmp_path / "html", tmp_path, report))
    figure = soup(tmp_path / "html" / "shots.html").select_one("figure.guidecheck-screenshot")
    assert figure.select_one("img") is None and figure.select_one(".guidecheck-shot-missing")


def test_a_malformed_declaration_fails_the_build_at_its_line(tmp_path):
    source = small_site(tmp_path, {"shots.md": PAGE.replace(":viewport: 1024x700", ":viewport: huge")})
    result = sphinx_build(source, tmp_path / "html", tmp_path, None)
    assert result.returncode != 0
    assert "shots.md:5" in result.stderr and "window size" in result.stderr


def test_alt_text_declared_on_the_page_describes_the_picture(tmp_path):
    alt = ":alt: An email field, a password field, two buttons"
    page = PAGE.replace(":viewport: 1024x700", f":viewport: 1024x700\n    {alt}")
    source = small_site(tmp_path, {"shots.md": page})
    report = _report(tmp_path)
    (report.parent / "screenshots" / "shots").mkdir(parents=True)
    (report.parent / "screenshots" / "shots" / "L3.png").write_bytes(_png(1024, 700))
    built(sphinx_build(source, tmp_path / "html", tmp_path, report))
    image = soup(tmp_path / "html" / "shots.html").select_one("figure.guidecheck-screenshot img")
    assert image["alt"] == "An email field, a password field, two buttons"
