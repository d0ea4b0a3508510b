#!/bin/sh
# One-shot (compose service temporal-schema, image temporalio/admin-tools):
# creates the Temporal databases on the findata PostgreSQL server if missing and
# applies the versioned schema (setup-schema + update-schema are idempotent, so
# running it at every `docker compose up` also upgrades after a version bump).
#
# Environment (set in docker-compose.yml):
#   POSTGRES_SEEDS  host (postgres)        DB_PORT            5432
#   POSTGRES_USER   role (temporal)        POSTGRES_PWD       its password
#   DBNAME          temporal               VISIBILITY_DBNAME  temporal_visibility
set -eu

: "${POSTGRES_SEEDS:=postgres}"
: "${DB_PORT:=5432}"
: "${POSTGRES_USER:=temporal}"
: "${POSTGRES_PWD:?POSTGRES_PWD is not set}"
: "${DBNAME:=temporal}"
: "${VISIBILITY_DBNAME:=temporal_visibility}"
: "${SCHEMA_ROOT:=/etc/temporal/schema/postgresql/v12}"
: "${SETUP_ATTEMPTS:=60}"

# temporal-sql-tool reads the password from SQL_PASSWORD
SQL_PASSWORD="$POSTGRES_PWD"
export SQL_PASSWORD

sqltool() {
  temporal-sql-tool --plugin postgres12 --ep "$POSTGRES_SEEDS" -p "$DB_PORT" -u "$POSTGRES_USER" "$@"
}

echo "temporal-schema: waiting for PostgreSQL at $POSTGRES_SEEDS:$DB_PORT"
i=0
until nc -z "$POSTGRES_SEEDS" "$DB_PORT" 2>/dev/null; do
  i=$((i + 1))
  if [ "$i" -ge "$SETUP_ATTEMPTS" ]; then
    echo "temporal-schema: PostgreSQL not reachable after $SETUP_ATTEMPTS attempts" >&2
    exit 1
  fi
  sleep 2
done

setup_db() { # $1 = database, $2 = schema dir under $SCHEMA_ROOT
  db="$1"
  dir="$SCHEMA_ROOT/$2/versioned"
  echo "temporal-schema: database $db ($dir)"
  # `create` fails when the database exists already; a real failure (auth,
  # network) makes the next command fail, and then the script.
  sqltool --db "$db" create || echo "temporal-schema: database $db exists"
  sqltool --db "$db" setup-schema -v 0.0
  sqltool --db "$db" update-schema -d "$dir"
}

setup_db "$DBNAME" temporal
setup_db "$VISIBILITY_DBNAME" visibility
echo "temporal-schema: done"
