#!/usr/bin/env bash
# `npm test`: builds, then runs every test level and totals them. Assumes npm dependencies,
# Chromium (/usr/bin/chromium) and the VS Code server cache are installed: `npm run test:all`
# (or .ci/run on a fresh machine) installs them first.
#
#   bash scripts/test-all.sh                       # every level
#   bash scripts/test-all.sh unit integration      # build + only these levels
#
# Levels: typecheck lint install unit webview integration ui package. Each prints its own output, then a
# `N passed, N failed` line which is read here. A level fails when it exits non-zero, prints no
# summary, or ran zero tests. Full logs: artifacts/test-logs/<level>.log.
# The last line printed is the total `N passed, N failed`; the exit code is 1 if anything failed.
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT="$PWD"
LOGS="$ROOT/artifacts/test-logs"
ALL_LEVELS=(typecheck lint install unit webview integration ui package)
LEVELS=("$@")
((${#LEVELS[@]})) || LEVELS=("${ALL_LEVELS[@]}")
for l in "${LEVELS[@]}"; do
  [[ " ${ALL_LEVELS[*]} " == *" $l "* ]] || { echo "unknown level '$l' (levels: ${ALL_LEVELS[*]})" >&2; exit 2; }
done
rm -rf "$LOGS" && mkdir -p "$LOGS"
# The drivers clean up and exit 130 on Ctrl-C; stop here instead of going on to the next level.
trap 'echo; echo "interrupted"; exit 130' INT TERM

TOTAL_PASSED=0
TOTAL_FAILED=0
REPORT=()
T_START=$(date +%s)

header() { printf '\n\033[1m======== %s ========\033[0m\n' "$1"; }

# record NAME PASSED FAILED SECONDS NOTE
record() {
  TOTAL_PASSED=$((TOTAL_PASSED + $2))
  TOTAL_FAILED=$((TOTAL_FAILED + $3))
  REPORT+=("$(printf '%-12s %s passed, %s failed  (%ss)%s' "$1" "$2" "$3" "$4" "${5:+  — $5}")")
  printf -- '---- %s: %s passed, %s failed (%ss)%s\n' "$1" "$2" "$3" "$4" "${5:+ — $5}"
}

# level NAME COMMAND...: runs it, tees its output to the log, reads its summary.
level() {
  local name=$1; shift
  header "$name"
  local t0=$SECONDS
  "$@" 2>&1 | tee "$LOGS/$name.log"
  local rc=${PIPESTATUS[0]}
  local secs=$((SECONDS - t0))
  local passed failed note=""
  # Our drivers print `N passed, N failed`; node --test's spec reporter prints `ℹ pass N` / `ℹ fail N`.
  local line
  line=$(sed 's/\x1b\[[0-9;]*m//g' "$LOGS/$name.log" | grep -E '^[0-9]+ passed, [0-9]+ failed$' | tail -n 1)
  if [[ -n "$line" ]]; then
    passed=${line%% passed*}
    failed=${line#*passed, }; failed=${failed%% failed*}
  elif grep -qE '^ℹ pass [0-9]+$' "$LOGS/$name.log"; then
    passed=$(grep -E '^ℹ pass [0-9]+$' "$LOGS/$name.log" | tail -n 1 | grep -oE '[0-9]+')
    local f c
    f=$(grep -E '^ℹ fail [0-9]+$' "$LOGS/$name.log" | tail -n 1 | grep -oE '[0-9]+')
    c=$(grep -E '^ℹ cancelled [0-9]+$' "$LOGS/$name.log" | tail -n 1 | grep -oE '[0-9]+')
    failed=$(( ${f:-0} + ${c:-0} ))
  else
    passed=0; failed=1; note="no summary line"
  fi
  if ((passed + failed == 0)); then failed=1; note="ran zero tests"; fi
  if ((rc != 0 && failed == 0)); then failed=1; note="exit code $rc"; fi
  record "$name" "$passed" "$failed" "$secs" "$note"
}

wants() { [[ " ${LEVELS[*]} " == *" $1 "* ]]; }

# ---- build: everything else runs from its output; stale test bundles must not linger.
header build
t0=$SECONDS
rm -rf out
if node esbuild.js 2>&1 | tee "$LOGS/build.log"; [[ ${PIPESTATUS[0]} -eq 0 ]]; then
  record build 1 0 $((SECONDS - t0))
  BUILT=1
else
  record build 0 1 $((SECONDS - t0)) "node esbuild.js failed; test levels skipped"
  BUILT=0
fi

if wants typecheck; then
  header typecheck
  t0=$SECONDS
  npx --no-install tsc -p . --noEmit 2>&1 | grep -v '^npm warn' | tee "$LOGS/typecheck.log"
  rc=${PIPESTATUS[0]}
  errors=$(grep -cE 'error TS[0-9]+' "$LOGS/typecheck.log")
  if ((rc == 0)); then record typecheck 1 0 $((SECONDS - t0))
  else record typecheck 0 $((errors > 0 ? errors : 1)) $((SECONDS - t0)) "type errors"; fi
fi

# Formatting (prettier) and lint rules (eslint, incl. a hard line-length limit): one failure per
# file that prettier would change, plus one per eslint problem. `npm run format` fixes most.
if wants lint; then
  header lint
  t0=$SECONDS
  {
    npx --no-install prettier --list-different . ; p_rc=$?
    npx --no-install eslint --max-warnings 0 . ; e_rc=$?
    echo "prettier exit $p_rc, eslint exit $e_rc"
  } 2>&1 | grep -v '^npm warn' | tee "$LOGS/lint.log"
  unformatted=$(grep -cE '^[^ /].*\.(ts|js|mjs)$' "$LOGS/lint.log")
  problems=$(grep -cE '^ +[0-9]+:[0-9]+ +(error|warning) ' "$LOGS/lint.log")
  if grep -q '^prettier exit 0, eslint exit 0$' "$LOGS/lint.log"; then record lint 1 0 $((SECONDS - t0))
  else record lint 0 $(( unformatted + problems > 0 ? unformatted + problems : 1 )) $((SECONDS - t0)) "npm run format, then fix what eslint reports"; fi
fi

if ((BUILT)); then
  # The drivers find the VS Code server here instead of asking the install script each time.
  if wants integration || wants ui || wants package; then
    # shellcheck source=lib-vscode-server.sh
    source scripts/lib-vscode-server.sh
    ai_vscode_server
  fi

  # A new machine's install, in an empty cache folder of its own (3-5 min): test/install/fresh.ts.
  wants install && level install node out/test/install/fresh.js

  if wants unit; then
    # Node 20's --test takes no globs: list the files.
    mapfile -t UNIT < <(find out/test/unit -name '*.test.js' 2>/dev/null | sort)
    if ((${#UNIT[@]})); then
      level unit node --test --test-reporter=spec "${UNIT[@]}"
    else
      header unit; record unit 0 1 0 "no out/test/unit/**/*.test.js"
    fi
  fi

  if wants webview; then
    if [[ -f out/test/webview/run.js ]]; then
      level webview node out/test/webview/run.js
    else
      header webview; echo "skipped: out/test/webview/run.js does not exist"
    fi
  fi

  wants integration && level integration node out/test/integration/runCodeServer.js
  wants ui && level ui node out/test/integration/ui.js
  if wants package; then
    level package node out/test/package/vsix.js
    # The package build leaves a minified dist/; put the development build back.
    node esbuild.js >/dev/null 2>&1 || true
  fi
fi

header "summary ($(( $(date +%s) - T_START ))s, logs in artifacts/test-logs/)"
printf '%s\n' "${REPORT[@]}"
echo "$TOTAL_PASSED passed, $TOTAL_FAILED failed"
((TOTAL_FAILED == 0))
