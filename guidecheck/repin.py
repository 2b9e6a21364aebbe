"""Move the guide to another MeshHook commit: every place that names the pin, rewritten in one command.

    python3 -m guidecheck.repin /path/to/meshhook            # the checkout's HEAD
    python3 -m guidecheck.repin /path/to/meshhook --ref main

The checkout resolves the full commit and its date. A *mention* of the pin is any word of 7 or 40
lowercase hex digits (the short and full forms the pages, image tags, settings and workflows use), and
a date written right after one, as in "commit `11e288f` (16 October 2025)". The same scan serves the test
that every mention agrees with ``guidecheck/pin.py``, so what repin rewrites is exactly what is checked.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from . import pin

# Engine tests carry made-up commits in their fixtures; they describe reports, not the pin.
_EXCLUDED = ("tests/",)
# A commit: 7 or 40 hex digits with a letter and a digit (so plain numbers and words are not), or the
# current pin itself, whatever digits it happens to have.
_SHA = (r"(?<![0-9A-Za-z_-])(?:(?=[0-9a-f]*[a-f])(?=[0-9a-f]*[0-9])(?:[0-9a-f]{{40}}|[0-9a-f]{{7}}){known})"
        r"(?![0-9A-Za-z_-])")
_PIN_COMMIT = re.compile(r'^COMMIT = "([0-9a-f]{40})"', re.MULTILINE)
_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September",
           "October", "November", "December")
# A date right after a commit: "`11e288f` (16 October\n2025)" or "11e288f (2025-10-16)".
_DATE_AFTER = re.compile(r"`?\s*\((?:(?P<day>\d{1,2})(?P<s1>\s+)(?P<month>" + "|".join(_MONTHS)
                         + r")(?P<s2>\s+)(?P<year>\d{4})|(?P<iso>\d{4}-\d{2}-\d{2}))")
_PIN_DATE = re.compile(r'^DATE = "(\d{4}-\d{2}-\d{2})"', re.MULTILINE)  # pin.py's own


@dataclass(frozen=True)
class Mention:
    path: str  # relative to the repository
    line: int
    kind: str  # commit | date
    text: str  # the commit as written, or the date as ISO


def tracked_files(root: Path) -> list[Path]:
    names = subprocess.run(["git", "-C", str(root), "ls-files", "-z"], capture_output=True, text=True,
                           check=True).stdout.split("\0")
    return [root / name for name in names if name and not name.startswith(_EXCLUDED)
            and (root / name).is_file()]


def _read(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        return None  # binary files name no pin


def commits_pattern(root: Path) -> re.Pattern:
    """What a mention of a commit looks like in this guide (its own pin.py names the current pin)."""
    found = _PIN_COMMIT.search((root / "guidecheck" / "pin.py").read_text(encoding="utf-8"))
    known = f"|{found.group(1)}|{found.group(1)[:7]}" if found else ""
    return re.compile(_SHA.format(known=known))


def _scan(text: str, commits: re.Pattern):
    """(offset, end, kind, iso-or-sha, match) for each mention in a text."""
    for commit in commits.finditer(text):
        if any(earlier.startswith(commit.group()) for earlier in pin.EARLIER):
            continue  # named on purpose (pin.EARLIER), with its own date: not a mention of the pin
        yield commit.start(), commit.end(), "commit", commit.group(), None
        after = _DATE_AFTER.match(text, commit.end())
        if after:
            iso = after["iso"] or date(int(after["year"]), _MONTHS.index(after["month"]) + 1,
                                       int(after["day"])).isoformat()
            yield after.start(), after.end(), "date", iso, after
    for pinned in _PIN_DATE.finditer(text):
        yield pinned.start(1), pinned.end(1), "date", pinned.group(1), None


def mentions(root: Path) -> list[Mention]:
    found, commits = [], commits_pattern(root)
    for path in tracked_files(root):
        text = _read(path)
        if text is None:
            continue
        for start, _, kind, value, _ in _scan(text, commits):
            found.append(Mention(path.relative_to(root).as_posix(), text.count("\n", 0, start) + 1,
                                 kind, value))
    return found


def stale(root: Path, commit: str = pin.COMMIT, day: str = pin.DATE) -> list[Mention]:
    """Mentions that name another commit or date than the pin."""
    return [found for found in mentions(root)
            if found.text not in ((commit, commit[:7]) if found.kind == "commit" else (day,))]


def _date_as_written(match: re.Match | None, new: date) -> str:
    """The new date in the form (and line breaks) of the old one, so no page line moves."""
    if match is None:
        return new.isoformat()
    if match["iso"]:
        return match.group().replace(match["iso"], new.isoformat())
    head = match.group()[: match.start("day") - match.start()]
    return f"{head}{new.day}{match['s1']}{_MONTHS[new.month - 1]}{match['s2']}{new.year}"


def rewrite(text: str, commit: str, day: date, commits: re.Pattern) -> str:
    pieces, last = [], 0
    for start, end, kind, value, match in sorted(_scan(text, commits), key=lambda found: found[0]):
        if kind == "commit":
            new = commit if len(value) == 40 else commit[:7]
        else:
            new = _date_as_written(match, day)
        pieces += [text[last:start], new]
        last = end
    return "".join(pieces) + text[last:]


def resolve(checkout: Path, ref: str = "HEAD") -> tuple[str, date]:
    """The full commit and its (committer) date, from a MeshHook checkout."""
    out = subprocess.run(["git", "-C", str(checkout), "log", "-1", "--format=%H %cs", f"{ref}^{{commit}}", "--"],
                         capture_output=True, text=True)
    if out.returncode != 0:
        raise SystemExit(f"repin: {checkout} has no commit {ref}: {out.stderr.strip()}")
    commit, day = out.stdout.split()
    return commit, date.fromisoformat(day)


def repin(root: Path, commit: str, day: date) -> list[str]:
    """Rewrite every mention under root; the files changed, relative to root."""
    changed, commits = [], commits_pattern(root)
    for path in tracked_files(root):
        text = _read(path)
        if text is None:
            continue
        new = rewrite(text, commit, day, commits)
        if new != text:
            path.write_text(new, encoding="utf-8")
            changed.append(path.relative_to(root).as_posix())
    return changed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python3 -m guidecheck.repin", description=__doc__.split("\n")[0])
    parser.add_argument("checkout", type=Path, help="a MeshHook checkout that has the new commit")
    parser.add_argument("--ref", default="HEAD", help="the commit to pin (default: the checkout's HEAD)")
    parser.add_argument("--root", type=Path, default=Path(__file__).resolve().parents[1],
                        help="the guide to rewrite (default: this one)")
    args = parser.parse_args(argv)
    commit, day = resolve(args.checkout, args.ref)
    changed = repin(args.root, commit, day)
    print(f"pinned MeshHook {commit[:7]} ({day.isoformat()}), was {pin.SHORT} ({pin.DATE}): "
          f"{len(changed)} files rewritten")
    for name in changed:
        print(f"  {name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
