#!/usr/bin/env bash
# Start the test engine: llama.cpp's llama-server (built by scripts/test-deps/llama.sh) on loopback,
# CPU only, serving the tiny deterministic model (scripts/llama/make-model.py, written once per
# version of that script into the cache). Runs in the foreground; stop it with SIGTERM.
#   serve.sh --port P [--threads T] [--parallel N] [--ctx-per-slot C] [-- extra llama-server args]
# Threads are fixed (default 1) so a measurement does not depend on how many cores happen to be
# free; --parallel slots are the engine's batch limit, --ctx-per-slot its KV cache per sequence.
# --cache-ram 0: this llama.cpp keeps every finished prompt's KV state in a host-memory cache (8 GiB
# by default) and searches it on each request. fleetcap's prompts never share a prefix, so the cache
# only grows: 68 MiB resident without it, 369 -> 677 -> 982 MiB with it over three 30 s runs of
# mix A at 9/s (2026-12-04), and a server whose memory grows is not the one the probe measured.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
FLEETCAP_CACHE="${FLEETCAP_CACHE:-$HOME/.cache/fleetcap}"
version="${FLEETCAP_LLAMA_VERSION:-0.3.36}"
root="$FLEETCAP_CACHE/llama/$version"
port="" threads=1 parallel=4 ctx=4096
while [ $# -gt 0 ]; do
  case "$1" in
    --port) port="$2"; shift 2 ;;
    --threads) threads="$2"; shift 2 ;;
    --parallel) parallel="$2"; shift 2 ;;
    --ctx-per-slot) ctx="$2"; shift 2 ;;
    --) shift; break ;;
    *) echo "serve.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done
[ -n "$port" ] || { echo "serve.sh: --port is required" >&2; exit 2; }
if [ ! -f "$root/.complete" ]; then
  echo "serve.sh: llama-server $version is not built; run scripts/test-deps/llama.sh" >&2
  exit 3
fi
model="$("$here/model.sh")"
# FLEETCAP_LLAMA_CPUS (a taskset list, e.g. 1): pin the engine to those cores, so that a load
# generator kept on the others (taskset -c 0 …) cannot take the engine thread's core mid-step.
pin=()
if [ -n "${FLEETCAP_LLAMA_CPUS:-}" ]; then pin=(taskset -c "$FLEETCAP_LLAMA_CPUS"); fi
exec "${pin[@]}" "$root/bin/llama-server" --host 127.0.0.1 --port "$port" --model "$model" --alias tiny-llama \
  --threads "$threads" --threads-batch "$threads" --parallel "$parallel" --cont-batching \
  --ctx-size $(( ctx * parallel )) --cache-ram 0 --no-webui --metrics "$@"
