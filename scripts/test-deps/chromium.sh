#!/usr/bin/env bash
# Install Chromium from the Debian archive for the HTML report's browser tests (test/report/), once:
# a later run finds /usr/bin/chromium and returns at once. The .deb files are kept under
#   $FLEETCAP_CACHE/apt-archives   (FLEETCAP_CACHE defaults to ~/.cache/fleetcap)
# so a rebuilt machine with the same cache installs without downloading again.
# Needs root and apt-get (Debian/Ubuntu). Without them the browser tests skip (they fail under CI=true).
set -euo pipefail
FLEETCAP_CACHE="${FLEETCAP_CACHE:-$HOME/.cache/fleetcap}"
bin="${FLEETCAP_CHROMIUM:-/usr/bin/chromium}"
if [ -x "$bin" ] && "$bin" --version >/dev/null 2>&1; then
  exit 0
fi
if ! command -v apt-get >/dev/null 2>&1 || [ "$(id -u)" != 0 ]; then
  echo "fleetcap: Chromium is not installed and this is not a root shell with apt-get; the browser tests will be skipped" >&2
  echo "fleetcap: install it with: sudo apt-get install -y chromium" >&2
  exit 0
fi
archives="$FLEETCAP_CACHE/apt-archives"
mkdir -p "$archives/partial"
echo "fleetcap: installing chromium from the Debian archive (debs cached in $archives)" >&2
start=$(date +%s)
export DEBIAN_FRONTEND=noninteractive
# The package lists may be missing on a fresh image; refresh them once if chromium is unknown.
if ! apt-cache show chromium >/dev/null 2>&1; then apt-get update -qq >&2; fi
apt-get install -y -qq --no-install-recommends -o "Dir::Cache::archives=$archives" chromium fonts-dejavu-core >&2 \
  || { apt-get update -qq >&2 && apt-get install -y -qq --no-install-recommends -o "Dir::Cache::archives=$archives" chromium fonts-dejavu-core >&2; }
"$bin" --version >&2
echo "fleetcap: chromium installed in $(( $(date +%s) - start )) s" >&2
