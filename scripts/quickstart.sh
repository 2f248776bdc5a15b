#!/usr/bin/env bash
# Install fleetcap's dependencies (Node 24 if needed), build it, put `fleetcap` on PATH, and simulate
# a shipped example.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
fleetcap_npm_ci
npm run build --silent
source scripts/link.sh
exec fleetcap simulate "${1:-scenarios/seed-phase1-500-per-day.yaml}"
