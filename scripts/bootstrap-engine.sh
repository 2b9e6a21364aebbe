#!/usr/bin/env bash
# Make this machine able to run the guide's docker-tier checks, and do nothing when it already can:
#   1. a reachable Docker engine (Debian's docker.io, dockerd started in the background: no systemd needed),
#   2. the `docker compose` (v2) and `docker buildx` CLI plugins,
#   3. the base image debian:trixie-slim (pulled when a registry answers, else imported from a
#      debootstrapped Debian trixie that is kept in a cache directory).
# The Debian mirror is read from this machine's apt configuration at run time (or GUIDECHECK_DEBIAN_MIRROR).
#
# Settings (environment):
#   GUIDECHECK_CACHE         cache directory for the trixie rootfs   (default /var/cache/guidecheck)
#   GUIDECHECK_BASE_IMAGE    tag of the base image to provide        (default debian:trixie-slim)
#   GUIDECHECK_PLUGIN_DIR    where missing CLI plugins are installed (default /usr/local/lib/docker/cli-plugins)
#   GUIDECHECK_DEBIAN_MIRROR Debian archive URL, when apt's sources name none
#   GUIDECHECK_PULL_TIMEOUT  seconds to wait for a registry pull     (default 20)
#   GUIDECHECK_DOCKERD_LOG   dockerd's log file                      (default /var/log/guidecheck-dockerd.log)
#   GUIDECHECK_DOCKERD_ARGS  extra dockerd arguments (word-split)
#   DOCKER_HOST              a unix:// socket makes dockerd listen there
set -euo pipefail

SUITE=trixie
CACHE=${GUIDECHECK_CACHE:-/var/cache/guidecheck}
BASE_IMAGE=${GUIDECHECK_BASE_IMAGE:-debian:trixie-slim}
PLUGIN_DIR=${GUIDECHECK_PLUGIN_DIR:-/usr/local/lib/docker/cli-plugins}
PULL_TIMEOUT=${GUIDECHECK_PULL_TIMEOUT:-20}
DOCKERD_LOG=${GUIDECHECK_DOCKERD_LOG:-/var/log/guidecheck-dockerd.log}
ROOTFS=$CACHE/rootfs-$SUITE
# Bumped when the way the rootfs is prepared changes, so older imports get replaced.
ROOTFS_FORMAT=1

say() { printf 'bootstrap-engine: %s\n' "$*"; }
die() { printf 'bootstrap-engine: error: %s\n' "$*" >&2; exit 1; }

SUDO=()
if [ "$(id -u)" != 0 ]; then
    command -v sudo >/dev/null || die "not root and no sudo: run as root"
    SUDO=(sudo)
fi
as_root() { "${SUDO[@]}" "$@"; }

APT_UPDATED=
apt_install() {
    command -v apt-get >/dev/null || die "need to install $*, but this machine has no apt-get"
    if [ -z "$APT_UPDATED" ]; then
        say "apt-get update"
        as_root apt-get update -qq >/dev/null
        APT_UPDATED=1
    fi
    say "installing $*"
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

engine_up() { timeout 15 docker info >/dev/null 2>&1; }

# --- 1. the engine -----------------------------------------------------------------------------
ensure_engine() {
    if command -v docker >/dev/null && engine_up; then
        return
    fi
    if ! command -v dockerd >/dev/null || ! command -v docker >/dev/null; then
        apt_install docker.io
    fi
    local host_args=()
    case "${DOCKER_HOST:-}" in
        unix://*) host_args=(--host "$DOCKER_HOST") ;;
        "") ;;
        *) die "DOCKER_HOST=$DOCKER_HOST is not reachable and is not a local socket this script can serve" ;;
    esac
    # shellcheck disable=SC2206  # extra arguments are meant to be word-split
    local extra=(${GUIDECHECK_DOCKERD_ARGS:-})
    as_root mkdir -p "$(dirname "$DOCKERD_LOG")"
    say "starting dockerd (log: $DOCKERD_LOG)"
    # Own session, and without our lock descriptor (9): the daemon outlives this script.
    as_root setsid nohup dockerd "${host_args[@]}" "${extra[@]}" >>"$DOCKERD_LOG" 2>&1 </dev/null 9>&- &
    local waited=0
    until engine_up; do
        if [ "$waited" -ge 60 ]; then
            tail -n 20 "$DOCKERD_LOG" >&2 || true
            die "dockerd did not answer within 60 s (see $DOCKERD_LOG)"
        fi
        sleep 1
        waited=$((waited + 1))
    done
    say "engine up after ${waited}s: $(docker version --format '{{.Server.Version}}')"
}

