#!/usr/bin/env bash
# Long fuzz run of every input format: scripts/fuzz.sh N [more options of dist/test/fuzz/harness/main.js]
# N generated inputs in all (split evenly over the formats), run niced; prints per format the inputs,
# accepted, refused, crashes and hangs, the rate, and the spawned-CLI sample. Exit 1 when anything crashed
# or hung. FUZZ_NICE (default 15) is the niceness: on a shared machine a niced run gets a small share.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
N="${1:-80000}"
shift || true
[[ -f dist/test/fuzz/harness/main.js ]] || npm run build --silent
exec nice -n "${FUZZ_NICE:-15}" node dist/test/fuzz/harness/main.js --count "$N" "$@"
