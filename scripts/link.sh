# Sourced by quickstart.sh (or run alone): a `fleetcap` launcher that runs this checkout with the Node
# that scripts/env.sh chose (the machine's may be too old), linked into the first folder on PATH that
# can take it (~/.local/bin, /usr/local/bin); otherwise the exact line to add it to PATH is printed.
# The launcher's own folder is put on PATH for the rest of a script that sources this.
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source scripts/env.sh
fleetcap_launcher_dir="$FLEETCAP_CACHE/bin"
mkdir -p "$fleetcap_launcher_dir"
printf '#!/bin/sh\nexec "%s" "%s/bin/run.js" "$@"\n' "$(command -v node)" "$PWD" > "$fleetcap_launcher_dir/fleetcap"
chmod +x "$fleetcap_launcher_dir/fleetcap"
fleetcap_linked=""
for d in "$HOME/.local/bin" /usr/local/bin; do
  case ":$PATH:" in *":$d:"*) ;; *) continue ;; esac
  if [ -d "$d" ] && [ -w "$d" ]; then
    ln -sf "$fleetcap_launcher_dir/fleetcap" "$d/fleetcap"
    fleetcap_linked="$d/fleetcap"
    break
  fi
done
if [ -n "$fleetcap_linked" ]; then
  echo "fleetcap: linked $fleetcap_linked (runs $PWD with $(command -v node))" >&2
else
  echo "fleetcap: to run \`fleetcap\` from any shell, add this line to your shell profile:" >&2
  echo "  export PATH=\"$fleetcap_launcher_dir:\$PATH\"" >&2
fi
export PATH="$fleetcap_launcher_dir:$PATH"
