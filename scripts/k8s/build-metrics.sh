#!/usr/bin/env bash
# Builds one part of the test cluster's metrics pipeline from the Go module proxy and prints the folder
# holding it:
#   adapter         tools/metrics-adapter (custom.metrics.k8s.io and external.metrics.k8s.io, values set
#                   over HTTP; on sigs.k8s.io/custom-metrics-apiserver), with KWOK's ClusterResourceUsage
#                   CRD and its kubelet resource-metrics Metric beside it (from the KWOK module)
#   metrics-server  `go install sigs.k8s.io/metrics-server/cmd/metrics-server@$METRICS_SERVER_VERSION`
#                   (metrics.k8s.io, scraping KWOK's emulated kubelet /metrics/resource)
# Each is cached in $FLEETCAP_CACHE/k8s-metrics/<part>-<hash>/bin, the hash covering its inputs (the
# adapter's go.mod, go.sum and sources and the KWOK version; the metrics-server version); a cached build
# returns at once (.complete marker; flock against a concurrent build of the same inputs).
# Usage: scripts/k8s/build-metrics.sh adapter|metrics-server    folder on stdout, progress on stderr
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
part="${1:-}"
METRICS_SERVER_VERSION="${METRICS_SERVER_VERSION:-v0.8.0}"
KWOK_VERSION="${KWOK_VERSION:-v0.8.0}"
cache="${FLEETCAP_CACHE:-$HOME/.cache/fleetcap}"
command -v go >/dev/null || { echo "fleetcap metrics build: Go is not on PATH (needs Go >= 1.24)" >&2; exit 2; }

case "$part" in
adapter)
  adapter="$root/tools/metrics-adapter"
  hash="$(cd "$adapter" && cat go.mod go.sum $(find . -name '*.go' | sort) | { cat; echo "kwok $KWOK_VERSION"; } | sha256sum | cut -c1-12)"
  files=(metrics-adapter kwok-clusterresourceusages-crd.yaml kwok-metrics-resource.yaml) ;;
metrics-server)
  hash="$(echo "metrics-server $METRICS_SERVER_VERSION" | sha256sum | cut -c1-12)"
  files=(metrics-server) ;;
*) sed -n '2,13p' "$0" >&2; exit 2 ;;
esac
dest="$cache/k8s-metrics/$part-$hash"

complete() { [ -f "$dest/bin/.complete" ] && for f in "${files[@]}"; do [ -s "$dest/bin/$f" ] || return 1; done; }
if complete; then echo "$dest/bin"; exit 0; fi
mkdir -p "$dest"
exec 9>"$dest/.lock"
flock 9
if complete; then echo "$dest/bin"; exit 0; fi

tmp="$dest/bin.tmp.$$"
rm -rf "$tmp"; mkdir -p "$tmp"
trap 'rm -rf "$tmp"' EXIT
start=$(date +%s)
echo "fleetcap metrics build: $part into $dest (cold: many minutes)" >&2
if [ "$part" = adapter ]; then
  (cd "$adapter" && GOFLAGS= nice -n 10 go build -trimpath -ldflags="-s -w" -o "$tmp/metrics-adapter" .)
  kwok_dir="$(GOFLAGS= go mod download -json "sigs.k8s.io/kwok@$KWOK_VERSION" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')"
  cp "$kwok_dir/kustomize/crd/bases/kwok.x-k8s.io_clusterresourceusages.yaml" "$tmp/kwok-clusterresourceusages-crd.yaml"
  cp "$kwok_dir/kustomize/metrics/resource/metrics-resource.yaml" "$tmp/kwok-metrics-resource.yaml"
else
  (cd "$tmp" && GOBIN="$tmp" GOFLAGS= nice -n 10 go install -trimpath -ldflags="-s -w" \
    "sigs.k8s.io/metrics-server/cmd/metrics-server@$METRICS_SERVER_VERSION")
fi
touch "$tmp/.complete"
rm -rf "$dest/bin"
mv "$tmp" "$dest/bin"
echo "fleetcap metrics build: $part done in $(( $(date +%s) - start )) s" >&2
echo "$dest/bin"
