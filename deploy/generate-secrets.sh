#!/bin/sh
# Fills every empty secret in an env file (default: .env) with 32 random bytes
# in hex (URL-safe, 64 characters), and appends the secrets the file lacks
# (added by a newer release). Existing values are kept, so it is safe to run
# again; other lines are copied unchanged.
#
#   cp deploy/.env.example .env && sh deploy/generate-secrets.sh .env
set -eu

file="${1:-.env}"
[ -f "$file" ] || { echo "generate-secrets: $file not found (cp deploy/.env.example $file first)" >&2; exit 1; }

SECRETS="POSTGRES_PASSWORD TEMPORAL_DB_PASSWORD PG_EXPORTER_PASSWORD REDIS_PASSWORD CLICKHOUSE_PASSWORD AUTH_CACHE_SECRET SESSION_SECRET METRICS_TOKEN GRAFANA_ADMIN_PASSWORD"

rand_hex() { head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n'; }

tmp="$file.tmp.$$"
trap 'rm -f "$tmp"' EXIT
: >"$tmp"
filled=""
while IFS= read -r line || [ -n "$line" ]; do
  key="${line%%=*}"
  value="${line#*=}"
  case " $SECRETS " in
    *" $key "*)
      # Empty (KEY=) or bare (KEY, no '='): both leave the secret unset for compose.
      if [ "$line" = "$key" ] || [ -z "$value" ]; then
        line="$key=$(rand_hex)"
        filled="$filled $key"
      fi
      ;;
  esac
  printf '%s\n' "$line" >>"$tmp"
done <"$file"
# A secret that a newer release added (an .env made from an older example): appended, so compose starts.
for key in $SECRETS; do
  if ! grep -q "^$key=" "$tmp"; then
    printf '%s=%s\n' "$key" "$(rand_hex)" >>"$tmp"
    filled="$filled $key"
  fi
done
chmod 600 "$tmp"
mv "$tmp" "$file"
trap - EXIT
if [ -n "$filled" ]; then echo "generate-secrets: filled$filled in $file"; else echo "generate-secrets: nothing to fill in $file"; fi
