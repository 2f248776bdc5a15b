#!/usr/bin/env bash
# `npm run bench`: every benchmark, one after another, each printing its figures and ratios.
#   bash bench/all.sh [--quick] [--only startup|sim|autoscale|planner|band|sweep|forecast|k8s|report|llama]
# The k8s case needs the local control plane's binaries (scripts/k8s/build.sh, cached after one build).
set -euo pipefail
cd "$(dirname "$0")/.."
quick=""
only=""
while [ $# -gt 0 ]; do
  case "$1" in
    --quick) quick="--quick" ;;
    --only) only="$2"; shift ;;
    *) echo "bench: unknown argument $1" >&2; exit 2 ;;
  esac
  shift
done
want() { [ -z "$only" ] || [ "$only" = "$1" ]; }
section() { printf '\n=== %s ===\n' "$1"; }

if want startup; then section "CLI start (fleetcap --version, a 64-request simulate)"; node dist/bench/startup.js; fi
if want sim; then section "simulator (M/M/c vs SimPy, Azure trace, 10M requests)"; node dist/bench/run.js $quick; fi
if want autoscale; then section "autoscaling overhead"; node dist/bench/autoscale.js $quick; fi
if want planner; then section "planner"; node dist/bench/planner.js; fi
if want band; then section "uncertainty band (simulate --band, plan --risk)"; node dist/bench/band.js; fi
if want sweep; then section "sweep (1,000 cells at 1 and N workers; a year at 50,000 tasks/day)"; node dist/bench/sweep.js $quick; fi
if want forecast; then section "forecasting (M4 backtest, N-BEATS training)"; node dist/bench/forecast.js; fi
if want report; then section "HTML report of a 10M-request run (size, first paint in Chromium)"; node dist/bench/report.js $quick; fi
# The closed loop on a real engine (llama.cpp on the CPU): only with --only llama, it runs k6 for minutes.
if [ "$only" = llama ]; then
  section "closed loop on llama.cpp (probe, k6 A, calibrate, predict and measure B, C, onset)"
  bash scripts/test-deps/llama.sh >&2
  node dist/bench/llama.js $quick
fi
if want k8s; then
  section "apply-to-cluster, 100 replicas"
  bash scripts/k8s/build.sh >&2
  node dist/bench/k8s.js
fi
