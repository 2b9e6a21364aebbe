"""The cloud stand-ins: the request recorder, the loopback servers' cleanup, and "via" in the report."""

import json
import os
import sys
import urllib.request
from pathlib import Path

import pytest

from guidecheck.backends import loopback
from guidecheck.backends.gcloud_requests import GcloudRequests
from guidecheck.blocks import Block, page_blocks
from guidecheck.report import BlockEntry, Report
from guidecheck.sphinx.status import block_status

PAGE = """\
```{code-block} console
:tier: gcloud

$ gcloud run services list
```

```{code-block} console
:tier: aws-emulator
:skip: needs an account

$ aws s3 ls
```
"""


def test_via_comes_from_the_backend_and_is_cleared_when_the_block_is_skipped():
    ran, skipped = [b for b in page_blocks(PAGE, "source/x.md") if isinstance(b, Block)]
    entry = BlockEntry.describe(ran)
    via = GcloudRequests.via("gcloud")
    assert via and entry.via == via
    passed = BlockEntry(**{**entry.__dict__, "outcome": "passed"})
    assert block_status(passed)[1] == f"verified · ran against {via} in under 0.1 s"
    assert BlockEntry.describe(skipped).via is None
    report = Report(environment={})
    report.record(entry, "skipped", "needs the Google Cloud SDK", 0)
    assert entry.via is None and entry.action == "skip"


def test_recorder_keeps_what_gcloud_sends_and_answers_ready(tmp_path: Path):
    log = tmp_path / "requests.jsonl"
    server = loopback.Server("recorder", [sys.executable, "-m", "guidecheck.backends.cloud_run_recorder",
                                          "{port}", str(log)], os.getpid(), tmp_path / "server.log").start()
    pid = server.process.pid
    try:
        proxy = urllib.request.ProxyHandler({"http": server.url})
        opener = urllib.request.build_opener(proxy)
        base = "http://europe-west1-run.googleapis.recorder/apis/serving.knative.dev/v1/namespaces/p/services"
        body = json.dumps({"metadata": {"name": "web"}, "spec": {"template": {}}}).encode()
        created = json.load(opener.open(urllib.request.Request(base, data=body, method="POST")))
        assert created["status"]["conditions"][0] == {"type": "Ready", "status": "True"}
        fetched = json.load(opener.open(f"{base}/web"))
        assert fetched["metadata"]["generation"] == 1
        recorded = [json.loads(line) for line in log.read_text().splitlines()]
        assert [r["method"] for r in recorded] == ["POST", "GET"]
        assert recorded[0]["body"]["metadata"]["name"] == "web"
    finally:
        server.stop()
    assert not (loopback.RECORDS / f"{pid}.json").exists()


def test_sweep_stops_servers_whose_run_is_gone(tmp_path: Path):
    dead_controller = 2**22 + 12345  # above the usual pid range: no such process
    server = loopback.Server("sleeper", [sys.executable, "-c", "import socket, time; s = socket.socket(); "
                                         "s.bind(('127.0.0.1', {port})); s.listen(); time.sleep(60)"],
                             dead_controller, tmp_path / "sleeper.log").start()
    pid = server.process.pid
    assert loopback.sweep() >= 1
    server.process.wait(timeout=10)
    assert not (loopback.RECORDS / f"{pid}.json").exists()


def test_terraform_skips_with_a_reason_for_readers_when_it_or_its_provider_is_missing(monkeypatch, tmp_path):
    from guidecheck.backends import registry, terraform
    from guidecheck.backends.interface import BackendUnavailable, Plan
    from guidecheck.run import Settings

    assert "terraform" not in registry.strict_tiers()  # a strict run skips, not fails, its blocks
    plan = Plan(settings=Settings(root=tmp_path), pages={}, blocks=[])
    backend = terraform.Terraform(plan.settings)
    monkeypatch.setattr(terraform.shutil, "which", lambda name: None)
    with pytest.raises(BackendUnavailable, match="^Terraform is not installed on this machine$"):
        backend.start(plan)
    monkeypatch.setattr(terraform.shutil, "which", lambda name: "/bin/" + name)
    monkeypatch.setenv("GUIDE_TERRAFORM_MIRROR", str(tmp_path))  # an empty mirror: no AWS provider in it
    with pytest.raises(BackendUnavailable, match="no local copy of Terraform's AWS provider"):
        backend.start(plan)
