"""Verify the guide against a newer MeshHook commit without changing the repository, and list what breaks.

    python3 -m guidecheck.canary                      # upstream's newest commit, every page
    python3 -m guidecheck.canary --ref main source/deploy/validation.md

MeshHook is cloned from GUIDE_MESHHOOK_SOURCE (a git URL, directory or bundle; default upstream) at
``--ref`` (env CANARY_REF; default the source's newest commit) into a temporary directory. A scratch copy
of the guide is re-pinned to that commit (``guidecheck.repin``: pages, image tags, settings) and verified
against the clone, strictly, as ``make verify`` does. The blocks that would break are listed as page:line
with the first line of the reason; line numbers are those of the repository's pages, which re-pinning
does not move. The report, JUnit XML and that list (``summary.md``) go to build/canary/.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
from pathlib import Path
from xml.etree import ElementTree

from . import pin, repin

ROOT = Path(__file__).resolve().parents[1]


def _git(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True)


def clone(source: str, ref: str | None, destination: Path) -> None:
    done = _git("clone", "--quiet", source, str(destination))
    if done.returncode != 0:
        raise SystemExit(f"canary: cannot clone MeshHook from {source}: {done.stderr.strip()}")
    if ref:
        for candidate in (ref, f"origin/{ref}"):
            if _git("checkout", "--quiet", "--detach", candidate, cwd=destination).returncode == 0:
                return
        raise SystemExit(f"canary: {source} has no commit or branch {ref}")


def copy_guide(destination: Path) -> None:
    """The guide as it is in the working tree (tracked and new files, not ignored ones)."""
    names = _git("ls-files", "-z", "--cached", "--others", "--exclude-standard", cwd=ROOT).stdout.split("\0")
    for name in filter(None, names):
        if (ROOT / name).is_file():
            (destination / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, destination / name)
    # repin finds the files to rewrite through git, as it does in the repository.
    for command in (("init", "--quiet"), ("add", "--all")):
        _git(*command, cwd=destination).check_returncode()


def _pytest_command(pages: list[str], extra: list[str]) -> list[str]:
    workers = os.environ.get("GUIDE_WORKERS", "auto")
    dist = ["-p", "no:xdist"] if workers in ("0", "1") else ["-n", workers, "--dist", "loadfile"]
    return [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", *dist,
            "--junitxml=build/verify/junit.xml", *extra, *(pages or ["source"])]


def _diffs(junit: Path) -> dict[str, tuple[str, str]]:
    """page:line -> the first expected and actual lines of its diff, from the failures' full text."""
    found: dict[str, tuple[str, str]] = {}
    if not junit.is_file():
        return found
    for failure in ElementTree.parse(junit).iter("failure"):
        text = (failure.text or "") + (failure.get("message") or "")
        located = re.search(r"^(source/\S+?:\d+): ", text, re.MULTILINE)
        lines = text.splitlines()
        expected = next((line[1:] for line in lines if line.startswith("-") and not line.startswith("---")), None)
        actual = next((line[1:] for line in lines if line.startswith("+") and not line.startswith("+++")), None)
        if located and (expected is not None or actual is not None):
            found.setdefault(located.group(1), (expected or "", actual or ""))
    return found


def summary(report: dict, where: str, diffs: dict[str, tuple[str, str]] | None = None) -> str:
    blocks = report["blocks"]
    counts = {outcome: sum(b["outcome"] == outcome for b in blocks) for outcome in ("passed", "failed", "skipped")}
    broken = [b for b in blocks if b["outcome"] == "failed"]
    # Plain text that is also Markdown, for the terminal and for a CI job summary alike.
    lines = [f"Canary: {where}", "",
             f"{len(blocks)} blocks: {counts['passed']} passed, {counts['failed']} failed, "
             f"{counts['skipped']} skipped", ""]
    if not broken:
        return "\n".join(lines + ["No block would break: the guide holds at this commit."]) + "\n"
    lines += [f"{len(broken)} block(s) would break:", ""]
    for block in broken:
        place = f"{block['page']}:{block['line']}"
        lines.append(f"- {place}: {(block['reason'] or 'failed').splitlines()[0].removeprefix(place + ': ')}")
        if place in (diffs or {}):
            expected, actual = diffs[place]
            lines += [f"  - expected: {expected}", f"  - got:      {actual}"]
    return "\n".join(lines) + "\n"


