#!/bin/sh
# One-shot (compose service temporal-setup, image temporalio/admin-tools, which
# has the `temporal` CLI): waits for the Temporal frontend, creates the
# namespace if missing and registers the custom search attributes that every
# findata sync workflow carries, so that Temporal UI can filter by them:
#
#   TenantId="bank001" AND LoanType="RETAIL"
#
# Idempotent; app and worker start only after it exited 0.
#
# Environment:
#   TEMPORAL_ADDRESS              host:port of the frontend (temporal:7233); read by the CLI too
#   TEMPORAL_NAMESPACE            default
#   TEMPORAL_NAMESPACE_RETENTION  retention of closed workflows, Go duration (720h = 30 days)
#   SEARCH_ATTRIBUTES             "Name:Type ..." (default "TenantId:Keyword LoanType:Keyword")
#   SETUP_ATTEMPTS                tries of 2 s each for every wait (60)
set -eu

: "${TEMPORAL_ADDRESS:=temporal:7233}"
: "${TEMPORAL_NAMESPACE:=default}"
: "${TEMPORAL_NAMESPACE_RETENTION:=720h}"
: "${SEARCH_ATTRIBUTES:=TenantId:Keyword LoanType:Keyword}"
: "${SETUP_ATTEMPTS:=60}"

# Resolve the host to one IPv4 address when possible (avoids the CLI trying an
# unreachable IPv6 address first on some Docker networks).
host="${TEMPORAL_ADDRESS%:*}"
port="${TEMPORAL_ADDRESS##*:}"
if command -v getent >/dev/null 2>&1; then
  ip="$(getent ahostsv4 "$host" 2>/dev/null | awk 'NR == 1 { print $1 }')" || ip=""
  if [ -n "$ip" ]; then TEMPORAL_ADDRESS="$ip:$port"; fi
fi
export TEMPORAL_ADDRESS
ns="$TEMPORAL_NAMESPACE"

retry() { # $1 = what, rest = command
  what="$1"
  shift
  i=0
  until "$@"; do
    i=$((i + 1))
    if [ "$i" -ge "$SETUP_ATTEMPTS" ]; then
      echo "temporal-setup: gave up: $what" >&2
      return 1
    fi
    sleep 2
  done
}

echo "temporal-setup: waiting for the Temporal frontend at $TEMPORAL_ADDRESS"
retry "cluster health" sh -c 'temporal operator cluster health 2>/dev/null | grep -q SERVING'

if temporal operator namespace describe --namespace "$ns" >/dev/null 2>&1; then
  echo "temporal-setup: namespace $ns exists"
else
  echo "temporal-setup: creating namespace $ns (retention $TEMPORAL_NAMESPACE_RETENTION)"
  temporal operator namespace create --namespace "$ns" --retention "$TEMPORAL_NAMESPACE_RETENTION"
fi

for spec in $SEARCH_ATTRIBUTES; do
  name="${spec%%:*}"
  type="${spec#*:}"
  echo "temporal-setup: search attribute $name ($type)"
  # retried: a namespace created a moment ago may not be in the server's cache yet
  retry "search attribute $name" temporal operator search-attribute create --namespace "$ns" --name "$name" --type "$type"
done

# verify: every attribute is registered with the expected type
list="$(temporal operator search-attribute list --namespace "$ns" -o json)"
missing=""
for spec in $SEARCH_ATTRIBUTES; do
  name="${spec%%:*}"
  type="$(printf '%s' "${spec#*:}" | tr '[:lower:]' '[:upper:]')"
  if ! printf '%s\n' "$list" | grep -Eq "\"$name\": *\"INDEXED_VALUE_TYPE_$type\""; then
    missing="$missing $name"
  fi
done
if [ -n "$missing" ]; then
  echo "temporal-setup: search attributes not registered:$missing" >&2
  exit 1
fi
# ready: the frontend accepts a List filter on every attribute (its search
# attribute cache has caught up), which is what Temporal UI and the app use
query=""
for spec in $SEARCH_ATTRIBUTES; do
  name="${spec%%:*}"
  query="${query:+$query AND }$name = \"__setup_probe__\""
done
retry "list filter on $SEARCH_ATTRIBUTES" sh -c 'temporal workflow list --namespace "$1" --query "$2" --limit 1 >/dev/null 2>&1' sh "$ns" "$query"
echo "temporal-setup: namespace $ns ready with search attributes: $SEARCH_ATTRIBUTES"
