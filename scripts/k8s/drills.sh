#!/usr/bin/env bash
# The apply drill suite, as CI runs it (scripts/test.sh runs it with everything else): the fault drills
# (API server restarts during gates and rollback, kill -9 mid-apply and mid-rollback, image bump on an
# exactly sized pool, prune) and the executor suite (field conflict, concurrent apply, gate failure and
# rollback, RBAC denial, SIGINT), each file against its own loopback control plane. CI=true makes a
# missing dependency fail the run instead of skipping. Prints the suite's wall time.
set -euo pipefail
cd "$(dirname "$0")/../.."
source scripts/env.sh
bash scripts/test-deps/k8s.sh >/dev/null
npm run build --silent
start=$(date +%s)
CI=true npx vitest run --fileParallelism=false test/k8s/drills.test.ts test/k8s/executor.test.ts test/k8s/retry.test.ts "$@"
echo "drill suite: $(( $(date +%s) - start )) s"
