#!/usr/bin/env bash
# The OpenAPI document checked from the outside: schemathesis (`--checks all`) generates requests from
# Sources/PigeonHTTP/Resources/openapi.yaml and sends them to a live `pigeon serve` (sandboxed), on a fresh
# SQLite file and on a throwaway PostgreSQL cluster; any mismatch between the document and the server
# (an undocumented status, a schema-valid request refused, a response outside its schema, a server
# error) fails the run.
#
#   scripts/api-contract.sh                  # both stores (PostgreSQL skipped, saying so, without initdb)
#   STORES=sqlite scripts/api-contract.sh    # one store
#   REQUIRE_POSTGRES=1 scripts/api-contract.sh   # fail instead of skipping PostgreSQL (CI)
#
# Installs schemathesis from PyPI into .build/schemathesis (a Python venv) when missing; builds pigeon
# (debug) unless PIGEON_BIN names a binary.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
STORES="${STORES:-sqlite postgres}"
WORK="$(mktemp -d /tmp/pigeon-contract.XXXXXX)"
chmod 755 "$WORK"   # the PostgreSQL server runs as the postgres user and writes below it
KEY="contract-key-0123456789abcdef"
SECRET_KEY="$(head -c 32 /dev/urandom | base64)"   # seals sender credentials; never written into the checkout
SCHEMA="$ROOT/Sources/PigeonHTTP/Resources/openapi.yaml"

if [[ ! -x .build/schemathesis/bin/schemathesis ]]; then
  mkdir -p .build
  python3 -m venv .build/schemathesis
  .build/schemathesis/bin/pip install --quiet schemathesis
fi
if [[ -z "${PIGEON_BIN:-}" ]]; then
  swift build --product pigeon >/dev/null
  PIGEON_BIN="$(swift build --show-bin-path)/pigeon"
fi

PIDS=()
CLUSTER=""
cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null || true; done
  [[ -n "$CLUSTER" ]] && as_postgres "$PG_BIN/pg_ctl" -D "$CLUSTER" stop -m immediate -w >/dev/null 2>&1 || true
  rm -rf "$WORK"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
# PostgreSQL refuses to run as root: as root, the server runs as the `postgres` user.
as_postgres() { if [[ $(id -u) == 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi; }

# Starts a throwaway cluster and prints its database URL; fails when PostgreSQL's binaries are missing.
start_postgres() {
  PG_BIN="$(dirname "$(command -v initdb 2>/dev/null || ls -d /usr/lib/postgresql/*/bin/initdb 2>/dev/null | sort -V | tail -1)")"
  [[ -x "$PG_BIN/initdb" ]] || return 1
  local port
  port=$(free_port)
  mkdir -p "$WORK/pg"
  [[ $(id -u) == 0 ]] && chown postgres "$WORK/pg"
  as_postgres "$PG_BIN/initdb" -D "$WORK/pg/data" -U pigeon --auth=trust >/dev/null
  CLUSTER="$WORK/pg/data"
  as_postgres "$PG_BIN/pg_ctl" -D "$CLUSTER" -l "$WORK/pg/server.log" -w start \
    -o "-p $port -k $WORK/pg -c listen_addresses=127.0.0.1" >/dev/null
  echo "postgres://pigeon@127.0.0.1:$port/postgres"
}

status=0
for store in $STORES; do
  case "$store" in
    sqlite) DB="$WORK/pigeon.sqlite" ;;
    postgres)
      if ! DB="$(start_postgres)"; then
        if [[ -n "${REQUIRE_POSTGRES:-}" ]]; then echo "PostgreSQL's server binaries (initdb, pg_ctl) are missing" >&2; exit 1; fi
        echo "store postgres: skipped (no initdb; apt-get install -y postgresql)"
        continue
      fi ;;
    *) echo "unknown store \"$store\" in STORES (sqlite, postgres)" >&2; exit 2 ;;
  esac
  PORT=$(free_port)
  PIGEON_PORT="$PORT" PIGEON_API_KEY="$KEY" PIGEON_DATABASE_URL="$DB" PIGEON_MEDIA_DIR="$WORK/media-$store" \
    PIGEON_META_APP_SECRET=contract-app-secret PIGEON_SECRET_KEY="$SECRET_KEY" PIGEON_LOG_LEVEL=warning "$PIGEON_BIN" serve >"$WORK/pigeon-$store.log" 2>&1 &
  PIDS+=($!)
  for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$PORT/readyz" >/dev/null && break; sleep 0.1; done
  echo "store $store: schemathesis --checks all against http://127.0.0.1:$PORT"
  if ! .build/schemathesis/bin/schemathesis --no-color --config-file "$ROOT/scripts/schemathesis.toml" run "$SCHEMA" --url "http://127.0.0.1:$PORT" --checks all \
    -H "Authorization: Bearer $KEY" --workers 1 --max-examples "${MAX_EXAMPLES:-30}" --seed 1 --generation-database none; then
    status=1
    echo "store $store: the OpenAPI document and the server disagree (above); pigeon's log:" >&2
    tail -20 "$WORK/pigeon-$store.log" >&2
  fi
done
exit $status
