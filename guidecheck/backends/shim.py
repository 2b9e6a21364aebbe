"""A ``docker`` wrapper put first on a page's PATH so everything the page creates carries the run labels.

The wrapper is invisible to the page: it execs the real CLI (the next ``docker`` on PATH) with the
same arguments plus ``--label`` options on the commands that create containers, networks, volumes
or images, so exit status, stdin, stdout and stderr are the real CLI's own. Compose's resources are
named after COMPOSE_PROJECT_NAME, which the session sets; only its builds get a name shared by every
page and run. When the page's environment has ``PAGE_ENV`` (docker.py), containers, networks and
volumes also get the page label with its value.
"""

from __future__ import annotations

import os
import re
import shlex
from pathlib import Path

from .docker import BUILD_PROJECT, PAGE_ENV, PAGE_LABEL
from .images import CACHE_LABEL

_LABEL_KEY = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")

# Bash, because pages run in bash anyway. The @NAMES@ are filled in by write_docker_shim(), from Python's
# own label names, so the shim and the sweeps that read its labels cannot disagree.
_TEMPLATE = r"""#!/usr/bin/env bash
# docker as the guide's pages see it: the real CLI, with this run's labels on what pages create.
# Written by guidecheck; not part of the guide.
labels=(@LABELS@)
# The page being run (set by the engine per page), so a page's leftovers can go when it ends.
if [ -n "${@PAGE_ENV@:-}" ]; then labels+=(--label "@PAGE_LABEL@=$@PAGE_ENV@"); fi
# Images get no run or page label, so that a rebuild of unchanged content is the same image whichever
# page or run builds it: a tag that pages share (meshhook-guide/web:...) must not move under another
# page's running stack, whose next `up` would recreate its containers. They say they are no cache image,
# whatever their base image says (see images.py); once untagged, a sweep removes them (docker.py).
build_labels=(--label @CACHE_LABEL@=0)

self_dir=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd -P)
real=
IFS=: read -r -a path_dirs <<< "$PATH"
for dir in "${path_dirs[@]}"; do
    [ -n "$dir" ] || dir=.
    [ -f "$dir/docker" ] && [ -x "$dir/docker" ] || continue
    [ "$(cd -- "$dir" 2>/dev/null && pwd -P)" = "$self_dir" ] && continue
    real=$dir/docker
    break
done
if [ -z "$real" ]; then
    echo "bash: docker: command not found" >&2
    exit 127
fi

args=("$@")
n=${#args[@]}
i=0
# Global options come before the command; some take a value.
while [ "$i" -lt "$n" ]; do
    case ${args[i]} in
        -H|--host|-c|--context|--config|-l|--log-level|--tlscacert|--tlscert|--tlskey) i=$((i + 2)) ;;
        -*) i=$((i + 1)) ;;
        *) break ;;
    esac
done

at=-1  # insert these arguments before args[at]: the labels, unless a case below says otherwise
inserted=("${labels[@]}")
case ${args[i]-} in
    run|create) at=$((i + 1)) ;;
    build) at=$((i + 1)); inserted=("${build_labels[@]}") ;;
    container)
        case ${args[i + 1]-} in run|create) at=$((i + 2)) ;; esac ;;
    network|volume)
        case ${args[i + 1]-} in create) at=$((i + 2)) ;; esac ;;
    image|builder)
        case ${args[i + 1]-} in build) at=$((i + 2)); inserted=("${build_labels[@]}") ;; esac ;;
    compose)
        # Compose labels what it builds with the project's name: build under one name, for the same reason.
        j=$((i + 1))
        while [ "$j" -lt "$n" ]; do
            case ${args[j]} in
                -f|--file|-p|--project-name|--profile|--env-file|--project-directory|--ansi|--progress|--parallel)
                    j=$((j + 2)) ;;
                -*) j=$((j + 1)) ;;
                *) break ;;
            esac
        done
        # Right after `compose`: a --project-name of the page's own comes later and wins.
        case ${args[j]-} in build) at=$((i + 1)); inserted=(--project-name @BUILD_PROJECT@) ;; esac ;;
    buildx)
        j=$((i + 1))
        while [ "$j" -lt "$n" ]; do
            case ${args[j]} in
                --builder) j=$((j + 2)) ;;
                --builder=*|--debug|-D) j=$((j + 1)) ;;
                *) break ;;
            esac
        done
        case ${args[j]-} in build|b) at=$((j + 1)); inserted=("${build_labels[@]}") ;; esac ;;
esac

# A named volume that `run`/`create` would create on the fly gets no labels: create it first, labelled.
label_named_volumes() {
    local k=$1 spec name
    while [ "$k" -lt "$n" ]; do
        spec=
        case ${args[k]} in
            -v|--volume) spec=${args[k + 1]-}; k=$((k + 1)) ;;
            --volume=*) spec=${args[k]#--volume=} ;;
            --mount) spec=$(mount_source "${args[k + 1]-}"); k=$((k + 1)) ;;
            --mount=*) spec=$(mount_source "${args[k]#--mount=}") ;;
            -*) ;;
            *) break ;;  # the image: what follows is the container's command
        esac
        k=$((k + 1))
        name=${spec%%:*}
        case $name in ""|/*|.*|~*) continue ;; esac
        "$real" volume inspect "$name" >/dev/null 2>&1 ||
            "$real" volume create "${labels[@]}" "$name" >/dev/null 2>&1 || true
    done
}
mount_source() {  # type=volume,source=NAME,... -> NAME
    local field type=volume source=
    IFS=, read -r -a fields <<< "$1"
    for field in "${fields[@]}"; do
        case $field in
            type=*) type=${field#type=} ;;
            source=*|src=*) source=${field#*=} ;;
        esac
    done
    [ "$type" = volume ] && echo "$source"
}

if [ "$at" -ge 0 ]; then
    case ${args[at - 1]} in run|create) label_named_volumes "$at" ;; esac
    exec "$real" "${args[@]:0:at}" "${inserted[@]}" "${args[@]:at}"
fi
exec "$real" "$@"
"""


def write_docker_shim(bin_dir: str | os.PathLike[str], labels: dict[str, str]) -> Path:
    """Write ``bin_dir/docker``: put bin_dir first on a page's PATH so the run can find what it made.

    Returns the path of the wrapper. Label keys must be plain (letters, digits, ``.``, ``_``, ``-``);
    values are quoted for bash, so any single-line text is safe.
    """
    options = []
    for key, value in labels.items():
        if not _LABEL_KEY.match(key):
            raise ValueError(f"bad label key {key!r}")
        if "\n" in value or "\0" in value:
            raise ValueError(f"label {key} has a multi-line value")
        options.append(f"--label {shlex.quote(f'{key}={value}')}")
    directory = Path(bin_dir)
    directory.mkdir(parents=True, exist_ok=True)
    shim = directory / "docker"
    text = _TEMPLATE
    for name, value in (("@LABELS@", " ".join(options)), ("@PAGE_ENV@", PAGE_ENV),
                        ("@PAGE_LABEL@", PAGE_LABEL), ("@CACHE_LABEL@", CACHE_LABEL),
                        ("@BUILD_PROJECT@", BUILD_PROJECT)):
        text = text.replace(name, value)
    tmp = shim.with_name(".docker.tmp")
    tmp.write_text(text)
    tmp.chmod(0o755)
    tmp.replace(shim)
    return shim
