#!/usr/bin/env bash
# Webhook intake benchmark with a light load generator (wrk), so Pigeon's own cost is what is measured:
# a release `pigeon serve` sends $MESSAGES messages to the nginx fake of the Graph API (no errors), then wrk
# posts three signed status webhooks per sent message (sent, delivered, read; one status per POST, as Meta
# does) over $CONN connections. Prints events/s until every message is `read`, and Pigeon's CPU per webhook.
#
#   scripts/bench-webhooks.sh                  # 20,000 messages → 60,000 webhooks, 32 connections
#   MESSAGES=50000 CONN=64 scripts/bench-webhooks.sh
#   SEND_RATE=1500 scripts/bench-webhooks.sh   # and meanwhile send 1,500 new messages/s for 10 s: the whole loop
#                                              # (Meta's sizing rule is 3 status webhooks per message sent)
#
# Needs ../shared/bench, nginx, wrk and sqlite3 (apt-get install -y nginx-light wrk sqlite3) and python3.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
SHARED="${SHARED_BENCH:-$ROOT/../shared/bench}"
WORK="${WORK:-/tmp/pigeon-bench-webhooks}"
MESSAGES="${MESSAGES:-20000}"
CONN="${CONN:-32}"
SEND_RATE="${SEND_RATE:-0}"
PORT=18096
KEY="bench-key-0123456789abcdef"
SECRET="bench-app-secret"
[[ -x "$SHARED/start.sh" ]] || { echo "missing: $SHARED/start.sh (the fake Graph API). Put shared/ beside this repository, or set SHARED_BENCH." >&2; exit 2; }
for tool in nginx wrk sqlite3 python3; do
  command -v "$tool" >/dev/null || { echo "missing: $tool (apt-get install -y nginx-light wrk sqlite3)" >&2; exit 2; }
done

cd "$ROOT"
swift build -c release --product pigeon >/dev/null
BIN="$(swift build -c release --show-bin-path)/pigeon"
rm -rf "$WORK" && mkdir -p "$WORK"
BENCH_PREFIX="$WORK/upstream" "$SHARED/stop.sh" >/dev/null 2>&1 || true
ERR_PCT=0 BENCH_PREFIX="$WORK/upstream" "$SHARED/start.sh" >/dev/null
PIGEON_PORT=$PORT PIGEON_API_KEY=$KEY PIGEON_META_APP_SECRET=$SECRET PIGEON_DATABASE_URL="$WORK/pigeon.sqlite" \
PIGEON_META_BASE_URL=http://127.0.0.1:18080 PIGEON_META_ACCESS_TOKEN=bench-token PIGEON_META_PHONE_NUMBER_ID=123456789 \
PIGEON_LOG_LEVEL=error "$BIN" serve >"$WORK/pigeon.log" 2>&1 &
PIGEON_PID=$!
cleanup() {
  kill "$PIGEON_PID" 2>/dev/null && wait "$PIGEON_PID" 2>/dev/null || true
  [[ -n "${WRK_PID:-}" ]] && kill "$WRK_PID" 2>/dev/null || true
  BENCH_PREFIX="$WORK/upstream" "$SHARED/stop.sh" >/dev/null 2>&1 || true
}
trap cleanup EXIT
for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null && break; sleep 0.1; done

"$BIN" bench --url "http://127.0.0.1:$PORT" --api-key "$KEY" --messages "$MESSAGES" | grep "end to end"
sqlite3 "$WORK/pigeon.sqlite" "SELECT wamid FROM messages WHERE status = 'sent'" >"$WORK/wamids.txt"
python3 scripts/webhook-load/sign.py "$WORK/wamids.txt" "$WORK/webhooks.tsv" "$SECRET"
EVENTS=$(wc -l <"$WORK/webhooks.tsv")
CPU0=$(awk '{print ($14 + $15) / 100}' "/proc/$PIGEON_PID/stat")
START=$(date +%s.%N)
if (( SEND_RATE > 0 )); then
  "$BIN" bench --url "http://127.0.0.1:$PORT" --api-key "$KEY" --messages $((SEND_RATE * 10)) --batch 10 --rate "$SEND_RATE" \
    >"$WORK/send.txt" 2>&1 &
  SEND_PID=$!
fi
WEBHOOK_FILE="$WORK/webhooks.tsv" wrk -t1 -c"$CONN" -d600s --latency -s scripts/webhook-load/post-webhooks.lua \
  "http://127.0.0.1:$PORT" >"$WORK/wrk.txt" &
WRK_PID=$!
for _ in $(seq 1 12000); do
  READ=$(sqlite3 "$WORK/pigeon.sqlite" "SELECT n FROM message_counts WHERE status = 'read'" 2>/dev/null || echo 0)
  [[ "$READ" == "$MESSAGES" ]] && break
  sleep 0.05
done
END=$(date +%s.%N)
CPU1=$(awk '{print ($14 + $15) / 100}' "/proc/$PIGEON_PID/stat")
kill -INT "$WRK_PID" 2>/dev/null || true
wait "$WRK_PID" 2>/dev/null || true
if (( SEND_RATE > 0 )); then
  wait "$SEND_PID" || true
  echo "while the webhooks arrived, sending at $SEND_RATE messages/s offered:"
  grep -E "end to end|latency" "$WORK/send.txt" | sed 's/^/  /'
fi
echo "machine: $(nproc) cores; $EVENTS webhooks over $CONN connections"
grep -E "^ +(50|90|99)%" "$WORK/wrk.txt" | sed -E 's/^ +([0-9]+)% +/acknowledgement latency p\1: /' || true
python3 -c "n=$EVENTS; d=$END-$START; c=$CPU1-$CPU0; s=$SEND_RATE > 0; print(f'{n} webhooks applied ({n // 3} messages read) in {d:.2f} s = {n/d:,.0f} events/s; pigeon CPU {c:.1f} s' + (' (sending included)' if s else f' = {c/n*1e6:.0f} us per webhook'))"
