"""A stand-in for the Cloud Run and Secret Manager APIs that records every request gcloud sends.

It is not an emulator: it keeps what it is sent, answers as the real API would for a resource that is
immediately ready, and appends each request (method, URL, JSON body) as one line to a log that tests
read. gcloud reaches it as an HTTP proxy, so the regional host names gcloud builds need no DNS.

    python3 -m guidecheck.backends.cloud_run_recorder PORT REQUEST_LOG
"""

from __future__ import annotations

import http.server
import json
import re
import sys
from urllib.parse import parse_qs, urlsplit

# Knative-style resources of Cloud Run's v1 API: services, jobs and their executions.
_KNATIVE = re.compile(r"^/apis/[\w.]+/v1/namespaces/(?P<project>[^/]+)/(?P<kind>services|jobs|executions)"
                      r"(?:/(?P<name>[^/:]+))?(?::(?P<verb>\w+))?$")
_SECRETS = re.compile(r"^/v1/projects/(?P<project>[^/]+)/secrets(?:/(?P<name>[^/:]+))?(?::(?P<verb>\w+))?$")
_IAM = re.compile(r"^/v1/projects/[^/]+/locations/[^/]+/(services|jobs)/[^/:]+:(?P<verb>\w+)$")
_READY = [{"type": kind, "status": "True"} for kind in ("Ready", "ConfigurationsReady", "RoutesReady")]


class Store:
    def __init__(self, log_path: str) -> None:
        self.log_path = log_path
        self.resources: dict[tuple[str, str, str], dict] = {}  # (project, kind, name) -> resource
        self.executions = 0

    def record(self, method: str, url: str, body: object) -> None:
        with open(self.log_path, "a") as log:
            log.write(json.dumps({"method": method, "url": url, "body": body}) + "\n")

    def knative(self, method: str, match: re.Match, body: dict) -> tuple[int, dict]:
        project, kind, name, verb = match["project"], match["kind"], match["name"], match["verb"]
        if verb == "run" and kind == "jobs":
            return self._run(project, name)
        if method == "GET" and name is None:
            items = [r for (p, k, _), r in self.resources.items() if (p, k) == (project, kind)]
            return 200, {"items": items}
        key = (project, kind, name or body.get("metadata", {}).get("name", ""))
        if method == "GET":
            return (200, self.resources[key]) if key in self.resources else _not_found(key[2])
        if method == "DELETE":
            self.resources.pop(key, None)
            return 200, {"status": "Success"}
        previous = self.resources.get(key, {})
        generation = previous.get("metadata", {}).get("generation", 0) + 1
        resource = dict(body)
        resource["metadata"] = {**body.get("metadata", {}), "namespace": project, "generation": generation}
        resource["status"] = self._status(key, generation)
        self.resources[key] = resource
        return 200, resource

    def _status(self, key: tuple[str, str, str], generation: int) -> dict:
        project, kind, name = key
        status = {"observedGeneration": generation, "conditions": _READY}
        if kind == "services":
            revision = f"{name}-{generation:05d}-rev"
            status.update(url=f"https://{name}-{project}.a.run.app", latestCreatedRevisionName=revision,
                          latestReadyRevisionName=revision,
                          traffic=[{"revisionName": revision, "percent": 100, "latestRevision": True}])
        return status

    def _run(self, project: str, job: str) -> tuple[int, dict]:
        if (project, "jobs", job) not in self.resources:
            return _not_found(job)
        self.executions += 1
        execution = {"apiVersion": "run.googleapis.com/v1", "kind": "Execution",
                     "metadata": {"name": f"{job}-{self.executions:05d}", "namespace": project,
                                  "labels": {"run.googleapis.com/job": job}},
                     "status": {"conditions": [{"type": "Completed", "status": "True"}], "succeededCount": 1}}
        self.resources[(project, "executions", execution["metadata"]["name"])] = execution
        return 200, execution

    def secrets(self, method: str, match: re.Match, query: dict, body: dict) -> tuple[int, dict]:
        project, name, verb = match["project"], match["name"] or query.get("secretId", [""])[0], match["verb"]
        key = (project, "secrets", name)
        full = f"projects/{project}/secrets/{name}"
        if verb == "addVersion":
            versions = self.resources[key].setdefault("versions", 0) + 1 if key in self.resources else 0
            if not versions:
                return _not_found(name)
            self.resources[key]["versions"] = versions
            return 200, {"name": f"{full}/versions/{versions}", "state": "ENABLED"}
        if method == "POST":
            self.resources[key] = {"name": full, "replication": body.get("replication", {}), "versions": 0}
            return 200, {"name": full, "replication": body.get("replication", {})}
        return (200, {"name": full}) if key in self.resources else _not_found(name)


def _not_found(name: str) -> tuple[int, dict]:
    return 404, {"error": {"code": 404, "status": "NOT_FOUND", "message": f"{name} not found"}}


def handler(store: Store) -> type[http.server.BaseHTTPRequestHandler]:
    class Handler(http.server.BaseHTTPRequestHandler):
        def _answer(self) -> None:
            length = int(self.headers.get("content-length") or 0)
            raw = self.rfile.read(length) if length else b""
            try:
                body = json.loads(raw) if raw else {}
            except ValueError:
                body = {"raw": raw.decode(errors="replace")}
            url = urlsplit(self.path)  # an absolute URL: we are gcloud's proxy
            store.record(self.command, self.path, body)
            if match := _KNATIVE.match(url.path):
                status, answer = store.knative(self.command, match, body)
            elif match := _SECRETS.match(url.path):
                status, answer = store.secrets(self.command, match, parse_qs(url.query), body)
            elif match := _IAM.match(url.path):
                # Permission checks pass; policies are echoed back as set.
                status, answer = 200, body.get("policy", body) if match["verb"] == "setIamPolicy" else body
            else:
                status, answer = 501, {"error": {"code": 501, "message": f"not modelled: {url.path}"}}
            data = json.dumps(answer).encode()
            self.send_response(status)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _answer

        def log_message(self, *args) -> None:  # the request log is the record; stay quiet
            pass
    return Handler


def main() -> None:
    port, log_path = int(sys.argv[1]), sys.argv[2]
    server = http.server.ThreadingHTTPServer(("127.0.0.1", port), handler(Store(log_path)))
    server.serve_forever()


if __name__ == "__main__":
    main()
