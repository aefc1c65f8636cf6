#!/usr/bin/env bash
# Installs what ClassBridge needs on Debian 12 and builds it into build/.
# Idempotent: packages already installed, an unchanged npm lock file and an up-to-date
# build are each skipped in a second or two.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

log() { printf '\033[1msetup:\033[0m %s\n' "$*"; }

sudo_if_needed() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

# 1. Debian packages, by exact name (scripts/packages.txt), only those missing.
mapfile -t wanted < <(grep -v -E '^\s*(#|$)' scripts/packages.txt)
missing=()
for p in "${wanted[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then missing+=(nodejs npm); fi
if [ ${#missing[@]} -gt 0 ]; then
  log "installing ${#missing[@]} Debian packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  sudo_if_needed apt-get update -qq
  sudo_if_needed apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# 2. npm packages from the lock file (playwright-core drives Debian's chromium; hls.js plays VOD).
if [ ! -f node_modules/.cb-lock ] || ! cmp -s package-lock.json node_modules/.cb-lock; then
  log "npm ci"
  npm ci --no-audit --no-fund --loglevel=error
  cp package-lock.json node_modules/.cb-lock
fi

# 3. Build.
BUILD_DIR=${CB_BUILD_DIR:-build}
if [ ! -f "$BUILD_DIR/build.ninja" ]; then
  log "configuring $BUILD_DIR"
  cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo ${CB_CMAKE_ARGS:-}
fi
log "building $BUILD_DIR"
cmake --build "$BUILD_DIR" -j "$(nproc)" ${CB_BUILD_TARGETS:+--target $CB_BUILD_TARGETS}
