#!/usr/bin/env bash
# Dispatch-only benchmark: fills a fresh database with $MESSAGES queued messages by SQL, starts a release
# `pigeon serve` on it against the nginx fake of the Graph API in ../shared/bench, and times the drain
# (every message sent or failed). Prints messages/s and Pigeon's CPU time per message.
#
#   scripts/drain.sh                     # 50,000 messages, 10 % answered 131000 and retried
#   ERR_PCT=0 MESSAGES=100000 scripts/drain.sh
#   MEDIA=1 scripts/drain.sh             # template messages naming a media library asset (media_key), already
#                                        # uploaded: measures resolving the key at send time
#   PG_URL=postgres://user@127.0.0.1:5432/db INSTANCES=2 scripts/drain.sh
#                                        # on PostgreSQL (an empty database the script migrates and fills),
#                                        # drained by INSTANCES pigeon serve processes (default 1)
#
# Needs ../shared/bench (beside this repository), nginx (apt-get install -y nginx-light), and sqlite3 or psql.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
SHARED="${SHARED_BENCH:-$ROOT/../shared/bench}"
WORK="${WORK:-/tmp/pigeon-drain}"
MESSAGES="${MESSAGES:-50000}"
[[ -x "$SHARED/start.sh" ]] || { echo "missing: $SHARED/start.sh (the fake Graph API). Put shared/ beside this repository, or set SHARED_BENCH." >&2; exit 2; }
command -v nginx >/dev/null || { echo "missing: nginx. Install it with: apt-get install -y nginx-light" >&2; exit 2; }
PG_URL="${PG_URL:-}"
INSTANCES="${INSTANCES:-1}"
if [[ -n "$PG_URL" ]]; then
  command -v psql >/dev/null || { echo "missing: psql. Install it with: apt-get install -y postgresql-client" >&2; exit 2; }
else
  command -v sqlite3 >/dev/null || { echo "missing: sqlite3. Install it with: apt-get install -y sqlite3" >&2; exit 2; }
fi

cd "$ROOT"
swift build -c release --product pigeon >/dev/null
BIN="$(swift build -c release --show-bin-path)/pigeon"
rm -rf "$WORK" && mkdir -p "$WORK"
DB="${PG_URL:-$WORK/pigeon.sqlite}"
# Runs SQL on the benchmark's database, whichever it is.
sql() { if [[ -n "$PG_URL" ]]; then psql -X -q -t -A "$PG_URL" -c "$1"; else sqlite3 "$DB" "$1"; fi; }
PIGEON_DATABASE_URL="$DB" "$BIN" migrate >/dev/null
NOW=$(($(date +%s) * 1000))
TYPE=text
PAYLOAD='{"recipient_type":"individual","text":{"body":"hi"},"to":"+15550001111","type":"text"}'
if [[ "${MEDIA:-0}" == 1 ]]; then
  # An asset uploaded to the sender a minute ago (the fake has no media endpoint; nothing is uploaded).
  SHA=0000000000000000000000000000000000000000000000000000000000000000
  sql "INSERT INTO media_assets (key, sha256, mime_type, size, filename, created_at, updated_at)
      VALUES ('onboarding-video', '$SHA', 'video/mp4', 1000, 'onboarding.mp4', $NOW, $NOW);
    INSERT INTO media_uploads (key, sender_id, media_id, uploaded_at, expires_at, sha256)
      VALUES ('onboarding-video', '123456789', '1000000000000001', $NOW, $((NOW + 30 * 86400000)), '$SHA')"
  TYPE=template
  PAYLOAD='{"recipient_type":"individual","template":{"components":[{"parameters":[{"type":"video","video":{"media_key":"onboarding-video"}}],"type":"header"}],"language":{"code":"en"},"name":"onboarding"},"to":"+15550001111","type":"template"}'
fi
if [[ -n "$PG_URL" ]]; then
  sql "INSERT INTO messages (id, sender_id, recipient, type, payload, status, max_attempts, next_attempt_at, created_at, updated_at)
    SELECT 'msg_01M8' || lpad(i::text, 22, '0'), '123456789', '+15550001111', '$TYPE', '$PAYLOAD', 'queued', 6, $NOW, $NOW, $NOW
    FROM generate_series(1, $MESSAGES) i;
    INSERT INTO message_counts (status, shard, n) VALUES ('queued', 0, $MESSAGES)
    ON CONFLICT (status, shard) DO UPDATE SET n = message_counts.n + excluded.n" >/dev/null
  sql "VACUUM ANALYZE messages" >/dev/null
  LEFT_SQL="SELECT COALESCE(SUM(n), 0) FROM message_counts WHERE status IN ('queued','sending','retry_scheduled')"
else
  sql "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $MESSAGES)
    INSERT INTO messages (id, sender_id, recipient, type, payload, status, max_attempts, next_attempt_at, created_at, updated_at)
    SELECT printf('msg_01M8%022d', i), '123456789', '+15550001111', '$TYPE', '$PAYLOAD', 'queued', 6, $NOW, $NOW, $NOW FROM n;
    UPDATE message_counts SET n = n + $MESSAGES WHERE status = 'queued'"
  LEFT_SQL="SELECT SUM(n) FROM message_counts WHERE status IN ('queued','sending','retry_scheduled')"
fi

BENCH_PREFIX="$WORK/upstream" "$SHARED/stop.sh" >/dev/null 2>&1 || true
BENCH_PREFIX="$WORK/upstream" "$SHARED/start.sh" >/dev/null
PIDS=()
cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null || true; done
  BENCH_PREFIX="$WORK/upstream" "$SHARED/stop.sh" >/dev/null 2>&1 || true
}
trap cleanup EXIT
START=$(date +%s.%N)
for instance in $(seq 1 "$INSTANCES"); do
  PIGEON_PORT=$((18098 + instance)) PIGEON_API_KEY=drain-key-0123456789 PIGEON_DATABASE_URL="$DB" PIGEON_META_BASE_URL=http://127.0.0.1:18080 \
  PIGEON_META_ACCESS_TOKEN=bench-token PIGEON_META_PHONE_NUMBER_ID=123456789 PIGEON_RETRY_SCHEDULE=100ms PIGEON_LOG_LEVEL=error \
    "$BIN" serve >"$WORK/pigeon-$instance.log" 2>&1 &
  PIDS+=($!)
done
for _ in $(seq 1 1200); do
  sleep 0.1
  LEFT=$(sql "$LEFT_SQL" 2>/dev/null || echo busy)
  [[ "$LEFT" == "0" ]] && break
done
END=$(date +%s.%N)
CPU=0
for pid in "${PIDS[@]}"; do
  CPU=$(python3 -c "print($CPU + $(awk '{print ($14 + $15) / 100}' "/proc/$pid/stat"))")
done
for t in /proc/${PIDS[0]}/task/*; do echo "thread $(cat $t/comm): $(awk "{print (\$14 + \$15) / 100}" $t/stat) s"; done | sort -t: -k2 -rn | head -8 >&2
echo "machine: $(nproc) cores; upstream errors ${ERR_PCT:-10}%; $TYPE messages; ${PG_URL:+PostgreSQL, }$INSTANCES instance(s)"
python3 -c "d = $END - $START; print(f'drained $MESSAGES in {d:.2f} s = {$MESSAGES / d:,.0f} messages/s; pigeon CPU {$CPU:.1f} s = {$CPU / $MESSAGES * 1e6:.0f} us per message')"
