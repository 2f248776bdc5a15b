#!/usr/bin/env bash
# Build k6 with fleetcap's stream reader (scripts/k6-stream: the k6/x/fleetcap-stream extension,
# which times each token of a streamed response) into the fleetcap cache, once per version of
# that source: later runs find the binary and return at once. src/k6/binary.ts computes the same
# hash to find it.
#   $FLEETCAP_CACHE/k6-stream/<hash of scripts/k6-stream's Go files, go.mod and go.sum>/bin/k6
# k6 (AGPL-3.0) is compiled here into a separate measurement program in the user's cache;
# fleetcap neither links nor ships it. Needs Go >= 1.25 and the Go module proxy (or k6 v1.8.1's
# modules already in the module cache, as scripts/test-deps/k6.sh leaves them).
set -euo pipefail
src="$(cd "$(dirname "$0")/../k6-stream" && pwd)"
FLEETCAP_CACHE="${FLEETCAP_CACHE:-$HOME/.cache/fleetcap}"
# The hash: every source file's path and bytes, in a fixed order (src/k6/binary.ts: streamSourceHash).
hash="$(cd "$src" && find . -type f \( -name '*.go' -o -name go.mod -o -name go.sum \) | LC_ALL=C sort |
  while read -r f; do printf '%s\n' "${f#./}"; cat "$f"; done | sha256sum | cut -c1-16)"
# --hash: print it and stop (test/k6/binary.test.ts checks that fleetcap computes the same).
if [ "${1:-}" = --hash ]; then echo "$hash"; exit 0; fi
bin_dir="$FLEETCAP_CACHE/k6-stream/$hash/bin"
if [ -x "$bin_dir/k6" ] && "$bin_dir/k6" version >/dev/null 2>&1; then
  exit 0
fi
if ! command -v go >/dev/null 2>&1; then
  echo "fleetcap: k6 with the stream reader is not cached and Go is not installed; the streaming k6 tests will be skipped" >&2
  echo "fleetcap: install Go >= 1.25 and run $0" >&2
  exit 0
fi
mkdir -p "$FLEETCAP_CACHE/k6-stream"
echo "fleetcap: building k6 with the stream reader into $bin_dir" >&2
start=$(date +%s)
# Build into a temporary folder and move it in whole, so an interrupted build never leaves a
# half-written k6 where the cache check above would trust it.
tmp="$(mktemp -d "$FLEETCAP_CACHE/k6-stream/.build-XXXXXX")"
trap 'rm -rf "$tmp"' EXIT
(cd "$src" && GOFLAGS="${GOFLAGS:-} -trimpath" nice -n 10 go build -o "$tmp/bin/k6" .) >&2
# Only a broken build can be there (the check above returned otherwise): replace it.
rm -rf "${bin_dir%/bin}"
mv "$tmp" "${bin_dir%/bin}"
trap - EXIT
echo "fleetcap: k6 with the stream reader built in $(( $(date +%s) - start )) s" >&2
