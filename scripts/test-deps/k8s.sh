#!/usr/bin/env bash
# Test dependency of test/k8s: the loopback control plane binaries (etcd, kube-apiserver,
# kube-controller-manager, kube-scheduler, kwok), built from the Go module proxy once and cached in
# $FLEETCAP_CACHE/k8s/ (see scripts/k8s/build.sh). Idempotent: a cached build returns at once.
set -euo pipefail
cd "$(dirname "$0")/../.."
scripts/k8s/build.sh >/dev/null
