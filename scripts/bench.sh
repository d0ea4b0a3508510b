#!/usr/bin/env bash
# npm run bench [-- --size S|M|SM]: starts the local services under .bench/ (own ports) and runs the benchmark.
set -euo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$REPO"
bash scripts/services.sh install
# Fresh services for every run: the tenants of earlier runs (their schedules fire every minute, their error rows
# fill PostgreSQL) would load the machine during the measurements. A folder given by BENCH_DATA_DIR is kept.
if [[ -z "${BENCH_DATA_DIR:-}" ]]; then
  DATA_DIR="$REPO/.bench/services" bash scripts/services.sh down >/dev/null 2>&1 || true
  rm -rf "$REPO/.bench/services"
fi
export DATA_DIR="${BENCH_DATA_DIR:-$REPO/.bench/services}" PG_PORT="${PG_PORT:-54360}" REDIS_PORT="${REDIS_PORT:-63820}" \
  REDIS_CACHE_PORT="${REDIS_CACHE_PORT:-63821}" TEMPORAL_PORT="${TEMPORAL_PORT:-7263}" TEMPORAL_UI_PORT="${TEMPORAL_UI_PORT:-8263}" FINDATA_PG_FAST=1
eval "$(bash scripts/services.sh up)"
# The services' folder, kept for the trap: `down` without it would stop the services of <repo>/.data (npm start).
SERVICES_DIR="$DATA_DIR"
trap 'DATA_DIR="$SERVICES_DIR" bash scripts/services.sh down >/dev/null 2>&1 || true' EXIT
unset DATA_DIR
node --import tsx scripts/bench.ts "$@"
