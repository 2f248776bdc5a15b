#!/usr/bin/env bash
# Test dependency of test/k8s-hpa: the test cluster's metrics pipeline (metrics-server and
# tools/metrics-adapter), built from the Go module proxy once and cached in $FLEETCAP_CACHE/k8s-metrics/
# (see scripts/k8s/build-metrics.sh). Idempotent: a cached build returns at once.
set -euo pipefail
cd "$(dirname "$0")/../.."
scripts/k8s/build-metrics.sh adapter >/dev/null
scripts/k8s/build-metrics.sh metrics-server >/dev/null
