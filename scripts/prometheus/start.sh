#!/usr/bin/env bash
# Start a throwaway Prometheus (Debian's /usr/bin/prometheus) on loopback for tests and demos.
#   scripts/prometheus/start.sh DIR PORT [SCRAPE_TARGET host:port]
# DIR holds the config, the TSDB (DIR/data: fill it first with fill.sh to serve known data) and
# prometheus.pid / prometheus.log. Retention is unlimited so backfilled history is never deleted.
# Waits until the server is ready, then prints its URL. Stop it with stop.sh DIR.
set -euo pipefail
dir="${1:?usage: start.sh DIR PORT [SCRAPE_TARGET]}"
port="${2:?usage: start.sh DIR PORT [SCRAPE_TARGET]}"
target="${3:-}"
bin="${PROMETHEUS_BIN:-$(command -v prometheus || echo /usr/bin/prometheus)}"
[ -x "$bin" ] || { echo "start.sh: prometheus not found; run scripts/test-deps/prometheus.sh" >&2; exit 1; }
mkdir -p "$dir/data"
{
  echo "global:"
  echo "  scrape_interval: 1s"
  echo "  evaluation_interval: 1s"
  echo "scrape_configs:"
  if [ -n "$target" ]; then
    echo "  - job_name: fleetcap_exporter"
    echo "    static_configs:"
    echo "      - targets: ['$target']"
  else
    echo "  []"
  fi
} > "$dir/prometheus.yml"
"$bin" --config.file="$dir/prometheus.yml" \
  --storage.tsdb.path="$dir/data" \
  --storage.tsdb.retention.time=100y \
  --web.listen-address="127.0.0.1:$port" \
  --web.enable-admin-api \
  --log.level=warn > "$dir/prometheus.log" 2>&1 &
echo $! > "$dir/prometheus.pid"
url="http://127.0.0.1:$port"
# Readiness over bash's /dev/tcp: no curl needed on a bare machine.
ready() {
  local status
  exec 3<>"/dev/tcp/127.0.0.1/$port" || return 1
  printf 'GET /-/ready HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n' >&3
  read -r _ status _ <&3 || true
  exec 3<&- 3>&-
  [ "$status" = "200" ]
}
for _ in $(seq 1 150); do
  if ready 2>/dev/null; then echo "$url"; exit 0; fi
  if ! kill -0 "$(cat "$dir/prometheus.pid")" 2>/dev/null; then
    echo "start.sh: prometheus exited; its log:" >&2; cat "$dir/prometheus.log" >&2; exit 1
  fi
  sleep 0.2
done
echo "start.sh: prometheus not ready after 30 s; its log:" >&2
cat "$dir/prometheus.log" >&2
kill "$(cat "$dir/prometheus.pid")" 2>/dev/null || true
exit 1
