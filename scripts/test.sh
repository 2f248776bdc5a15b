#!/usr/bin/env bash
# Run fleetcap's whole test suite the way CI does: provision Node 24 and the dependencies, build,
# lint, run vitest, and end with the runner's counts as a plain line "N passed, N failed".
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
fleetcap_npm_ci
npm run build --silent
# Lint first: a floating promise or a loose comparison fails in a minute, before the long suites.
npm run lint --silent
for setup in scripts/test-deps/*.sh; do
  [ -e "$setup" ] || continue
  bash "$setup"
done
mkdir -p .cache
set +e
npx vitest run --reporter=default --reporter=json --outputFile.json=.cache/vitest-results.json "$@"
status=$?
set -e
node scripts/test-summary.mjs .cache/vitest-results.json
exit $status
