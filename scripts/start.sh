#!/usr/bin/env bash
# npm start: install what is missing, start PostgreSQL, Redis and the Temporal
# dev server on 127.0.0.1 (unless DATABASE_URL/REDIS_URL/TEMPORAL_ADDRESS are
# given), then run the server. Ctrl-C stops the server and the services this
# script started; services that were already running are left alone.
# DATA_DIR (default <repo>/.data) and the ports: see scripts/services.sh.
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SERVICES="$REPO/scripts/services.sh"
cd "$REPO"

bash "$SERVICES" install

started_file="$(mktemp "${TMPDIR:-/tmp}/findata-started.XXXXXX")"
export FINDATA_STARTED_FILE="$started_file"
server_pid=""

# shellcheck disable=SC2317  # invoked via trap
cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  if [[ -n "$server_pid" ]] && kill -0 "$server_pid" 2>/dev/null; then
    echo "findata: stopping the server…" >&2
    kill -TERM "$server_pid" 2>/dev/null || true
    local i
    for ((i = 0; i < 100; i++)); do
      kill -0 "$server_pid" 2>/dev/null || break
      sleep 0.1
    done
    if kill -0 "$server_pid" 2>/dev/null; then
      kill -KILL "$server_pid" 2>/dev/null || true
    fi
    wait "$server_pid" 2>/dev/null || true
  fi
  local -a started=()
  local s
  for s in temporal redis-cache redis postgres; do # dependents first
    if grep -qx "$s" "$started_file" 2>/dev/null; then started+=("$s"); fi
  done
  if ((${#started[@]})); then
    echo "findata: stopping ${started[*]}…" >&2
    bash "$SERVICES" down "${started[@]}" || true
  fi
  rm -f "$started_file"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# The web app is served from web/dist: build it when missing or older than its sources.
if [[ ! -f web/dist/index.html ]] || [[ -n "$(find web/src web/index.html web/vite.config.ts -newer web/dist/index.html -print -quit 2>/dev/null)" ]]; then
  echo "findata: building the web app…" >&2
  npm run --silent build:web >&2
fi

env_lines="$(bash "$SERVICES" up)"
eval "$env_lines"

echo "findata: starting the server (Ctrl-C stops it and the services started here)…" >&2
# In the background so that INT/TERM reach the trap at once; the trap passes
# them on as SIGTERM. tsx relays the signal to the node process it runs.
"$REPO/node_modules/.bin/tsx" server/main.ts &
server_pid=$!
rc=0
wait "$server_pid" || rc=$?
server_pid=""
exit "$rc"
