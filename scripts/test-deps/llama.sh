#!/usr/bin/env bash
# Builds llama.cpp's own OpenAI-compatible server (`llama-server`: continuous batching, N parallel
# slots, SSE streaming) for the CPU, once, into the fleetcap cache, plus a Python venv with `gguf`
# and numpy that writes the test model (scripts/llama/make-model.py). Later runs find the marker and
# return at once.
#   $FLEETCAP_CACHE/llama/<version>/bin/llama-server
#   $FLEETCAP_CACHE/llama/<version>/venv/bin/python
#   $FLEETCAP_CACHE/llama/<version>/.complete
# Source: llama.cpp as vendored in the `llama-cpp-python` sdist from PyPI (its vendor/llama.cpp is the
# whole upstream tree). llama-cpp-python's own server is not used: it runs one request at a time.
# Needs python3 (venv), a C/C++ compiler and CMake (both from Debian when missing).
# FLEETCAP_LLAMA_VERSION overrides the llama-cpp-python version; FLEETCAP_LLAMA_JOBS the build's -j.
set -euo pipefail
FLEETCAP_CACHE="${FLEETCAP_CACHE:-$HOME/.cache/fleetcap}"
version="${FLEETCAP_LLAMA_VERSION:-0.3.36}"
gguf_version="0.19.0"
numpy_version="2.4.6"
root="$FLEETCAP_CACHE/llama/$version"
if [ -f "$root/.complete" ] && [ -x "$root/bin/llama-server" ] && [ -x "$root/venv/bin/python" ]; then
  exit 0
fi
mkdir -p "$FLEETCAP_CACHE/llama"
# One build at a time: a second caller waits, then finds the marker.
exec 9>"$FLEETCAP_CACHE/llama/.lock"
flock 9
if [ -f "$root/.complete" ]; then exit 0; fi

need_apt=()
command -v g++ >/dev/null 2>&1 || need_apt+=(g++)
command -v cmake >/dev/null 2>&1 || need_apt+=(cmake)
python3 -c 'import venv, ensurepip' >/dev/null 2>&1 || need_apt+=(python3-venv)
if [ "${#need_apt[@]}" -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
    echo "llama.sh: missing ${need_apt[*]}; install them (Debian: apt-get install ${need_apt[*]})" >&2
    exit 1
  fi
  echo "llama.sh: installing ${need_apt[*]} from Debian" >&2
  DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >&2
fi

start=$(date +%s)
rm -rf "$root"
mkdir -p "$root"
# The build folder is kept when a build is interrupted (the next run resumes it: make is
# incremental) and removed once the binary is in place.
work="$FLEETCAP_CACHE/llama/.build-$version"
mkdir -p "$work"

echo "llama.sh: venv with gguf $gguf_version and numpy $numpy_version" >&2
python3 -m venv "$root/venv"
"$root/venv/bin/pip" install -q --disable-pip-version-check "gguf==$gguf_version" "numpy==$numpy_version" >&2

echo "llama.sh: llama-cpp-python $version sdist from PyPI (for its vendored llama.cpp)" >&2
if [ ! -f "$work/llama_cpp_python-$version/.extracted" ]; then
  "$root/venv/bin/pip" download -q --disable-pip-version-check --no-deps --no-binary :all: \
    -d "$work/sdist" "llama-cpp-python==$version" >&2
  tar -xzf "$work/sdist/llama_cpp_python-$version.tar.gz" -C "$work"
  touch "$work/llama_cpp_python-$version/.extracted"
fi
src="$work/llama_cpp_python-$version/vendor/llama.cpp"

# Only the server target; no web UI (it would be downloaded), no TLS, no tests. The machine is
# shared: a low job count and nice.
jobs="${FLEETCAP_LLAMA_JOBS:-2}"
echo "llama.sh: building llama-server (cmake, -j$jobs; long on a small machine: see docs/k6.md)" >&2
cmake -S "$src" -B "$work/build" -DCMAKE_BUILD_TYPE=Release -DBUILD_SHARED_LIBS=OFF \
  -DLLAMA_BUILD_UI=OFF -DLLAMA_USE_PREBUILT_UI=OFF -DLLAMA_OPENSSL=OFF -DLLAMA_BUILD_TESTS=OFF \
  -DLLAMA_BUILD_EXAMPLES=OFF -DLLAMA_BUILD_SERVER=ON -DLLAMA_BUILD_TOOLS=ON -DLLAMA_BUILD_APP=OFF \
  -DGGML_OPENMP=OFF >"$work/configure.log" 2>&1 || { tail -30 "$work/configure.log" >&2; exit 1; }
nice -n 10 cmake --build "$work/build" --target llama-server -j "$jobs" >"$work/build.log" 2>&1 \
  || { tail -40 "$work/build.log" >&2; exit 1; }

mkdir -p "$root/bin"
cp "$work/build/bin/llama-server" "$root/bin/llama-server"
"$root/bin/llama-server" --version >&2
touch "$root/.complete"
rm -rf "$work"
echo "llama.sh: llama-server ($version) built in $(( $(date +%s) - start )) s" >&2