# --- the Debian mirror, from apt's configuration ----------------------------------------------
# Prints "<archive-url> <security-url or ->". An archive is a URI whose path ends in /debian.
debian_mirrors() {
    local files=()
    [ -f /etc/apt/sources.list ] && files+=(/etc/apt/sources.list)
    for f in /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources; do
        [ -f "$f" ] && files+=("$f")
    done
    [ "${#files[@]}" -gt 0 ] || { echo "- -"; return; }
    awk '
        function consider(uri) {
            sub(/\/+$/, "", uri)
            if (uri ~ /^(https?|ftp|file):\/\/.*\/debian$/ && main == "") main = uri
            if (uri ~ /^(https?|ftp|file):\/\/.*\/debian-security$/ && sec == "") sec = uri
        }
        function flush(   i) {
            if (enabled && types ~ /(^|[[:space:]])deb([[:space:]]|$)/) for (i = 1; i <= n; i++) consider(u[i])
            enabled = 1; types = ""; n = 0
        }
        FNR == 1 { flush(); deb822 = (FILENAME ~ /\.sources$/) }
        deb822 && /^[[:space:]]*$/ { flush(); next }
        deb822 && tolower($1) == "types:" { types = $0; sub(/^[^:]*:/, "", types); next }
        deb822 && tolower($1) == "enabled:" { enabled = (tolower($2) != "no"); next }
        deb822 && tolower($1) == "uris:" { for (i = 2; i <= NF; i++) u[++n] = $i; next }
        !deb822 && $1 == "deb" {
            i = 2
            if ($i ~ /^\[/) { while (i <= NF && $i !~ /\]$/) i++; i++ }
            consider($i)
        }
        END { flush(); print (main == "" ? "-" : main), (sec == "" ? "-" : sec) }
    ' "${files[@]}"
}

