#!/usr/bin/env bash
# End-to-end benchmark: a release `pigeon serve` on a fresh SQLite file, sending to the fast nginx fake of
# the Graph API in ../shared/bench (10 % of sends answer 131000 and are retried), driven by `pigeon bench`.
#
#   scripts/bench.sh                                  # 100,000 messages, batches of 100, as fast as possible
#   MESSAGES=20000 BATCH=1 CONCURRENCY=32 scripts/bench.sh     # one message per request
#   MESSAGES=30000 BATCH=10 RATE=1000 scripts/bench.sh         # latency at 1,000 messages/s offered
#   ERR_PCT=0 scripts/bench.sh                        # no injected errors
#   MODE=backlog MESSAGES=1000000 BATCH=1000 scripts/bench.sh  # memory while a backlog grows: the upstream
#                                                     # pauses the sender (code 190), so everything stays queued
#   MODE=webhooks ERR_PCT=0 MESSAGES=20000 scripts/bench.sh  # then three signed status webhooks per sent
#                                                     # message (sent, delivered, read), one per POST
#   MODE=campaign scripts/bench.sh                   # a campaign day of MESSAGES recipients (imported as CSV,
#                                                     # all due at once), start to every recipient sent
#   MODE=import MESSAGES=1000000 scripts/bench.sh    # only the CSV import: time, CPU and peak RSS
#   MODE=dashboard MESSAGES=1000000 BATCH=1000 scripts/bench.sh  # a backlog as above, then each dashboard
#                                                     # page, /v1/health and /metrics timed 10 times
#   SENDERS=10 scripts/bench.sh                      # ten Cloud API numbers in the default pool (the configured
#                                                     # one and nine added by POST /v1/senders, no rate limit)
#   SENDER_RATE_LIMIT=80 ERR_PCT=0 MESSAGES=2400 BATCH=10 scripts/bench.sh
#                                                     # the configured number capped at 80 msg/s (PATCH): 30 s
#   PG_URL=postgres://user@127.0.0.1:5432/db INSTANCES=2 scripts/bench.sh
#                                                     # on PostgreSQL (an empty database: the script empties
#                                                     # it), INSTANCES pigeon serve processes on ports PORT,
#                                                     # PORT+1, … sharing the requests in turn (default 1)
#
# PIGEON_BIN=/path/to/pigeon runs that binary instead of building this checkout (before/after comparisons).
# Needs ../shared/bench (beside this repository), nginx (apt-get install -y nginx-light), and psql with PG_URL.
# Writes pigeon's log and an RSS sample (KiB, one per second) under $WORK (default /tmp/pigeon-bench).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
SHARED="${SHARED_BENCH:-$ROOT/../shared/bench}"
WORK="${WORK:-/tmp/pigeon-bench}"
PORT="${PORT:-18088}"
MESSAGES="${MESSAGES:-100000}"
BATCH="${BATCH:-100}"
CONCURRENCY="${CONCURRENCY:-8}"
RATE="${RATE:-0}"
PG_URL="${PG_URL:-}"
INSTANCES="${INSTANCES:-1}"
KEY="bench-key-0123456789abcdef"
SECRET_KEY="$(head -c 32 /dev/urandom | base64)"   # one sealing key for every instance of the run
SECRET="bench-app-secret"

if [[ ! -x "$SHARED/start.sh" ]]; then
  echo "missing: $SHARED/start.sh (the fake Graph API). Put the shared/ folder beside this repository, or set SHARED_BENCH." >&2
  exit 2
fi
command -v nginx >/dev/null || { echo "missing: nginx. Install it with: apt-get install -y nginx-light" >&2; exit 2; }
if [[ -n "$PG_URL" ]]; then
  command -v psql >/dev/null || { echo "missing: psql. Install it with: apt-get install -y postgresql-client" >&2; exit 2; }
fi

cd "$ROOT"
if [[ -n "${PIGEON_BIN:-}" ]]; then
  BIN="$PIGEON_BIN"   # a given binary (to compare two builds in one sitting)
else
  swift build -c release --product pigeon >/dev/null
  BIN="$(swift build -c release --show-bin-path)/pigeon"
