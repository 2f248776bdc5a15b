#!/usr/bin/env bash
# The differential run of fleetcap's HPA model against the real kube-controller-manager HPA controller
# (test/k8s-hpa/differential.test.ts at full size): COUNT randomized cases from SEED, BATCH at a time
# in one loopback cluster with its metrics pipeline; prints the summary and writes every sync of every
# case to OUT (JSON).
# Usage: scripts/hpa-differential.sh [COUNT=120] [SEED=20261203] [OUT=.cache/hpa-differential.json] [BATCH=50]
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
bash scripts/test-deps/k8s.sh
bash scripts/test-deps/k8s-metrics.sh
mkdir -p .cache
export HPA_DIFF_CASES="${1:-120}" HPA_DIFF_SEED="${2:-20261203}" HPA_DIFF_OUT="${3:-.cache/hpa-differential.json}" HPA_DIFF_BATCH="${4:-50}"
set +e
npx vitest run test/k8s-hpa/differential.test.ts
status=$?
set -e
node -e '
const s = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"))
console.log(`seed ${s.seed}: ${s.cases} cases, ${s.identicalCases} with identical trajectories; ${s.syncs} syncs, ${s.identicalSyncs} identical (${(100 * s.identicalSyncs / s.syncs).toFixed(2)}%)`)
for (const r of s.results) for (const d of r.differences) console.log(`  ${r.namespace} t=${d.atS.toFixed(3)}s controller ${d.controller} fleetcap ${d.fleetcap} (${d.fleetcapLimitedBy.join(",")})`)
' "$HPA_DIFF_OUT"
exit $status
