#!/usr/bin/env bash
# Builds the loopback test control plane from the Go module proxy and prints the folder holding it:
# etcd, kube-apiserver, kube-controller-manager, kube-scheduler (one `go build` of tools/k8s-wrapper,
# so they share one compile) and kwok (`go install sigs.k8s.io/kwok/cmd/kwok@$KWOK_VERSION`).
# Binaries are cached in $FLEETCAP_CACHE/k8s/<version>-<hash>/bin, the hash covering the wrapper's
# go.mod, go.sum and sources and the KWOK version; a cached build returns at once. GOMODCACHE and
# GOCACHE stay at Go's defaults (they persist on the machine and make a rebuild fast).
# Usage: scripts/k8s/build.sh            prints the bin folder on stdout, progress on stderr
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
wrapper="$root/tools/k8s-wrapper"
KWOK_VERSION="${KWOK_VERSION:-v0.8.0}"
cache="${FLEETCAP_CACHE:-$HOME/.cache/fleetcap}"

command -v go >/dev/null || { echo "fleetcap k8s build: Go is not on PATH (needs Go >= 1.24)" >&2; exit 2; }
k8s_version="$(awk '$1 == "k8s.io/kubernetes" && $2 ~ /^v1\./ { print $2; exit }' "$wrapper/go.mod")"
[ -n "$k8s_version" ] || { echo "fleetcap k8s build: no k8s.io/kubernetes requirement in $wrapper/go.mod" >&2; exit 2; }
hash="$(cd "$wrapper" && cat go.mod go.sum $(find cmd -name '*.go' | sort) | { cat; echo "kwok $KWOK_VERSION"; } | sha256sum | cut -c1-12)"
dest="$cache/k8s/$k8s_version-$hash"
bins=(etcd kube-apiserver kube-controller-manager kube-scheduler kwok)

complete() { [ -f "$dest/bin/.complete" ] && for b in "${bins[@]}"; do [ -x "$dest/bin/$b" ] || return 1; done; }

# KWOK (since v0.8.0) simulates nothing without stages: gather its own default "fast" policy (nodes
# become Ready and keep a heartbeat; scheduled pods become Running and Ready; deleted pods go away)
# from the KWOK module's kustomize/stage folder, at the same version as the binary.
stages() {
  [ -s "$dest/bin/kwok-stages.yaml" ] && return 0
  local dir f
  dir="$(GOFLAGS= go mod download -json "sigs.k8s.io/kwok@$KWOK_VERSION" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')"
  [ -d "$dir/kustomize/stage" ] || { echo "fleetcap k8s build: KWOK stages not found in the module cache ($dir)" >&2; return 1; }
  for f in node/fast/node-initialize.yaml node/heartbeat/node-heartbeat.yaml pod/fast/pod-ready.yaml pod/fast/pod-complete.yaml pod/fast/pod-delete.yaml; do
    echo "---"; cat "$dir/kustomize/stage/$f"
  done >"$dest/bin/kwok-stages.yaml.tmp"
  mv "$dest/bin/kwok-stages.yaml.tmp" "$dest/bin/kwok-stages.yaml"
}

if complete; then stages; echo "$dest/bin"; exit 0; fi

mkdir -p "$dest"
exec 9>"$dest/.lock"
flock 9                      # another run may be building the same version: wait for it
if complete; then stages; echo "$dest/bin"; exit 0; fi

tmp="$dest/bin.tmp.$$"
rm -rf "$tmp"; mkdir -p "$tmp"
trap 'rm -rf "$tmp"' EXIT
minor="${k8s_version#v1.}"; minor="${minor%%.*}"
# Stamp the version the way hack/lib/version.sh does; unstamped binaries report v0.0.0-master.
stamp="-X k8s.io/component-base/version.gitVersion=$k8s_version -X k8s.io/component-base/version.gitMajor=1"
stamp="$stamp -X k8s.io/component-base/version.gitMinor=$minor -X k8s.io/component-base/version.gitTreeState=clean"
start=$(date +%s)
echo "fleetcap k8s build: building Kubernetes $k8s_version control plane + etcd into $dest (cold: many minutes)" >&2
(cd "$wrapper" && nice -n 10 go build -trimpath -ldflags="-s -w $stamp" -o "$tmp/" \
  ./cmd/etcd k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kube-controller-manager \
  k8s.io/kubernetes/cmd/kube-scheduler)
echo "fleetcap k8s build: building kwok $KWOK_VERSION" >&2
(cd "$tmp" && GOBIN="$tmp" GOFLAGS= nice -n 10 go install -trimpath -ldflags="-s -w" "sigs.k8s.io/kwok/cmd/kwok@$KWOK_VERSION")
touch "$tmp/.complete"
rm -rf "$dest/bin"
mv "$tmp" "$dest/bin"
stages
echo "fleetcap k8s build: done in $(( $(date +%s) - start )) s" >&2
echo "$dest/bin"
