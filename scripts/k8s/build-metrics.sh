#!/usr/bin/env bash
# Builds the test cluster's metrics pipeline from the Go module proxy and prints the folder holding it:
# metrics-server (`go install sigs.k8s.io/metrics-server/cmd/metrics-server@$METRICS_SERVER_VERSION`,
# it serves metrics.k8s.io by scraping KWOK's emulated kubelet /metrics/resource) and
# tools/metrics-adapter (custom.metrics.k8s.io and external.metrics.k8s.io, values set over HTTP;
# built on sigs.k8s.io/custom-metrics-apiserver). Beside them: KWOK's ClusterResourceUsage CRD and
# its kubelet resource-metrics Metric, from the KWOK module at the control plane's version.
# Cached in $FLEETCAP_CACHE/k8s-metrics/<hash>/bin, the hash covering the adapter's go.mod, go.sum
# and sources and both versions; a cached build returns at once (.complete marker, flock).
# Usage: scripts/k8s/build-metrics.sh      prints the bin folder on stdout, progress on stderr
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
adapter="$root/tools/metrics-adapter"
METRICS_SERVER_VERSION="${METRICS_SERVER_VERSION:-v0.8.0}"
KWOK_VERSION="${KWOK_VERSION:-v0.8.0}"
cache="${FLEETCAP_CACHE:-$HOME/.cache/fleetcap}"

command -v go >/dev/null || { echo "fleetcap metrics build: Go is not on PATH (needs Go >= 1.24)" >&2; exit 2; }
hash="$(cd "$adapter" && cat go.mod go.sum $(find . -name '*.go' | sort) \
  | { cat; echo "metrics-server $METRICS_SERVER_VERSION kwok $KWOK_VERSION"; } | sha256sum | cut -c1-12)"
dest="$cache/k8s-metrics/$METRICS_SERVER_VERSION-$hash"
files=(metrics-server metrics-adapter kwok-clusterresourceusages-crd.yaml kwok-metrics-resource.yaml)

complete() { [ -f "$dest/bin/.complete" ] && for f in "${files[@]}"; do [ -s "$dest/bin/$f" ] || return 1; done; }
if complete; then echo "$dest/bin"; exit 0; fi

mkdir -p "$dest"
exec 9>"$dest/.lock"
flock 9                      # another run may be building the same inputs: wait for it
if complete; then echo "$dest/bin"; exit 0; fi

tmp="$dest/bin.tmp.$$"
rm -rf "$tmp"; mkdir -p "$tmp"
trap 'rm -rf "$tmp"' EXIT
start=$(date +%s)
echo "fleetcap metrics build: metrics-server $METRICS_SERVER_VERSION into $dest (cold: minutes)" >&2
(cd "$tmp" && GOBIN="$tmp" GOFLAGS= nice -n 10 go install -trimpath -ldflags="-s -w" \
  "sigs.k8s.io/metrics-server/cmd/metrics-server@$METRICS_SERVER_VERSION")
echo "fleetcap metrics build: tools/metrics-adapter" >&2
(cd "$adapter" && GOFLAGS= nice -n 10 go build -trimpath -ldflags="-s -w" -o "$tmp/metrics-adapter" .)
kwok_dir="$(GOFLAGS= go mod download -json "sigs.k8s.io/kwok@$KWOK_VERSION" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')"
cp "$kwok_dir/kustomize/crd/bases/kwok.x-k8s.io_clusterresourceusages.yaml" "$tmp/kwok-clusterresourceusages-crd.yaml"
cp "$kwok_dir/kustomize/metrics/resource/metrics-resource.yaml" "$tmp/kwok-metrics-resource.yaml"
touch "$tmp/.complete"
rm -rf "$dest/bin"
mv "$tmp" "$dest/bin"
echo "fleetcap metrics build: done in $(( $(date +%s) - start )) s" >&2
echo "$dest/bin"
