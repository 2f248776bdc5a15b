#!/usr/bin/env bash
# Training speed of the neural forecaster per TensorFlow.js backend, on a fixed workload (100 M4
# hourly series + 50 seeded synthetic ones, horizon 48, input 168, a fixed number of steps):
#   scripts/gpu-check.sh [BACKEND...]       default: tensorflow-gpu tensorflow wasm cpu
# Env: FLEETCAP_SKIP_INSTALL=1 keeps node_modules (no npm ci); GPU_CHECK_STEPS (default 300),
# GPU_CHECK_BATCH (1024), GPU_CHECK_HIDDEN (256), GPU_CHECK_MEMBERS (1: networks of an ensemble,
# each trained GPU_CHECK_STEPS); GPU_CHECK_DRY=1 = 5 steps of 64 (a CPU dry run).
# Prints, per backend, the backend that actually ran (a named backend that cannot load is reported
# as failed with its reason, never replaced by another), steps/s, windows/s, wall and CPU seconds,
# then a table. On a CUDA machine run it as is: npm ci tries the optional native packages
# (@tensorflow/tfjs-node-gpu needs its libtensorflow download and CUDA libraries).
set -uo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
steps="${GPU_CHECK_STEPS:-300}"; batch="${GPU_CHECK_BATCH:-1024}"; hidden="${GPU_CHECK_HIDDEN:-256}"; members="${GPU_CHECK_MEMBERS:-1}"
if [ "${GPU_CHECK_DRY:-0}" = 1 ]; then steps=5; batch=64; hidden=32; fi
backends=("$@"); [ ${#backends[@]} -eq 0 ] && backends=(tensorflow-gpu tensorflow wasm cpu)
command -v nvidia-smi >/dev/null && nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv || echo "gpu-check: no nvidia-smi on PATH"
[ "${FLEETCAP_SKIP_INSTALL:-0}" = 1 ] || fleetcap_npm_ci
for pkg in @tensorflow/tfjs-node-gpu @tensorflow/tfjs-node; do
  node -e "import('$pkg').then(()=>console.log('gpu-check: $pkg loads'),(e)=>console.log('gpu-check: $pkg does not load: '+String(e.message).split('\n')[0].slice(0,200)))"
done
npm run build --silent || exit 1
mkdir -p .cache
results=.cache/gpu-check.jsonl; : > "$results"
for b in "${backends[@]}"; do
  echo "== $b: $members × $steps steps of $batch windows, hidden $hidden"
  node dist/bench/forecast-backends.js --backend="$b" --steps="$steps" --batch-size="$batch" --hidden-units="$hidden" --members="$members" | tee -a "$results"
done
node -e '
  const rows = require("fs").readFileSync(process.argv[1], "utf8").trim().split("\n").map((l) => JSON.parse(l))
  console.log("backend         used            steps/s   windows/s   wall s    CPU s")
  for (const r of rows) {
    if (r.error) { console.log(`${r.requested.padEnd(16)}FAILED: ${r.error}`); continue }
    console.log(`${r.requested.padEnd(16)}${r.used.padEnd(16)}${String(r.stepsPerS).padStart(7)}${String(r.windowsPerS).padStart(12)}${String(r.wallS).padStart(9)}${String(r.cpuS).padStart(9)}`)
    for (const s of r.skipped) console.log(`                skipped ${s}`)
  }
' "$results"
