#!/bin/sh
# Runs once, on the first start of an empty postgres-data volume (official
# image's /docker-entrypoint-initdb.d). Creates the roles that are not the
# superuser $POSTGRES_USER (findata):
#   temporal           CREATEDB; temporal-schema creates temporal + temporal_visibility
#   postgres_exporter  read-only monitoring (pg_monitor)
# Passwords come from the container environment (compose passes them from .env).
# To change one later: ALTER ROLE ... PASSWORD ... (this script will not run again).
set -eu

: "${TEMPORAL_DB_PASSWORD:?TEMPORAL_DB_PASSWORD is not set}"
: "${PG_EXPORTER_PASSWORD:?PG_EXPORTER_PASSWORD is not set}"

psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
  -v temporal_pw="$TEMPORAL_DB_PASSWORD" \
  -v exporter_pw="$PG_EXPORTER_PASSWORD" <<'SQL'
SELECT NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'temporal') AS create_temporal \gset
\if :create_temporal
CREATE ROLE temporal WITH LOGIN CREATEDB PASSWORD :'temporal_pw';
\else
ALTER ROLE temporal WITH LOGIN CREATEDB PASSWORD :'temporal_pw';
\endif
SELECT NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'postgres_exporter') AS create_exporter \gset
\if :create_exporter
CREATE ROLE postgres_exporter WITH LOGIN PASSWORD :'exporter_pw';
\else
ALTER ROLE postgres_exporter WITH LOGIN PASSWORD :'exporter_pw';
\endif
GRANT pg_monitor TO postgres_exporter;
SQL
