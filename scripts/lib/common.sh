# Shared by scripts/setup, scripts/test and scripts/develop. Source it; do not run it.
# shellcheck shell=bash

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
ENVS="$REPO/.venvs"

# Oldest supported Home Assistant (Python 3.13) and newest (Python 3.14).
OLD_NAME="ha-2025.4"
NEW_NAME="ha-2026.10"
OLD_VENV="$ENVS/$OLD_NAME"

# Python 3.14 comes from the host when it has one, otherwise from a Debian sid
# root (Debian 12 has no 3.14, and sid's needs a newer glibc than the host's).
SID_ROOT="$ENVS/sid-root"
SID_VENV="/opt/voice-guard-venv"      # path inside the sid root

log() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

find_python313() {
    local candidate
    for candidate in python3.13 "$(pyenv root 2>/dev/null)/versions/3.13.0/bin/python3.13"; do
        if command -v "$candidate" >/dev/null 2>&1 && "$candidate" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 13))' 2>/dev/null; then
            command -v "$candidate"
            return 0
        fi
    done
    # pyenv may hold another 3.13.x
    for candidate in "$(pyenv root 2>/dev/null)"/versions/3.13.*/bin/python3.13; do
        [ -x "$candidate" ] && { echo "$candidate"; return 0; }
    done
    return 1
}

host_python314() {
    command -v python3.14 >/dev/null 2>&1 \
        && python3.14 -c 'import sys; sys.exit(sys.version_info < (3, 14, 2))' 2>/dev/null \
        && command -v python3.14
}

# Where the newest environment lives: "host" (a venv beside the old one) or "sid".
new_env_kind() {
    if [ -n "${VOICE_GUARD_FORCE_SID:-}" ]; then echo sid; return; fi
    if host_python314 >/dev/null; then echo host; else echo sid; fi
}

# Run a command inside the sid root, with the repository, the pip cache and
# /dev, /proc bind-mounted. A private mount namespace (unshare -m) makes every
# mount vanish when the command ends, even when it is killed.
in_sid() {
    local pip_cache="${PIP_CACHE_DIR:-$HOME/.cache/pip}"
    mkdir -p "$pip_cache"
    unshare --mount --propagation private -- /bin/bash -c '
        set -e
        root=$1; repo=$2; cache=$3; shift 3
        mkdir -p "$root$repo" "$root/root/.cache/pip"
        mount --rbind /dev "$root/dev"
        mount -t proc proc "$root/proc"
        mount --bind "$repo" "$root$repo"
        mount --bind "$cache" "$root/root/.cache/pip"
        cp -L /etc/resolv.conf "$root/etc/resolv.conf" 2>/dev/null || true
        cp /etc/ssl/certs/ca-certificates.crt "$root/etc/ssl/certs/ca-certificates.crt" 2>/dev/null || true
        exec chroot "$root" /usr/bin/env -i HOME=/root PATH=/usr/local/bin:/usr/bin:/bin \
            LANG=C.UTF-8 TERM="${TERM:-dumb}" CI="${CI:-}" SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt \
            /bin/bash -c "cd \"\$0\" && exec \"\$@\"" "$repo" "$@"
    ' in_sid "$SID_ROOT" "$REPO" "$pip_cache" "$@"
}

# Run a command with the newest environment's bin/ first on PATH.
run_new() {
    if [ "$(new_env_kind)" = host ]; then
        PATH="$ENVS/$NEW_NAME/bin:$PATH" "$@"
    else
        in_sid /usr/bin/env PATH="$SID_VENV/bin:/usr/local/bin:/usr/bin:/bin" "$@"
    fi
}

run_old() {
    PATH="$OLD_VENV/bin:$PATH" "$@"
}

# The browser test: Debian's Chromium driven by this exact playwright-core (which never
# downloads a browser of its own), installed under .venvs/node.
PLAYWRIGHT_VERSION=1.65.1
NODE_ENV_DIR="$ENVS/node"
CHROMIUM=/usr/bin/chromium

browser_ready() {
    [ -x "$CHROMIUM" ] && command -v node >/dev/null \
        && grep -q "\"version\": \"$PLAYWRIGHT_VERSION\"" "$NODE_ENV_DIR/node_modules/playwright-core/package.json" 2>/dev/null
}

# A fingerprint of what an environment was built from, to skip pip when nothing changed.
requirements_stamp() {
    cat "$REPO/requirements/"*.txt | sha256sum | cut -d' ' -f1
}

# True when both environments exist and match the requirements.
environments_ready() {
    local stamp; stamp=$(requirements_stamp)
    [ "$(cat "$OLD_VENV/.voice-guard-stamp" 2>/dev/null)" = "$stamp" ] || return 1
    if [ "$(new_env_kind)" = host ]; then
        [ "$(cat "$ENVS/$NEW_NAME/.voice-guard-stamp" 2>/dev/null)" = "$stamp" ] || return 1
    else
        [ "$(cat "$SID_ROOT$SID_VENV/.voice-guard-stamp" 2>/dev/null)" = "$stamp" ] || return 1
    fi
    command -v espeak-ng >/dev/null && command -v sox >/dev/null && browser_ready
}
