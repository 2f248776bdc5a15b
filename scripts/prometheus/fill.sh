#!/usr/bin/env bash
# Backfill a Prometheus TSDB with known samples before start.sh serves it:
#   scripts/prometheus/fill.sh DIR FILE.om
# FILE.om is OpenMetrics text (`name{labels} value epoch_seconds` lines, ending with `# EOF`);
# promtool writes the blocks into DIR/data. Deterministic: the same file gives the same data.
set -euo pipefail
dir="${1:?usage: fill.sh DIR FILE.om}"
file="${2:?usage: fill.sh DIR FILE.om}"
tool="${PROMTOOL_BIN:-$(command -v promtool || echo /usr/bin/promtool)}"
[ -x "$tool" ] || { echo "fill.sh: promtool not found; run scripts/test-deps/prometheus.sh" >&2; exit 1; }
mkdir -p "$dir/data"
"$tool" tsdb create-blocks-from openmetrics --quiet "$file" "$dir/data" >"$dir/fill.log" 2>&1 || {
  echo "fill.sh: promtool failed:" >&2; cat "$dir/fill.log" >&2; exit 1; }
