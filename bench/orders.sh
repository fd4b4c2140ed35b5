#!/usr/bin/env bash
# Issue 14's speed goals, measured on this machine (numbers in bench/RESULTS.md):
#
#   bench/orders.sh [SECONDS] [CONNECTIONS]          (defaults: 10 64)
#
# 1. Order webhooks: the release server on a fresh SQLite database, driven by
#    examples/order_webhook_load.rs: signed generic order webhooks (each signed when sent, each
#    order its own external id), CONNECTIONS at a time for SECONDS after a 2 s warm-up; then the
#    orders actually stored are counted in the database. Goal: >= 2,000 stored orders/s.
# 2. The monthly sales report: examples/sales_report_bench.rs seeds 1,000 stores and 1,000,000
#    orders in one month (the report totals checked against the product's own bookings) and times
#    the report as /admin/sales asks for it, on a fresh SQLite file and on a fresh PostgreSQL
#    database on $PG_URL (dropped afterwards). Goal: < 300 ms.
#
# ONLY=webhooks or ONLY=report runs one part; ORDERS, STORES, MEMBERS, ITERATIONS size the report.
# Everything it writes goes to bench/out/ (the summary: bench/out/orders-summary.txt).
set -euo pipefail
cd "$(dirname "$0")/.."

SECONDS_PER_RUN="${1:-10}"
CONNECTIONS="${2:-64}"
ONLY="${ONLY:-}"
ORDERS="${ORDERS:-1000000}"
STORES="${STORES:-1000}"
MEMBERS="${MEMBERS:-300000}"
ITERATIONS="${ITERATIONS:-20}"
PG_URL="${PG_URL:-postgres://postgres@127.0.0.1:5432}"
OUT="bench/out"
BIN="${CARGO_TARGET_DIR:-target}/release"
PORT=28411

say() { echo "== $*" >&2; }

if [ -z "${SKIP_BUILD:-}" ]; then
  cargo build --release --locked --bin store-assistant \
    --example order_webhook_load --example sales_report_bench
fi
mkdir -p "$OUT"
SUMMARY="$OUT/orders-summary.txt"
{
  echo "date: $(date -u '+%Y-%m-%d %H:%M UTC')"
  echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(free -g | awk '/^Mem:/ {print $2}') GiB RAM"
  echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
} | tee "$SUMMARY"

SERVER=""
cleanup() {
  if [ -n "$SERVER" ]; then
    kill "$SERVER" 2>/dev/null || true
    wait "$SERVER" 2>/dev/null || true
  fi
}
trap cleanup EXIT

if [ -z "$ONLY" ] || [ "$ONLY" = webhooks ]; then
  if (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; then
    echo "port $PORT is in use; stop what listens there first" >&2
    exit 1
  fi
  say "order webhooks: release server on a fresh SQLite database"
  rm -f "$OUT"/orders.db*
  LISTEN_ADDR="127.0.0.1:$PORT" DATABASE_URL="sqlite://$OUT/orders.db" \
  LINE_CHANNEL_SECRET="bench-channel-secret" LINE_CHANNEL_ACCESS_TOKEN="bench-access-token" \
  SECRET_KEY="bench-secret-key-0123456789abcdefghijklmnopqrstuv" \
    "$BIN/store-assistant" serve >"$OUT/orders-server.log" 2>&1 &
  SERVER=$!
  for _ in $(seq 1 300); do
    (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null && break
    sleep 0.1
  done
  "$BIN/examples/order_webhook_load" --url "http://127.0.0.1:$PORT" \
    --database-url "sqlite://$OUT/orders.db" --duration "$SECONDS_PER_RUN" \
    --concurrency "$CONNECTIONS" --server-pid "$SERVER" | tee "$OUT/orders-webhooks.txt"
  cleanup
  SERVER=""
  echo "order webhooks (SQLite): $(grep -v '^RESULT' "$OUT/orders-webhooks.txt")" >>"$SUMMARY"
fi

if [ -z "$ONLY" ] || [ "$ONLY" = report ]; then
  report() {
    "$BIN/examples/sales_report_bench" --database-url "$1" --stores "$STORES" \
      --orders "$ORDERS" --members "$MEMBERS" --iterations "$ITERATIONS"
  }
  say "monthly report on SQLite ($ORDERS orders, $STORES stores)"
  rm -f "$OUT"/report.db*
  report "sqlite://$OUT/report.db" | tee "$OUT/report-sqlite.txt"
  if pg_isready -h 127.0.0.1 -p 5432 -q 2>/dev/null; then
    say "monthly report on PostgreSQL"
    PG_DB="sa_bench_report_$(date +%s)"
    psql "$PG_URL/postgres" -qc "create database $PG_DB"
    status=0
    report "$PG_URL/$PG_DB" | tee "$OUT/report-postgres.txt" || status=$?
    psql "$PG_URL/postgres" -qc "drop database $PG_DB"
    [ "$status" = 0 ] || exit "$status"
  else
    echo "PostgreSQL is not running on $PG_URL: report on PostgreSQL skipped" | tee "$OUT/report-postgres.txt"
  fi
  grep -hv '^RESULT' "$OUT/report-sqlite.txt" "$OUT/report-postgres.txt" >>"$SUMMARY"
fi
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$SUMMARY"
