#!/usr/bin/env bash
# Print the path of the test engine's model, writing it first if needed: make-model.py's output,
# cached under the script's hash (an edited script writes a new model; the same script, the same bytes).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
FLEETCAP_CACHE="${FLEETCAP_CACHE:-$HOME/.cache/fleetcap}"
version="${FLEETCAP_LLAMA_VERSION:-0.3.36}"
python="$FLEETCAP_CACHE/llama/$version/venv/bin/python"
[ -x "$python" ] || { echo "model.sh: no venv at $python; run scripts/test-deps/llama.sh" >&2; exit 3; }
hash="$(sha256sum "$here/make-model.py" | cut -c1-16)"
dir="$FLEETCAP_CACHE/llama/models"
model="$dir/tiny-llama-$hash.gguf"
if [ ! -f "$model" ]; then
  mkdir -p "$dir"
  exec 9>"$dir/.lock"
  flock 9
  [ -f "$model" ] || "$python" "$here/make-model.py" "$model"
fi
echo "$model"
