#!/usr/bin/env bash
# Check the GPU path of the neural forecaster on a CUDA machine:
#   scripts/gpu-check.sh [BACKEND]     (default tensorflow-gpu; `auto` shows what auto picks)
# Installs the dependencies (npm ci; @tensorflow/tfjs-node-gpu is optional and needs its
# libtensorflow download to succeed), builds, trains the N-BEATS-like model on the NAB taxi series
# with the backend, and prints the backend used, why others were skipped, and the timings.
# Then the same training on wasm for comparison.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
backend="${1:-tensorflow-gpu}"
taxi="${FLEETCAP_TAXI:-data/traces/nab_nyc_taxi_30min.csv}"
command -v nvidia-smi >/dev/null && nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv || echo "gpu-check: no nvidia-smi on PATH"
# FLEETCAP_SKIP_INSTALL=1 keeps the installed node_modules (e.g. a shared one).
[ "${FLEETCAP_SKIP_INSTALL:-0}" = 1 ] || fleetcap_npm_ci
if ! node -e "import('@tensorflow/tfjs-node-gpu').then(()=>process.exit(0),()=>process.exit(1))" 2>/dev/null; then
  echo "gpu-check: @tensorflow/tfjs-node-gpu did not load after npm ci; its install log:" >&2
  (cd node_modules/@tensorflow/tfjs-node-gpu 2>/dev/null && npm run install 2>&1 | tail -20) || echo "gpu-check: the package is not installed (its install script failed or was skipped)" >&2
fi
npm run build --silent
mkdir -p .cache
for b in "$backend" wasm; do
  echo "== training on --backend $b"
  start=$(date +%s.%N)
  node bin/run.js forecast run --series "$taxi" --model nbeats --horizon 1d --backend "$b" --seed 1 --json > ".cache/gpu-check-$b.json" 2> ".cache/gpu-check-$b.err" || {
    echo "gpu-check: backend $b failed:"; cat ".cache/gpu-check-$b.err"; continue; }
  end=$(date +%s.%N)
  node -e '
    const j = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"))
    const skipped = j.backend.attempts.filter((a) => !a.ok).map((a) => `${a.backend}: ${a.reason}`)
    console.log(`backend used: ${j.backend.used} (tf: ${j.backend.tfBackend}, init ${j.backend.initMs} ms)`)
    for (const s of skipped) console.log(`  skipped ${s}`)
    console.log(`training: ${j.params.trainMs} ms, ${j.params.epochs} epochs, ${j.params.windows} windows; whole command ${process.argv[2]} s`)
  ' ".cache/gpu-check-$b.json" "$(node -e "console.log(($end - $start).toFixed(1))")"
done
