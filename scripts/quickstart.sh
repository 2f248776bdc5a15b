#!/usr/bin/env bash
# Install fleetcap's dependencies (Node 24 if needed), build it, and simulate a shipped example.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
fleetcap_npm_ci
npm run build --silent
exec node bin/run.js simulate "${1:-scenarios/seed-phase1-500-per-day.yaml}"
