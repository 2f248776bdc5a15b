#!/usr/bin/env bash
# Installs what the forecast tests need: Debian's `prometheus` package (prometheus + promtool), so
# that test/forecast starts a real Prometheus on loopback. Idempotent and quick when already there:
# `apt-get update` runs only when the package is missing. Needs root (or sudo) on Debian/Ubuntu.
set -euo pipefail
if command -v prometheus >/dev/null 2>&1 && command -v promtool >/dev/null 2>&1; then
  exit 0
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
    echo "prometheus.sh: prometheus is missing and this user is not root; install Debian's 'prometheus' package" >&2
    exit 1
  fi
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "prometheus.sh: no apt-get here; install prometheus and promtool (https://prometheus.io/download/) onto PATH" >&2
  exit 1
fi
echo "prometheus.sh: installing Debian's prometheus package" >&2
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq >&2
# --no-install-recommends: the exporters and web assets it recommends are not needed by the tests.
# policy-rc.d keeps the package's post-install from starting a system Prometheus service.
policy=/usr/sbin/policy-rc.d
made_policy=0
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\nexit 101\n' | $SUDO tee "$policy" >/dev/null
  $SUDO chmod +x "$policy"
  made_policy=1
fi
trap '[ "$made_policy" = 1 ] && $SUDO rm -f "$policy"' EXIT
$SUDO apt-get install -y -qq --no-install-recommends prometheus >&2
command -v prometheus >/dev/null && command -v promtool >/dev/null