MIRROR='' SECURITY_MIRROR=''
find_mirror() {
    [ -n "$MIRROR" ] && return
    local found
    found=$(debian_mirrors)
    MIRROR=${GUIDECHECK_DEBIAN_MIRROR:-${found% *}}
    SECURITY_MIRROR=${found#* }
    [ "$MIRROR" != "-" ] && [ -n "$MIRROR" ] \
        || die "no Debian archive in /etc/apt/sources.list*; set GUIDECHECK_DEBIAN_MIRROR"
    if [ -n "${GUIDECHECK_DEBIAN_MIRROR:-}" ] || [ "$SECURITY_MIRROR" = "-" ]; then
        SECURITY_MIRROR=
    fi
}

# --- the cached trixie rootfs ------------------------------------------------------------------
# debootstrap once; then make it look like the official slim image: deb822 sources pointing at the
# same mirror, no package lists or caches, dpkg told to skip docs (so images built on it stay small).
ensure_rootfs() {
    [ "$(cat "$ROOTFS/.guidecheck-ready" 2>/dev/null)" = "$ROOTFS_FORMAT" ] && return
    find_mirror
    command -v debootstrap >/dev/null || apt_install debootstrap
    [ -f /usr/share/keyrings/debian-archive-keyring.gpg ] || apt_install debian-archive-keyring
    as_root rm -rf "$ROOTFS" "$ROOTFS.partial"
    as_root mkdir -p "$CACHE"
    say "debootstrap $SUITE from $MIRROR (about 20 s)"
    if ! as_root debootstrap --variant=minbase "$SUITE" "$ROOTFS.partial" "$MIRROR" \
            >"$CACHE/debootstrap.log" 2>&1; then
        tail -n 20 "$CACHE/debootstrap.log" >&2
        die "debootstrap failed (see $CACHE/debootstrap.log)"
    fi
    local r=$ROOTFS.partial
    as_root rm -f "$r/etc/apt/sources.list"
    {
        printf 'Types: deb\nURIs: %s\nSuites: %s %s-updates\nComponents: main\n' "$MIRROR" "$SUITE" "$SUITE"
        printf 'Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg\n'
        if [ -n "$SECURITY_MIRROR" ]; then
            printf '\nTypes: deb\nURIs: %s\nSuites: %s-security\nComponents: main\n' "$SECURITY_MIRROR" "$SUITE"
            printf 'Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg\n'
        fi
    } | as_root tee "$r/etc/apt/sources.list.d/debian.sources" >/dev/null
    printf '%s\n' 'path-exclude /usr/share/doc/*' 'path-include /usr/share/doc/*/copyright' \
        'path-exclude /usr/share/man/*' 'path-exclude /usr/share/info/*' \
        'path-exclude /usr/share/locale/*' 'path-include /usr/share/locale/locale.alias' \
        | as_root tee "$r/etc/dpkg/dpkg.cfg.d/docker" >/dev/null
    printf '%s\n' 'APT::Install-Recommends "false";' \
        | as_root tee "$r/etc/apt/apt.conf.d/docker-no-recommends" >/dev/null
    as_root rm -rf "$r"/usr/share/man/* "$r"/usr/share/info/*
    as_root find "$r/usr/share/doc" -mindepth 1 ! -type d ! -name copyright -delete
    as_root find "$r/usr/share/locale" -mindepth 1 -maxdepth 1 ! -name locale.alias -exec rm -rf {} +
    as_root find "$r/var/lib/apt/lists" "$r/var/cache/apt" -type f -delete
    as_root find "$r/var/log" -type f -delete
    as_root rm -f "$r/etc/resolv.conf" "$r/etc/hostname"
    echo "$ROOTFS_FORMAT" | as_root tee "$r/.guidecheck-ready" >/dev/null
    as_root mv "$r" "$ROOTFS"
}

# --- 2. compose and buildx ---------------------------------------------------------------------
plugin_present() {
    [ -x "$PLUGIN_DIR/docker-$1" ] && return 0
    # Installed elsewhere (a distribution package, ~/.docker): fine, unless a custom target dir was asked for.
    [ -z "${GUIDECHECK_PLUGIN_DIR:-}" ] && docker "$1" version >/dev/null 2>&1
}

ensure_plugins() {
    local missing=() p
    for p in compose buildx; do
        plugin_present "$p" || missing+=("$p")
    done
    [ "${#missing[@]}" -eq 0 ] && return
    say "missing docker plugins: ${missing[*]}; installing them from Debian $SUITE"
    ensure_rootfs
    local work
    work=$(as_root mktemp -d "$CACHE/plugins.XXXXXX")
    # Work on a copy: the cached rootfs stays clean for the base image.
    as_root cp -a "$ROOTFS/." "$work/"
    as_root cp /etc/resolv.conf "$work/etc/resolv.conf"
    if ! as_root chroot "$work" sh -c 'apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq docker-compose docker-buildx' \
            >"$CACHE/plugins.log" 2>&1; then
        tail -n 20 "$CACHE/plugins.log" >&2
        as_root rm -rf "$work"
        die "installing the plugins in the $SUITE chroot failed (see $CACHE/plugins.log)"
    fi
    as_root mkdir -p "$PLUGIN_DIR"
    for p in "${missing[@]}"; do
        as_root install -m 0755 "$work/usr/libexec/docker/cli-plugins/docker-$p" "$PLUGIN_DIR/docker-$p"
        say "installed $PLUGIN_DIR/docker-$p"
    done
    as_root rm -rf "$work"
}

# --- 3. the base image -------------------------------------------------------------------------
# A local import is recognised by its label; an image without a registry digest and without our
# label (or with an older format) is an earlier hand-made import and is replaced.
base_image_ok() {
    local info
    info=$(docker image inspect --format '{{len .RepoDigests}} {{index .Config.Labels "guidecheck.rootfs"}}' \
        "$BASE_IMAGE" 2>/dev/null) || return 1
    [ "${info%% *}" != 0 ] || [ "${info#* }" = "$ROOTFS_FORMAT" ]
}

ensure_base_image() {
    base_image_ok && return
    say "pulling $BASE_IMAGE (at most ${PULL_TIMEOUT}s)"
    if timeout "$PULL_TIMEOUT" docker pull -q "$BASE_IMAGE" >/dev/null 2>&1; then
        say "pulled $BASE_IMAGE"
        return
    fi
    say "no registry answered; importing $BASE_IMAGE from a debootstrapped $SUITE"
    ensure_rootfs
    as_root tar -C "$ROOTFS" --exclude=./.guidecheck-ready --numeric-owner -cf - . \
        | docker import --change 'CMD ["bash"]' --change "LABEL guidecheck.rootfs=$ROOTFS_FORMAT" \
            --message "debootstrap --variant=minbase $SUITE" - "$BASE_IMAGE" >/dev/null
    say "imported $BASE_IMAGE"
}

main() {
    as_root mkdir -p "$CACHE"
    as_root touch "$CACHE/.lock"
    as_root chmod 0666 "$CACHE/.lock"
    # One bootstrap at a time (CI jobs, parallel contributors' shells).
    exec 9>>"$CACHE/.lock"
    flock -w 900 9 || die "another bootstrap-engine.sh holds $CACHE/.lock"
    ensure_engine
    ensure_plugins
    ensure_base_image
    say "ready: engine $(docker version --format '{{.Server.Version}}'), $(docker compose version --short) compose, $BASE_IMAGE"
}

main "$@"
