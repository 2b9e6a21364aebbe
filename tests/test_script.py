"""'Download this page as a script': generated from the tested blocks, and itself run here."""

import os
import subprocess
import textwrap
from pathlib import Path

from guidecheck.blocks import Block, read_blocks
from guidecheck.script import page_script

ROOT = Path(__file__).resolve().parent.parent


def _run(script: str, directory: Path) -> subprocess.CompletedProcess:
    env = {name: value for name, value in os.environ.items() if not name.startswith(("GUIDE_", "PG"))}
    return subprocess.run(["bash", "-c", script], cwd=directory, env={**env, "HOME": str(directory)},
                          capture_output=True, text=True, timeout=120)


def test_the_secrets_page_script_runs_in_an_empty_directory(tmp_path):
    script = page_script(ROOT, "source/secrets.md")
    visible = [b for b in read_blocks(ROOT / "source" / "secrets.md", "source/secrets.md")
               if isinstance(b, Block) and not b.options.hidden and not b.options.skip]
    assert script.startswith("#!/usr/bin/env bash\n")
    assert all(f"# source/secrets.md:{block.line}\n" in script for block in visible)
    done = _run(script, tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    # What the page promises the reader ends up with.
    assert oct((tmp_path / ".env").stat().st_mode & 0o777) == "0o600"
    assert "SERVICE_ROLE_KEY=" in (tmp_path / "supabase.env").read_text()
    assert "anon: signature verifies: True" in done.stdout


def _page(root: Path, name: str, text: str) -> str:
    path = root / "source" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text).lstrip())
    return f"source/{name}"


PAGE = """
---
guide:
  files-from: [base.md]
---
# Demo

```{code-block} yaml
:caption: conf/app.yaml
:mode: 640
greeting: exact $HOME text
```

```{code-block} yaml
:caption: empty.yaml
```

```{code-block} console
:hidden:
$ test -f conf/app.yaml
```

```{code-block} console
:exit: 3
$ cat conf/app.yaml base.yaml empty.yaml
greeting: exact $HOME text
from: base
$ (exit 3)
```

```{code-block} console
:skip: illustration: needs a cloud account
$ cloud deploy
```
"""


def test_files_are_exact_heredocs_hidden_blocks_left_out_and_skips_commented(tmp_path):
    _page(tmp_path, "base.md", "# Base\n\n```{code-block} yaml\n:caption: base.yaml\nfrom: base\n```\n")
    page = _page(tmp_path, "demo.md", PAGE)
    script = page_script(tmp_path, page)
    assert "test -f" not in script  # a hidden block is the tests' own
    assert "# (not run" not in script and "# cloud deploy" in script
    assert "(exit 3) || [ $? -eq 3 ]" in script
    work = tmp_path / "work"
    work.mkdir()
    done = _run(script, work)
    assert done.returncode == 0, done.stderr
    assert (work / "conf" / "app.yaml").read_text() == "greeting: exact $HOME text\n"
    assert oct((work / "conf" / "app.yaml").stat().st_mode & 0o777) == "0o640"
    assert (work / "empty.yaml").read_text() == ""
    assert done.stdout == "greeting: exact $HOME text\nfrom: base\n"


def test_a_failing_command_stops_the_script(tmp_path):
    page = _page(tmp_path, "fail.md", "# F\n\n```console\n$ false\n$ touch reached\n```\n")
    done = _run(page_script(tmp_path, page), tmp_path)
    assert done.returncode == 1 and not (tmp_path / "reached").exists()


def test_a_page_without_commands_has_no_script(tmp_path):
    assert page_script(tmp_path, _page(tmp_path, "prose.md", "# Prose\n\nNothing to run.\n")) is None
    skipped = "# S\n\n```{code-block} console\n:skip: illustration\n$ true\n```\n"
    assert page_script(tmp_path, _page(tmp_path, "skipped.md", skipped)) is None


def test_every_page_of_the_guide_has_a_script_or_none_without_error():
    from guidecheck.pages import page_name, pages_under
    pages = [page_name(path, ROOT) for path in pages_under(ROOT / "source")]
    scripts = {page: page_script(ROOT, page) for page in pages}
    assert scripts["source/secrets.md"] and scripts["source/index.md"] is None
