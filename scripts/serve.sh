#!/usr/bin/env bash
# `npm start`: try Attention Inspector the way a user gets it. Installs dependencies if needed,
# builds and packages the .vsix files (scripts/package.mjs), installs the linux-x64 one (native
# kernels; the universal one where no native module was built) into
# code-server (VS Code in the browser, cached outside the clone) with its own extensions and
# user-data dirs, and serves the examples/ workspace on http://127.0.0.1:8080 (PORT=... to change).
# Ctrl-C stops it. No internet needed once the npm packages are installed.
#
# Desktop VS Code instead:
#   npm run package
#   code --install-extension dist-vsix/attention-inspector-linux-x64.vsix   (x86-64 Linux)
#   code --install-extension dist-vsix/attention-inspector-universal.vsix   (elsewhere: WASM kernels)
# then File > Open Folder… examples/ and run "Attention: Open Model…" from the command palette.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
PORT="${PORT:-8080}"

if [[ ! -d node_modules || package-lock.json -nt node_modules/.package-lock.json ]]; then
  echo "== installing npm dependencies (npm ci)"
  npm ci --no-audit --no-fund
fi

# The pretrained sentence encoder (examples/pretrained/, not in the .vsix): converted from an npm package.
npm run --silent import:pretrained

# shellcheck source=lib-vscode-server.sh
source scripts/lib-vscode-server.sh
ai_vscode_server

echo "== building and packaging the extension"
npm run --silent package
VSIX="$PWD/dist-vsix/attention-inspector-linux-x64.vsix"
[[ -f "$VSIX" ]] || VSIX="$PWD/dist-vsix/attention-inspector-universal.vsix"

STATE="$AI_CS_DIR/serve"
mkdir -p "$STATE/extensions" "$STATE/user-data/User"
ai_xdg_home "$STATE"
if [[ ! -f "$STATE/user-data/User/settings.json" ]]; then
  cat >"$STATE/user-data/User/settings.json" <<'JSON'
{
  "workbench.startupEditor": "none",
  "workbench.secondarySideBar.defaultVisibility": "hidden",
  "chat.disableAIFeatures": true,
  "git.openRepositoryInParentFolders": "never",
  "telemetry.telemetryLevel": "off",
  "extensions.autoCheckUpdates": false
}
JSON
fi
CS_ARGS=(--extensions-dir "$STATE/extensions" --user-data-dir "$STATE/user-data")

echo "== installing $VSIX into code-server"
"$AI_NODE24" "$AI_CODE_SERVER" "${CS_ARGS[@]}" --install-extension "$VSIX" --force

cat <<MSG

  Attention Inspector is running in VS Code in your browser:

      http://127.0.0.1:$PORT/

  Workspace: $PWD/examples
  Try: F1 → "Attention: Open Model…", or the Attention icon in the activity bar.
  Stop with Ctrl-C. Extension and settings live in $STATE.

MSG
exec "$AI_NODE24" "$AI_CODE_SERVER" "${CS_ARGS[@]}" \
  --bind-addr "127.0.0.1:$PORT" --auth none \
  --disable-telemetry --disable-update-check --disable-workspace-trust \
  "$PWD/examples"
