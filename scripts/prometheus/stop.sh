#!/usr/bin/env bash
# Stop the Prometheus that start.sh DIR started (by its pid file only), and wait for it to exit.
set -euo pipefail
dir="${1:?usage: stop.sh DIR}"
pidfile="$dir/prometheus.pid"
[ -f "$pidfile" ] || exit 0
pid="$(cat "$pidfile")"
if kill -0 "$pid" 2>/dev/null; then
  kill "$pid"
  for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -0 "$pid" 2>/dev/null && kill -9 "$pid" || true
fi
rm -f "$pidfile"
