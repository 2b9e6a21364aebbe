"""The one vocabulary of block options, shared by the Sphinx extension and the test engine.

Every option a page may put on a ``{code-block}`` is declared here once, with the converter that
validates it. Sphinx uses the converters as its ``option_spec`` (so pages render clean under ``-W``);
the Sybil parser runs the very same converters on the raw ``:name: value`` lines, so a malformed
option fails the same way in both places.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

# Languages and what the engine does with a block written in them.
#   console: a transcript of commands (``$ ``) and their expected output
#   script:  run as one program (interpreter below)
#   psql:    a transcript of SQL statements (``=> ``) and their expected output
#   sql:     run as one SQL script against the page's database
#   file:    content only; must name a file (caption) or carry a skip reason
#   screenshot: a picture of a page the run takes in a browser ({screenshot} directive, not a language)
CONSOLE, SCRIPT, PSQL, SQL, FILE, SCREENSHOT = "console", "script", "psql", "sql", "file", "screenshot"

LANGUAGES: dict[str, str] = {
    "console": CONSOLE,
    "bash": SCRIPT,
    "sh": SCRIPT,
    "shell": SCRIPT,
    "python": SCRIPT,
    "javascript": SCRIPT,
    "js": SCRIPT,
    "psql": PSQL,
    "sql": SQL,
    "yaml": FILE,
    "json": FILE,
    "toml": FILE,
    "dotenv": FILE,
    "ini": FILE,
    "dockerfile": FILE,
    "hcl": FILE,
    "nginx": FILE,
    "caddyfile": FILE,
    "text": FILE,
    "none": FILE,
}

# The interpreter of each script language; bash runs with errexit, nounset and pipefail.
INTERPRETERS: dict[str, list[str]] = {
    "bash": ["bash", "-euo", "pipefail"],
    "sh": ["bash", "-euo", "pipefail"],
    "shell": ["bash", "-euo", "pipefail"],
    "python": ["python3"],
    "javascript": ["node"],
    "js": ["node"],
}

# Language families: the scripts bash runs, and transcripts (prompts, then the expected output).
SHELL_LANGUAGES = frozenset(name for name, command in INTERPRETERS.items() if command[0] == "bash")
TRANSCRIPT_LANGUAGES = frozenset(name for name, kind in LANGUAGES.items() if kind in (CONSOLE, PSQL))

DEFAULT_TIMEOUT = 60.0

# Directives whose body is a code block.
CODE_DIRECTIVES = ("code-block", "code", "sourcecode")
# Directives whose body is more MyST (admonitions, tabs): scanned for blocks inside them.
CONTAINER_DIRECTIVES = (
    "note", "tip", "important", "warning", "caution", "danger", "attention", "hint", "error",
    "seealso", "admonition", "tab-set", "tab-item", "dropdown", "grid", "grid-item", "grid-item-card",
    "card", "topic", "sidebar", "rubric",
)
# Directives with no code in them that pages may use.
PROSE_DIRECTIVES = ("toctree", "list-table", "csv-table", "figure", "image", "contents", "glossary",
                    "verification-summary", "verification-status", "variables-table", "graphviz",
                    "reader-path-result")

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|min|h)?\s*$")
_FILE_CAPTION = re.compile(r"^[\w.@+-]+(/[\w.@+-]+)*$")


class OptionError(ValueError):
    """A malformed or unknown option; the caller adds page:line."""


def duration(text: str | None) -> float:
    """``90``, ``90s``, ``5m``, ``1.5h`` or ``500ms`` to seconds."""
    match = _DURATION.match(text or "")
    if not match:
        raise OptionError(f"expected a duration such as 30s, 5m or 90, got {text!r}")
    value, unit = float(match.group(1)), match.group(2) or "s"
    seconds = value * {"ms": 0.001, "s": 1, "m": 60, "min": 60, "h": 3600}[unit]
    if seconds <= 0:
        raise OptionError(f"a duration must be positive, got {text!r}")
    return seconds


def exit_status(text: str | None) -> int:
    try:
        value = int((text or "").strip())
    except ValueError:
        raise OptionError(f"expected an exit status 0-255, got {text!r}") from None
    if not 0 <= value <= 255:
        raise OptionError(f"expected an exit status 0-255, got {text!r}")
    return value


def tier(text: str | None) -> str:
    from .backends.registry import tiers  # tiers come from the backends (imported late: they use this module)

    value = (text or "").strip()
    if value not in tiers():
        raise OptionError(f"unknown tier {value!r}; known tiers: {', '.join(tiers())}")
    return value


def reason(text: str | None) -> str:
    value = " ".join((text or "").split())
    if not value:
        raise OptionError("a skip needs a reason that readers will see")
    return value


def file_mode(text: str | None) -> int:
    value = (text or "").strip()
    if not re.fullmatch(r"0?[0-7]{3}", value):
        raise OptionError(f"expected an octal file mode such as 600 or 0644, got {text!r}")
    return int(value, 8)


def image_tag(text: str | None) -> str:
    value = (text or "").strip()
    if not re.fullmatch(r"[a-z0-9][a-z0-9._/-]*(:[\w.-]+)?", value):
        raise OptionError(f"expected an image tag such as meshhook-guide/postgres:17, got {text!r}")
    return value


def command(text: str | None) -> str:
    value = (text or "").strip()
    if not value:
        raise OptionError("expected a command")
    return value


def flag(text: str | None) -> bool:
    if text and text.strip():
        raise OptionError(f"this option takes no value, got {text!r}")
    return True


@dataclass(frozen=True)
class Option:
    convert: object
    help: str


# The verification options. Sphinx's own code-block options (caption, name, emphasize-lines, …)
# stay valid alongside them.
OPTIONS: dict[str, Option] = {
    "exit": Option(exit_status, "expected exit status of the block's last command (default 0)"),
    "timeout": Option(duration, f"kill the block after this long (default {DEFAULT_TIMEOUT:.0f}s)"),
    "retry": Option(duration, "re-run the block until it passes or this much time has passed"),
    "tier": Option(tier, "what the block needs: a tier that one of the engine's backends provides"),
    "skip": Option(reason, "do not execute; the reason is shown to readers"),
    "hidden": Option(flag, "run the block but do not render it (setup a reader need not see)"),
    "mode": Option(file_mode, "permissions of the file a file block writes (octal)"),
    "check": Option(command, "a command that validates the file block after it is written"),
    "image": Option(image_tag, "the engine builds this image from the Dockerfile block for its backends"),
    "unordered": Option(flag, "compare psql result rows in any order"),
    "provision": Option(flag, "installs system packages: runs only in the reader-path run, which "
                              "starts from a bare Debian container"),
    "record": Option(flag, "keep what the block printed in the run and show it under the block"),
}

# What a page run says of a :provision: block, which would change the machine the guide is tested on.
PROVISION_REASON = ("installs system packages, so it runs only in the guide's run on a bare Debian "
                    "container (see the verification page)")

# Sphinx's code-block options the engine understands or tolerates.
SPHINX_OPTIONS = ("caption", "name", "class", "emphasize-lines", "linenos", "lineno-start", "dedent",
                  "force")


@dataclass
class BlockOptions:
    exit: int = 0
    timeout: float = DEFAULT_TIMEOUT
    retry: float | None = None
    tier: str | None = None
    skip: str | None = None
    hidden: bool = False
    mode: int | None = None
    check: str | None = None
    image: str | None = None
    unordered: bool = False
    provision: bool = False
    record: bool = False
    caption: str | None = None
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def file_path(self) -> str | None:
        """A caption that is a relative path names the file the block is written to."""
        caption = (self.caption or "").strip()
        # Only plain paths inside the reader's directory: not absolute, no "." or ".." segments.
        if caption and _FILE_CAPTION.match(caption) and not {".", ".."} & set(caption.split("/")):
            return caption
        return None


def parse_options(raw: dict[str, str | None]) -> BlockOptions:
    """Convert raw ``:name: value`` pairs; raises OptionError naming the option."""
    options = BlockOptions()
    for name, value in raw.items():
        if name in OPTIONS:
            try:
                setattr(options, name, OPTIONS[name].convert(value))
            except OptionError as error:
                raise OptionError(f":{name}: {error}") from None
        elif name == "caption":
            options.caption = value
        elif name in SPHINX_OPTIONS:
            options.extra[name] = value or ""
        else:
            known = ", ".join(sorted([*OPTIONS, *SPHINX_OPTIONS]))
            raise OptionError(f"unknown option :{name}:; known options: {known}")
    return options


def sphinx_option_spec() -> dict[str, object]:
    """The converters in the shape docutils wants (a converter may raise ValueError)."""
    return {name: option.convert for name, option in OPTIONS.items()}
