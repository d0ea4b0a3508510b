#!/usr/bin/env bash
# npm test: install what is missing, start throw-away services on their own
# ports and data dir (so tests can run next to `npm start`), run the node test
# runner, stop the services again.
#
#   npm test                                  all tests/**/*.test.ts
#   npm test -- tests/unit/csv.test.ts        only these files
#   npm test -- --test-name-pattern=upload    extra node --test options
#
# Environment: TEST_DATA_DIR (default <repo>/.data/test, wiped at start),
# TEST_CONCURRENCY (default 1), PG_PORT/REDIS_PORT/REDIS_CACHE_PORT/
# TEMPORAL_PORT/TEMPORAL_UI_PORT, and DATABASE_URL/REDIS_URL/REDIS_CACHE_URL/
# TEMPORAL_ADDRESS to use existing services instead (see scripts/services.sh).
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SERVICES="$REPO/scripts/services.sh"
cd "$REPO"

bash "$SERVICES" install --test

export DATA_DIR="${TEST_DATA_DIR:-$REPO/.data/test}"
export PG_PORT="${PG_PORT:-54330}"
export REDIS_PORT="${REDIS_PORT:-63800}"
export REDIS_CACHE_PORT="${REDIS_CACHE_PORT:-63801}"
export TEMPORAL_PORT="${TEMPORAL_PORT:-7243}"
export TEMPORAL_UI_PORT="${TEMPORAL_UI_PORT:-8243}"
export FINDATA_PG_FAST="${FINDATA_PG_FAST:-1}" # throw-away data: no fsync

case "$DATA_DIR" in
  "" | / | "$REPO" | "$REPO/" | "$HOME" | "$HOME/")
    echo "findata: refusing to use DATA_DIR=$DATA_DIR for tests (it is wiped)" >&2
    exit 2
    ;;
esac

# one run per test data dir: a second `npm test` waits instead of wiping the
# first one's services
mkdir -p "$(dirname "$DATA_DIR")"
exec 8>"${DATA_DIR%/}.lock"
if ! flock -n 8; then
  echo "findata: another test run is using $DATA_DIR; waiting (set TEST_DATA_DIR and the ports to run side by side)…" >&2
  flock 8
fi

# stop whatever an interrupted earlier run left in this dir, then wipe it
if [[ -d "$DATA_DIR" ]]; then
  bash "$SERVICES" down
  rm -rf "$DATA_DIR"
fi
mkdir -p "$DATA_DIR"
DATA_DIR="$(cd "$DATA_DIR" && pwd)"

# shellcheck disable=SC2317  # invoked via trap
cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  bash "$SERVICES" down || true
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

echo "findata: starting test services in $DATA_DIR…" >&2
env_lines="$(bash "$SERVICES" up 8>&-)"
eval "$env_lines"

export FINDATA_TEST_DATA_DIR="$DATA_DIR"
TEMPORAL_CLI="$(bash "$SERVICES" which-temporal)"
export TEMPORAL_CLI

# Arguments: files (or directories) to run, plus any options for node --test.
files=() opts=()
for a in "$@"; do
  case "$a" in
    -*) opts+=("$a") ;;
    *)
      if [[ -d "$a" ]]; then
        while IFS= read -r f; do files+=("$f"); done < <(find "$a" -name '*.test.ts' | sort)
      else
        files+=("$a")
      fi
      ;;
  esac
done
if ((${#files[@]} == 0)); then
  if [[ -d tests ]]; then
    while IFS= read -r f; do files+=("$f"); done < <(find tests -name '*.test.ts' | sort)
  fi
fi
if ((${#files[@]} == 0)); then
  echo "findata: no test files found (tests/**/*.test.ts)" >&2
  exit 1
fi

echo "findata: running ${#files[@]} test file(s)…" >&2
rc=0
node --import tsx --test --test-concurrency="${TEST_CONCURRENCY:-1}" --test-reporter=spec \
  ${opts[@]+"${opts[@]}"} "${files[@]}" || rc=$?
exit "$rc"