def remove_images(short: str) -> list[str]:
    """Untag the images the re-pinned pages built (their tags name the canary's commit): a canary is not
    a cache. The images of the pin stay, as after any run."""
    if short == pin.SHORT or not shutil.which("docker"):
        return []
    listed = subprocess.run(["docker", "image", "ls", "--format", "{{.Repository}}:{{.Tag}}",
                             "--filter", f"reference=*:{short}", "--filter", f"reference=*/*:{short}"],
                            capture_output=True, text=True)
    tags = sorted(set(listed.stdout.split())) if listed.returncode == 0 else []
    if tags:
        subprocess.run(["docker", "image", "rm", *tags], capture_output=True, text=True)
    return tags


def _interrupt(signum, frame):
    raise KeyboardInterrupt(f"signal {signum}")


def _run_to_the_end(command: list[str], cwd: Path, env: dict[str, str]) -> int:
    """Run the verification, and on Ctrl-C or SIGTERM let it remove what it created before we go."""
    process = subprocess.Popen(command, cwd=cwd, env=env)
    previous = signal.signal(signal.SIGTERM, lambda signum, frame: process.send_signal(signum))
    try:
        return process.wait()
    except KeyboardInterrupt:  # the same Ctrl-C reached pytest, which is cleaning up
        process.wait()
        raise
    finally:
        signal.signal(signal.SIGTERM, previous)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python3 -m guidecheck.canary", description=__doc__.split("\n")[0])
    parser.add_argument("--source", default=os.environ.get("GUIDE_MESHHOOK_SOURCE") or pin.UPSTREAM,
                        help="where MeshHook comes from (env GUIDE_MESHHOOK_SOURCE; default upstream)")
    parser.add_argument("--ref", default=os.environ.get("CANARY_REF") or None,
                        help="the commit or branch to try (env CANARY_REF; default the newest commit)")
    parser.add_argument("--output", type=Path, default=ROOT / "build" / "canary")
    parser.add_argument("pages", nargs="*", help="pages to verify (default: the whole guide)")
    args, extra = parser.parse_known_args(argv)
    signal.signal(signal.SIGTERM, _interrupt)  # a CI timeout: remove the clone and the copy, as Ctrl-C does
    with tempfile.TemporaryDirectory(prefix="guide-canary-") as scratch:
        meshhook, guide = Path(scratch) / "meshhook", Path(scratch) / "guide"
        clone(args.source, args.ref, meshhook)
        commit, day = repin.resolve(meshhook)
        ahead = _git("rev-list", "--count", f"{pin.COMMIT}..HEAD", cwd=meshhook)
        distance = (f"{ahead.stdout.strip()} commit(s) after the pin {pin.SHORT}" if ahead.returncode == 0
                    else f"not a descendant of the pin {pin.SHORT}")
        where = f"MeshHook {commit[:7]} ({day.isoformat()}), {distance}"
        print(f"canary: verifying the guide against {where}", flush=True)
        copy_guide(guide)
        repin.repin(guide, commit, day)
        env = {**os.environ, "GUIDE_MESHHOOK_CHECKOUT": str(meshhook), "GUIDE_STRICT": "1",
               "PYTHONPATH": os.pathsep.join(filter(None, [str(guide), os.environ.get("PYTHONPATH")]))}
        try:
            status = _run_to_the_end(_pytest_command(args.pages, extra), guide, env)
        finally:
            remove_images(commit[:7])
        report_path = guide / "build" / "verify" / "report.json"
        if not report_path.is_file():
            print(f"canary: the run wrote no report (pytest exited {status})", file=sys.stderr)
            return 2
        args.output.mkdir(parents=True, exist_ok=True)
        for name in ("report.json", "junit.xml"):
            if (guide / "build" / "verify" / name).is_file():
                shutil.copy2(guide / "build" / "verify" / name, args.output / name)
        text = summary(json.loads(report_path.read_text()), where, _diffs(guide / "build" / "verify" / "junit.xml"))
        if status != 0 and "No block would break" in text:
            text += f"Yet the run failed (pytest exited {status}): see {args.output / 'junit.xml'}.\n"
    (args.output / "summary.md").write_text(text)
    print("\n" + text, end="")
    return 0 if status == 0 else 1


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt as interrupted:
        print(f"canary: interrupted ({interrupted or 'Ctrl-C'}); its clone and scratch copy are removed",
              file=sys.stderr)
        sys.exit(130)
