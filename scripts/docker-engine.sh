#!/usr/bin/env bash
# Makes a Docker engine available and builds the local images that the tests
# and the demo use. Idempotent: an engine that answers is left alone, an
# image that exists is not rebuilt. No registry is needed.
#
# As root with apt it also installs what hosts on one machine need
# (offer.localcluster: the multi-host tests and `offer-cluster`): iproute2,
# iptables and docker-registry. Without them those tests are skipped.
set -euo pipefail

IMAGE="offer-test/busybox:latest"
LOG="${DOCKERD_LOG:-/var/log/offer-dockerd.log}"

say() { echo "docker-engine: $*" >&2; }

need_docker() {
    say "a Docker engine is needed and none answers at ${DOCKER_HOST:-unix:///var/run/docker.sock}."
    say "$1"
    say "Install Docker (https://docs.docker.com/engine/install/, or 'apt-get install docker.io' on Debian/Ubuntu as root), start it, and run this again."
    exit 1
}

engine_answers() { docker info >/dev/null 2>&1; }

install_packages() {
    local missing=()
    command -v dockerd >/dev/null 2>&1 || missing+=(docker.io)
    [ -x /bin/busybox ] && file_is_static /bin/busybox || missing+=(busybox-static)
    [ ${#missing[@]} -eq 0 ] && return 0
    [ "$(id -u)" -eq 0 ] || need_docker "This is not root, so ${missing[*]} cannot be installed here."
    command -v apt-get >/dev/null 2>&1 || need_docker "There is no apt-get here to install ${missing[*]}."
    say "installing ${missing[*]} from Debian packages"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
}

file_is_static() { ! ldd "$1" >/dev/null 2>&1; }

# The tools for several hosts on this machine (offer.localcluster). Never fatal.
install_host_tools() {
    local missing=()
    command -v ip >/dev/null 2>&1 || missing+=(iproute2)
    command -v iptables >/dev/null 2>&1 || missing+=(iptables)
    command -v nsenter >/dev/null 2>&1 || missing+=(util-linux)
    command -v docker-registry >/dev/null 2>&1 || missing+=(docker-registry)
    # PostgreSQL's binaries: the tests make their own server with initdb.
    compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null || missing+=(postgresql)
    # Debian's chromium: the web UI's browser tests drive it with Playwright.
    command -v chromium >/dev/null 2>&1 || missing+=(chromium)
    [ ${#missing[@]} -eq 0 ] && return 0
    if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
        say "${missing[*]} missing and not installable here (needs root and apt-get):"
        say "multi-host and PostgreSQL tests will be skipped and offer-cluster will not run."
        return 0
    fi
    say "installing ${missing[*]} from Debian packages (for hosts on one machine)"
    apt-get update -qq
    # policy-rc.d: the packages' own services must not start (the registry
    # would take port 5000, PostgreSQL 5432): each set of hosts runs its own
    # registry on its bridge, and the tests their own PostgreSQL server.
    local policy=/usr/sbin/policy-rc.d made_policy=""
    if [ ! -e "$policy" ]; then
        printf '#!/bin/sh\nexit 101\n' >"$policy" && chmod +x "$policy" && made_policy=1
    fi
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
        "${missing[@]}" >/dev/null || say "installing ${missing[*]} failed: multi-host tests will be skipped"
    [ -n "$made_policy" ] && rm -f "$policy"
    return 0
}

start_engine() {
    [ "$(id -u)" -eq 0 ] || need_docker "This is not root, so the engine cannot be started here."
    say "starting dockerd (log: $LOG)"
    # --ip 127.0.0.1: published ports answer on loopback only.
    setsid dockerd --host unix:///var/run/docker.sock --ip 127.0.0.1 >"$LOG" 2>&1 < /dev/null &
    for _ in $(seq 1 120); do
        engine_answers && return 0
        sleep 0.25
    done
    say "dockerd did not answer within 30 s; the end of its log:"
    tail -n 20 "$LOG" >&2 || true
    exit 1
}

build_image() {
    docker image inspect "$IMAGE" >/dev/null 2>&1 && return 0
    if ! { [ -x /bin/busybox ] && file_is_static /bin/busybox; }; then
        [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1 || \
            { say "a static /bin/busybox is needed to build $IMAGE (apt-get install busybox-static)"; exit 1; }
        install_packages
    fi
    say "building $IMAGE from the static busybox"
    local root
    root=$(mktemp -d)
    mkdir -p "$root/bin" "$root/tmp" "$root/www"
    cp /bin/busybox "$root/bin/busybox"
    for applet in $(/bin/busybox --list); do
        [ "$applet" = busybox ] || ln -sf busybox "$root/bin/$applet"
    done
    echo "ok" > "$root/www/index.html"
    tar -C "$root" -cf "$root.tar" .
    docker import --change 'ENV PATH=/bin' --change 'CMD ["sh"]' "$root.tar" "$IMAGE" >/dev/null
    rm -rf "$root" "$root.tar"
}

if ! engine_answers; then
    install_packages
    engine_answers || start_engine
fi
build_image
install_host_tools
say "engine ready ($(docker version --format '{{.Server.Version}}')), image $IMAGE present"
