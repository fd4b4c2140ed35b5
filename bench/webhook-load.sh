#!/usr/bin/env bash
# Load run for POST /line/webhook: builds the release binary, starts it on a fresh SQLite database
# with a known channel secret and a fake LINE API, and drives signed one-event follow webhooks,
# each with a unique webhookEventId, through examples/webhook_load.rs.
#
#   bench/webhook-load.sh [REQUESTS] [CONCURRENCY]      (defaults: 50000 64)
#
# Prints requests/s and latency percentiles, then how long the worker took to answer every follow.
# Server log and database are kept in bench/out/.
set -euo pipefail
cd "$(dirname "$0")/.."

REQUESTS="${1:-50000}"
CONCURRENCY="${2:-64}"
PORT="${PORT:-28371}"
LINE_PORT="${LINE_PORT:-28372}"
SECRET="load-test-channel-secret"
OUT="bench/out"
BIN="${CARGO_TARGET_DIR:-target}/release"

cargo build --release --locked --bin store-assistant --example webhook_load

for p in "$PORT" "$LINE_PORT"; do
  if (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
    echo "port $p is in use; choose others with PORT=… LINE_PORT=…" >&2
    exit 1
  fi
done

mkdir -p "$OUT" && rm -f "$OUT"/load.db*
LISTEN_ADDR="127.0.0.1:$PORT" \
DATABASE_URL="sqlite://$OUT/load.db" \
LINE_CHANNEL_SECRET="$SECRET" \
LINE_CHANNEL_ACCESS_TOKEN="load-test-access-token" \
LINE_API_BASE_URL="http://127.0.0.1:$LINE_PORT" \
SECRET_KEY="load-test-secret-key-0123456789abcdefghijklmnop" \
  "$BIN/store-assistant" serve >"$OUT/server.log" 2>&1 &
SERVER=$!
trap 'kill "$SERVER" 2>/dev/null || true; wait "$SERVER" 2>/dev/null || true' EXIT

for _ in $(seq 1 300); do
  curl -fsS "http://127.0.0.1:$PORT/healthz" >/dev/null 2>&1 && break
  kill -0 "$SERVER" 2>/dev/null || { cat "$OUT/server.log" >&2; exit 1; }
  sleep 0.1
done

echo "== $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)), load average $(cut -d' ' -f1-3 /proc/loadavg)"
"$BIN/examples/webhook_load" \
  --url "http://127.0.0.1:$PORT" --secret "$SECRET" \
  --requests "$REQUESTS" --concurrency "$CONCURRENCY" --fake-line-port "$LINE_PORT"
echo "== stored: $(sqlite3 "$OUT/load.db" 'select count(*) from webhook_events' 2>/dev/null || echo '(sqlite3 not installed)') events"