fi

rm -rf "$WORK" && mkdir -p "$WORK"
UPSTREAM=http://127.0.0.1:18080
if [[ "${MODE:-throughput}" == backlog || "${MODE:-throughput}" == dashboard ]]; then
  UPSTREAM=http://127.0.0.1:18091
  "$BIN" simulate --port 18091 >"$WORK/simulator.log" 2>&1 &
  SIMULATOR_PID=$!
  for _ in $(seq 1 100); do curl -sf -o /dev/null -X POST "$UPSTREAM/_sim/rules" -d '{"error": {"code": 190, "http_status": 401}}' && break; sleep 0.1; done
else
  BENCH_PREFIX="$WORK/upstream" "$SHARED/stop.sh" >/dev/null 2>&1 || true
  BENCH_PREFIX="$WORK/upstream" "$SHARED/start.sh"
fi
PIDS=()
cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null || true; done
  [[ -n "${SAMPLER_PID:-}" ]] && kill "$SAMPLER_PID" 2>/dev/null || true
  [[ -n "${SIMULATOR_PID:-}" ]] && kill "$SIMULATOR_PID" 2>/dev/null || true
  BENCH_PREFIX="$WORK/upstream" "$SHARED/stop.sh" >/dev/null 2>&1 || true
}
trap cleanup EXIT

DB="$WORK/pigeon.sqlite"
if [[ -n "$PG_URL" ]]; then
  DB="$PG_URL"
  psql -X -q "$PG_URL" -c "DROP SCHEMA public CASCADE; CREATE SCHEMA public" >/dev/null
  PIGEON_DATABASE_URL="$DB" "$BIN" migrate >/dev/null
fi
URLS=()
for i in $(seq 0 $((INSTANCES - 1))); do
  PIGEON_PORT="$((PORT + i))" PIGEON_API_KEY="$KEY" PIGEON_META_APP_SECRET="$SECRET" PIGEON_DATABASE_URL="$DB" PIGEON_SECRET_KEY="$SECRET_KEY" \
  PIGEON_META_BASE_URL="$UPSTREAM" PIGEON_META_ACCESS_TOKEN=bench-token PIGEON_META_PHONE_NUMBER_ID=123456789 \
  PIGEON_RETRY_SCHEDULE="${RETRY_SCHEDULE:-100ms,200ms,400ms,800ms,1600ms}" PIGEON_LOG_LEVEL="${LOG_LEVEL:-error}" \
    "$BIN" serve >"$WORK/pigeon-$i.log" 2>&1 &
  PIDS+=($!)
  URLS+=("http://127.0.0.1:$((PORT + i))")
  for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$((PORT + i))/healthz" >/dev/null && break; sleep 0.1; done
done
PIGEON_PID="${PIDS[0]}"
api() { curl -sf -o /dev/null -X "$1" "http://127.0.0.1:$PORT$2" -H "Authorization: Bearer $KEY" -H 'Content-Type: application/json' -d "$3"; }
if [[ -n "${SENDER_RATE_LIMIT:-}" ]]; then
  api PATCH /v1/senders/123456789 "{\"rate_limit\": $SENDER_RATE_LIMIT}"
fi
for i in $(seq 2 "${SENDERS:-1}"); do
  api POST /v1/senders "{\"kind\": \"cloud_api\", \"id\": \"12345678$((9 + i))\", \"access_token\": \"bench-token\", \"rate_limit\": null}"
done
URL_LIST="$(IFS=,; echo "${URLS[*]}")"
( while kill -0 "$PIGEON_PID" 2>/dev/null; do ps -o rss= -p "$PIGEON_PID" >>"$WORK/rss.txt" || true; sleep 1; done ) &
SAMPLER_PID=$!

