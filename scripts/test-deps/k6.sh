#!/usr/bin/env bash
# Build k6 from the Go module proxy into the fleetcap cache, once: later runs find the binary and
# return at once. fleetcap looks in the same place (src/k6/binary.ts), so tests and users share it.
#   $FLEETCAP_CACHE/k6/<version>/bin/k6   (FLEETCAP_CACHE defaults to ~/.cache/fleetcap)
# Needs Go >= 1.25 (k6's go.mod) and the Go module proxy. FLEETCAP_K6_VERSION overrides the version.
set -euo pipefail
FLEETCAP_CACHE="${FLEETCAP_CACHE:-$HOME/.cache/fleetcap}"
version="${FLEETCAP_K6_VERSION:-v1.8.1}"
bin_dir="$FLEETCAP_CACHE/k6/$version/bin"
if [ -x "$bin_dir/k6" ] && "$bin_dir/k6" version >/dev/null 2>&1; then
  exit 0
fi
if ! command -v go >/dev/null 2>&1; then
  echo "fleetcap: k6 $version is not cached and Go is not installed; the k6 tests will be skipped" >&2
  echo "fleetcap: install Go >= 1.25 and run: GOBIN=$bin_dir go install go.k6.io/k6@$version" >&2
  exit 0
fi
mkdir -p "$bin_dir"
echo "fleetcap: building k6 $version into $bin_dir (go install; several minutes on a cold module cache)" >&2
start=$(date +%s)
# Build into a temporary GOBIN and move the binary in whole, so an interrupted build never leaves
# a half-written k6 where the cache check above would trust it.
tmp_bin="$(mktemp -d "$FLEETCAP_CACHE/k6/.build-XXXXXX")"
trap 'rm -rf "$tmp_bin"' EXIT
GOBIN="$tmp_bin" GOFLAGS="${GOFLAGS:-} -trimpath" nice -n 10 go install "go.k6.io/k6@$version" >&2
mv "$tmp_bin/k6" "$bin_dir/k6"
echo "fleetcap: k6 $version built in $(( $(date +%s) - start )) s" >&2
