"""Drift demos on the Kubernetes manifests page: a manifest that drifts fails at its own page:line.

Three copies of source/kubernetes/manifests.md, each with one realistic mistake in the web Deployment:
a misspelt field (the schema check of the file block refuses it), a container without its securityContext
(the checkov block finds the failed policies) and a Secret key the Secret does not have (the block that
compares the manifests' keys with secrets.env names it). The unchanged page passes at the same lines.
"""

from pathlib import Path

import pytest

from guidecheck.backends import kubernetes
from guidecheck.blocks import Block, page_blocks

ROOT = Path(__file__).resolve().parent.parent
PAGE = "kubernetes/manifests.md"
# The pages the manifests page starts from (front matter files-from, and theirs).
EARLIER = ["deploy/compose.md", "database/self-hosted.md", "deploy/images.md", "deploy/validation.md"]
WEB_SECURITY = """          securityContext:
            allowPrivilegeEscalation: false
            readOnlyRootFilesystem: true
            capabilities:
              drop: [ALL]
          volumeMounts:
"""


def web_block(block: Block) -> bool:
    return block.options.file_path == "k8s/base/web.yaml"


def keys_block(block: Block) -> bool:
    return "missing from secrets.env" in block.body


def checkov_block(block: Block) -> bool:
    return "checkov --quiet" in block.body


def _block_line(text: str, page: str, predicate) -> int:
    lines = [b.line for b in page_blocks(text, page) if isinstance(b, Block) and predicate(b)]
    assert len(lines) == 1, lines
    return lines[0]


def _web_only(text: str, old: str, new: str) -> str:
    """Replace ``old`` inside the web Deployment's file block only."""
    start = text.index(":caption: k8s/base/web.yaml")
    end = text.index("```", start)
    assert old in text[start:end], old
    return text[:start] + text[start:end].replace(old, new, 1) + text[end:]


@pytest.mark.skipif(not kubernetes.tools_ready(), reason="needs " + kubernetes.problem())
def test_manifest_drift_fails_at_its_line(run_pages):
    original = (ROOT / "source" / PAGE).read_text()
    page = f"source/{PAGE}"
    mutations = {
        "misspelt-field": (_web_only(original, "readOnlyRootFilesystem", "readOnlyRootFileSystem"), web_block,
                           "'readOnlyRootFileSystem' was unexpected"),
        "no-security-context": (_web_only(original, WEB_SECURITY, "          volumeMounts:\n"), checkov_block,
                                "Failed checks: "),
        "wrong-secret-key": (_web_only(original, "key: DEFAULT_WEBHOOK_SECRET", "key: WEBHOOK_SECRET"), keys_block,
                             "missing from secrets.env: WEBHOOK_SECRET"),
    }
    pages = {name: (ROOT / "source" / name).read_text() for name in EARLIER}
    pages[PAGE] = original
    for name, (text, _, _) in mutations.items():
        pages[f"kubernetes/drift-{name}.md"] = text
    # Only the Kubernetes tools: the earlier pages are there for the files they save, not to be run.
    ignored = sorted({f"--ignore=source/{name.split('/')[0]}" for name in EARLIER})
    run = run_pages(pages, "--guide-backends=kubernetes", *ignored, "-n", "4", "--dist", "loadfile",
                    backends=True)
    assert run.report, run.output
    for block in (web_block, keys_block, checkov_block):
        assert run.outcome(page, _block_line(original, page, block))["outcome"] == "passed", run.output
    for name, (text, block, evidence) in mutations.items():
        copy = f"source/kubernetes/drift-{name}.md"
        line = _block_line(text, copy, block)
        assert run.outcome(copy, line)["outcome"] == "failed", f"{name} did not fail at line {line}"
        assert f"{copy}:{line}:" in run.output
        assert evidence in run.output, f"{name}: {evidence!r} not in the failure"