# Busy CPU seconds of the whole machine (the database server, nginx and the load generator included).
busy() { awk '/^cpu / { print ($2 + $3 + $4 + $7 + $8) / 100 }' /proc/stat; }
BUSY_START=$(busy)
STORE="sqlite synchronous=FULL"
[[ -n "$PG_URL" ]] && STORE="postgresql $(psql -X -t -A "$PG_URL" -c 'SHOW server_version') synchronous_commit=$(psql -X -t -A "$PG_URL" -c 'SHOW synchronous_commit'), $INSTANCES instance(s)"
echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB; $STORE; mode ${MODE:-throughput}; upstream errors ${ERR_PCT:-10}%; senders ${SENDERS:-1}; rate limit ${SENDER_RATE_LIMIT:-none}"
if [[ "${MODE:-throughput}" == campaign || "${MODE:-throughput}" == import ]]; then
  # A campaign of MESSAGES recipients whose whole day is due at once: its window ends within a minute of
  # the start, so the scheduler's first look releases every recipient. Timed from start to every
  # recipient sent.
  python3 -c "
import sys
print('phone,name')
for i in range($MESSAGES): print(f'+1555{i:07d},P{i}')" >"$WORK/recipients.csv"
  read -r FROM TO WAIT < <(python3 -c "
import time
now = time.time(); m = int(now // 60)
end = m + 3
print(time.strftime('%H:%M', time.gmtime((m - 1) * 60)), time.strftime('%H:%M', time.gmtime(end * 60)), max(0, end * 60 - 55 - now))")
  [[ "$TO" < "$FROM" ]] && { echo "the window would cross midnight UTC; run again in a few minutes" >&2; exit 2; }
  CAMPAIGN=$(curl -sf -X POST "http://127.0.0.1:$PORT/v1/campaigns" -H "Authorization: Bearer $KEY" -H 'Content-Type: application/json' \
    -d "{\"name\": \"bench\", \"sender_id\": \"123456789\", \"daily_send_limit\": $MESSAGES, \"send_window\": {\"from\": \"$FROM\", \"to\": \"$TO\"},
         \"message\": {\"type\": \"text\", \"text\": {\"body\": \"Hi {{name}}\"}}}" | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
  IMPORT_START=$(date +%s.%N)
  curl -sf -X POST "http://127.0.0.1:$PORT/v1/campaigns/$CAMPAIGN/recipients" -H "Authorization: Bearer $KEY" -H 'Content-Type: text/csv' \
    --data-binary @"$WORK/recipients.csv" >"$WORK/import.json"
  python3 -c "print(f'imported {$MESSAGES} recipients in {$(date +%s.%N) - $IMPORT_START:.2f} s')"
  if [[ "$MODE" == import ]]; then
    cat "$WORK/import.json" | head -c 300; echo
    echo "pigeon CPU: $(awk '{ print ($14 + $15) / 100 }' "/proc/$PIGEON_PID/stat") s since it started; peak RSS $(awk '/VmHWM/ { print int($2 / 1024) }' "/proc/$PIGEON_PID/status") MiB"
    exit 0
  fi
  WAIT=$(python3 -c "print(max(0, $WAIT - ($(date +%s.%N) - $IMPORT_START)))")
  sleep "$WAIT"   # until the window has under a minute left
  BUSY_START=$(busy)
  CPU_START=$(cat "/proc/$PIGEON_PID/stat" | awk '{ print ($14 + $15) / 100 }')
  START=$(date +%s.%N)
  api POST "/v1/campaigns/$CAMPAIGN/start" '{}'
  # /v1/stats every 0.2 s, as `pigeon bench` polls it, from one process (a curl and a python3 started for
  # each poll took a fifth of a core from the two being measured). The campaign's own view counts its
  # recipients: checked at the end.
  python3 - "$START" "http://127.0.0.1:$PORT/v1/stats" "$KEY" "$MESSAGES" <<'POLL'
import json, sys, time, urllib.request
start, url, key, expected = float(sys.argv[1]), sys.argv[2], sys.argv[3], int(sys.argv[4])
request = urllib.request.Request(url, headers={"Authorization": f"Bearer {key}"})
while True:
    counts = json.load(urllib.request.urlopen(request))["messages"]
    sent = counts.get("sent", 0) + counts.get("delivered", 0) + counts.get("read", 0)
    failed = counts.get("failed", 0)  # every attempt answered an error (10 % each): settled, as `pigeon bench` counts
    elapsed = time.time() - start
    if sent + failed >= expected or elapsed > 600:
        break
    time.sleep(0.2)
if sent + failed < expected:
    print(f"warning: only {sent + failed} settled after 600 s")
print(f"campaign day: {sent + failed} recipients settled ({failed} failed) in {elapsed:.2f} s = {(sent + failed) / elapsed:.0f} messages/s (start to last recipient settled)")
POLL
  curl -sf "http://127.0.0.1:$PORT/v1/campaigns/$CAMPAIGN" -H "Authorization: Bearer $KEY" |
    python3 -c 'import json,sys; v = json.load(sys.stdin); print("campaign view:", {k: v[k] for k in ["status", "recipients", "pending", "sending", "sent", "failed", "sent_today"]})' 
  CPU=$(python3 -c "print($(cat "/proc/$PIGEON_PID/stat" | awk '{ print ($14 + $15) / 100 }') - $CPU_START)")
  python3 -c "print(f'pigeon CPU during the day: {$CPU:.1f} s = {$CPU / $MESSAGES * 1e6:.0f} us per message')"
elif [[ "${MODE:-throughput}" == backlog || "${MODE:-throughput}" == dashboard ]]; then
  "$BIN" bench --url "$URL_LIST" --api-key "$KEY" --messages "$MESSAGES" --batch "$BATCH" \
    --concurrency "$CONCURRENCY" --rate "$RATE" --accept-only
  curl -s "http://127.0.0.1:$PORT/v1/stats" -H "Authorization: Bearer $KEY"; echo
  sleep 2
  if [[ "$MODE" == dashboard ]]; then
    # Each page 10 times with the store holding MESSAGES messages (all due: the sender is paused), signed in.
    COOKIE=$(curl -s -i -X POST "http://127.0.0.1:$PORT/dashboard/login" --data-urlencode "api_key=$KEY" | tr -d '\r' |
      awk -F'[ ;]' 'tolower($1) == "set-cookie:" { print $2 }')
    for page in /dashboard /dashboard/dead-letters /dashboard/senders /dashboard/campaigns /dashboard/forwards /v1/health /metrics; do
      for _ in $(seq 1 10); do
        curl -s -o /dev/null -w '%{time_total} %{http_code}\n' "http://127.0.0.1:$PORT$page" -H "Cookie: $COOKIE" -H "Authorization: Bearer $KEY"
      done | python3 -c "
import sys
rows = [line.split() for line in sys.stdin]
times = sorted(float(t) * 1000 for t, _ in rows)
codes = sorted({c for _, c in rows})
print(f'$page: median {times[len(times) // 2]:.1f} ms, max {times[-1]:.1f} ms (HTTP {\",\".join(codes)})')"
    done
  fi
else
  "$BIN" bench --url "$URL_LIST" --api-key "$KEY" --messages "$MESSAGES" --batch "$BATCH" \
    --concurrency "$CONCURRENCY" --rate "$RATE"
  if [[ "${MODE:-throughput}" == webhooks ]]; then
    "$BIN" bench-webhooks --url "http://127.0.0.1:$PORT" --api-key "$KEY" --app-secret "$SECRET" \
      --messages "$MESSAGES" --concurrency "${WEBHOOK_CONCURRENCY:-32}"
  fi
fi
CPU=$(for pid in "${PIDS[@]}"; do cat "/proc/$pid/stat"; done | awk '{ cpu += ($14 + $15) / 100 } END { print cpu }')
python3 -c "print(f'pigeon CPU: {$CPU:.1f} s in all = {$CPU / $MESSAGES * 1e6:.0f} us per message')"
BUSY=$(python3 -c "print($(busy) - $BUSY_START)")
python3 -c "print(f'machine CPU busy: {$BUSY:.1f} s in all = {$BUSY / $MESSAGES * 1e6:.0f} us per message (every process)')"
echo "pigeon RSS (MiB): start $(( $(head -1 "$WORK/rss.txt") / 1024 )), max $(( $(sort -n "$WORK/rss.txt" | tail -1) / 1024 )), end $(( $(tail -1 "$WORK/rss.txt") / 1024 ))"
