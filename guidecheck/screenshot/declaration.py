"""The ``{screenshot}`` directive as a page writes it: what to open, at what size, what must show.

Its options are declared here once, with their converters: the engine reads a page's raw ``:name:
value`` lines through them, and Sphinx uses them as the directive's ``option_spec``, so a malformed
declaration fails the same way (at page:line) in the run and in the build.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from ..vocabulary import OPTIONS, Option, OptionError

DIRECTIVE = "screenshot"
DEFAULT_VIEWPORT = (1280, 800)
# Only this machine: a verification run never sends traffic elsewhere.
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
_VIEWPORT = re.compile(r"^\s*(\d{3,4})\s*x\s*(\d{3,4})\s*$")


def loopback_url(text: str | None) -> str:
    value = (text or "").strip()
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname or " " in value:
        raise OptionError(f"expected the page's address, such as https://localhost:18443/, got {text!r}")
    if parts.hostname not in LOOPBACK_HOSTS:
        raise OptionError(f"a screenshot is taken on this machine only (127.0.0.1 or localhost), got "
                          f"{parts.hostname!r}")
    return value


def viewport(text: str | None) -> tuple[int, int]:
    match = _VIEWPORT.match(text or "")
    width, height = (int(match.group(1)), int(match.group(2))) if match else (0, 0)
    if not (320 <= width <= 3840 and 240 <= height <= 2160):
        raise OptionError(f"expected a browser window size such as 1280x800 (320x240 to 3840x2160), "
                          f"got {text!r}")
    return width, height


def text(value: str | None) -> str:
    words = " ".join((value or "").split())
    if not words:
        raise OptionError("expected some text")
    return words


# The directive's own options, then those it shares with code blocks (same converters, same words).
OWN_OPTIONS: dict[str, Option] = {
    "expect": Option(text, "text that must be visible before the picture is taken (required)"),
    "viewport": Option(viewport, "the browser window, WIDTHxHEIGHT in CSS pixels (default 1280x800)"),
    "alt": Option(text, "what the picture shows, for readers who cannot see it (default: its caption)"),
}
SHARED_OPTIONS = ("tier", "timeout", "retry")
SCREENSHOT_OPTIONS: dict[str, Option] = {**OWN_OPTIONS, **{name: OPTIONS[name] for name in SHARED_OPTIONS}}


@dataclass(frozen=True)
class Shot:
    """One declared screenshot."""

    url: str
    expect: str
    viewport: tuple[int, int] = DEFAULT_VIEWPORT
    alt: str | None = None


def parse(argument: str, raw: dict[str, str | None]) -> tuple[Shot, dict[str, str | None]]:
    """The Shot, and the shared options left for the block's own parser; OptionError naming the option."""
    words = argument.split()
    if len(words) != 1:
        raise OptionError("a screenshot names one address after {screenshot}, such as "
                          "https://localhost:18443/")
    url = loopback_url(words[0])
    own: dict[str, object] = {}
    for name, value in raw.items():
        if name not in SCREENSHOT_OPTIONS:
            raise OptionError(f"unknown option :{name}: of a screenshot; known options: "
                              f"{', '.join(sorted(SCREENSHOT_OPTIONS))}")
        if name in OWN_OPTIONS:
            try:
                own[name] = OWN_OPTIONS[name].convert(value)
            except OptionError as error:
                raise OptionError(f":{name}: {error}") from None
    if "expect" not in own:
        raise OptionError("a screenshot needs :expect: text that must be visible on the page, so that "
                          "a picture of an error page cannot pass")
    shared = {name: value for name, value in raw.items() if name in SHARED_OPTIONS}
    return Shot(url=url, **own), shared


def sphinx_option_spec() -> dict[str, object]:
    return {name: option.convert for name, option in SCREENSHOT_OPTIONS.items()}
