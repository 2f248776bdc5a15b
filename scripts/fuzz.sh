#!/usr/bin/env bash
# Long fuzz run of every input format: scripts/fuzz.sh N [more options of dist/src/testing/fuzz/main.js]
# N generated inputs in all (split evenly over the formats), run niced; prints per format the inputs,
# accepted, refused, crashes and hangs, and the spawned-CLI sample. Exit 1 when anything crashed or hung.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
N="${1:-80000}"
shift || true
[[ -f dist/src/testing/fuzz/main.js ]] || npm run build --silent
exec nice -n 15 node dist/src/testing/fuzz/main.js --count "$N" "$@"
