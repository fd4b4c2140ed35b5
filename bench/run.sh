#!/usr/bin/env bash
# The benchmarks of bench/RESULTS.md, side by side in one run on this machine:
#
#   bench/run.sh [SECONDS] [CONNECTIONS]          (defaults: 10 64)
#
# 1. Webhook: signed one-event follow webhooks, each with its own webhookEventId, driven by wrk
#    (bench/wrk-webhook.lua cycles through bodies signed beforehand) with the same threads,
#    connections and duration against
#      - store-assistant (release, fresh SQLite) receiving and storing only (WEBHOOK_WORKER=false: the
#        same job as the SDK servers), and again with its worker answering every follow through a
#        fake LINE while the load runs,
#      - LINE's Python SDK (line-bot-sdk WebhookParser) behind gunicorn, event ids stored in SQLite,
#      - LINE's Node SDK (@line/bot-sdk middleware) with express, event ids stored in SQLite,
#      - a bare actix-web endpoint that only verifies and parses (examples/webhook_bare.rs): the limit;
#    then store-assistant at a fixed 2,000 requests/s (examples/webhook_load.rs --rate, open loop),
#    without and with its worker.
# 2. Binding campaign (examples/binding_campaign.rs): shoppers through route A and route B, on
#    SQLite and on PostgreSQL (a fresh database on $PG_URL, dropped afterwards).
# 3. Memory: store-assistant's VmRSS idle and its peak under the webhook load.
# 4. Orders (bench/orders.sh): signed order webhooks stored per second on SQLite, and the monthly
#    sales report over 1,000,000 orders and 1,000 stores on SQLite and PostgreSQL.
#
# Installs what it needs from registries only: wrk (Debian), line-bot-sdk and gunicorn (PyPI, into
# bench/out/venv), @line/bot-sdk, express and better-sqlite3 (npm, bench/node/package-lock.json).
# Everything it writes goes to bench/out/ (the summary: bench/out/summary.txt).
set -euo pipefail
cd "$(dirname "$0")/.."

SECONDS_PER_RUN="${1:-10}"
CONNECTIONS="${2:-64}"
THREADS="${THREADS:-2}"
RATE="${RATE:-2000}"
SHOPPERS="${SHOPPERS:-2000}"
SHOPPER_CONCURRENCY="${SHOPPER_CONCURRENCY:-32}"
PG_URL="${PG_URL:-postgres://postgres@127.0.0.1:5432}"
SECRET="bench-channel-secret"
OUT="bench/out"
BIN="${CARGO_TARGET_DIR:-target}/release"
P_OURS=28401 P_LINE=28402 P_PY=28403 P_NODE=28404 P_BARE=28405

say() { echo "== $*" >&2; }

# ---- what the run needs ----
if [ -z "${SKIP_BUILD:-}" ]; then
  cargo build --release --locked --bin store-assistant \
    --example webhook_load --example webhook_bare --example binding_campaign \
    --example order_webhook_load --example sales_report_bench
fi
if ! command -v wrk >/dev/null; then
  say "installing wrk (Debian)"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null
fi
mkdir -p "$OUT"
if [ ! -x "$OUT/venv/bin/gunicorn" ]; then
  say "installing line-bot-sdk and gunicorn (PyPI) into $OUT/venv"
  python3 -m venv "$OUT/venv"
  "$OUT/venv/bin/pip" install -q -r bench/python/requirements.txt
fi
if [ ! -d bench/node/node_modules/@line/bot-sdk ] || [ ! -d bench/node/node_modules/better-sqlite3/build ]; then
  say "installing @line/bot-sdk, express and better-sqlite3 (npm)"
  (cd bench/node && npm ci --no-audit --no-fund --foreground-scripts >/dev/null)
fi

for p in $P_OURS $P_LINE $P_PY $P_NODE $P_BARE; do
  if (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
    echo "port $p is in use; stop what listens there first" >&2
    exit 1
  fi
done

PIDS=()
cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
}
trap cleanup EXIT

wait_for_port() {
  for _ in $(seq 1 300); do
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
    sleep 0.1
  done
  echo "nothing listens on port $1; see $OUT/*.log" >&2
  exit 1
}

# Resident set size of a process and its children, in MiB.
rss_mib() {
  local total=0 pid kb
  for pid in "$1" $(pgrep -P "$1" || true); do
    kb=$(awk '/^VmRSS:/ {print $2}' "/proc/$pid/status" 2>/dev/null || echo 0)
    total=$((total + ${kb:-0}))
  done
  echo "scale=1; $total / 1024" | bc
}

# Samples rss_mib of $1 every 0.2 s into $2 until the file $3 exists.
sample_rss() {
  local max=0 now
  while [ ! -e "$3" ]; do
    now=$(rss_mib "$1")
    if [ "$(echo "$now > $max" | bc)" = 1 ]; then max=$now; fi
    sleep 0.2
  done
  echo "$max" >"$2"
}

stop() {
  kill "$1" 2>/dev/null || true
  wait "$1" 2>/dev/null || true
}

# ---- bodies for wrk: unique ids for the warm-up and for enough requests at 30,000/s ----
say "writing signed bodies"
rm -rf "$OUT/bodies" "$OUT/warmup-bodies" "$OUT"/*.db* "$OUT"/wrk-*.txt
"$BIN/examples/webhook_load" --secret "$SECRET" --write-bodies "$OUT/warmup-bodies" \
  --requests 60000 --body-files "$THREADS"
BODIES=$((30000 * SECONDS_PER_RUN))
"$BIN/examples/webhook_load" --secret "$SECRET" --write-bodies "$OUT/bodies" \
  --requests "$BODIES" --body-files "$THREADS"

SUMMARY="$OUT/summary.txt"
{
  echo "date: $(date -u '+%Y-%m-%d %H:%M UTC')"
  echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(free -g | awk '/^Mem:/ {print $2}') GiB RAM"
  echo "load average before the run: $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "wrk: $THREADS threads, $CONNECTIONS connections, $SECONDS_PER_RUN s per server (after a 2 s warm-up)"
} | tee "$SUMMARY"

# Drives the server on port $1 named $2 (pid $3): warm-up, then the measured run while sampling RSS.
drive() {
  local port=$1 name=$2 pid=$3 url="http://127.0.0.1:$1/line/webhook"
  wrk -t"$THREADS" -c"$CONNECTIONS" -d2s -s bench/wrk-webhook.lua "$url" -- "$OUT/warmup-bodies" >/dev/null
  rm -f "$OUT/done-$name"
  sample_rss "$pid" "$OUT/rss-$name" "$OUT/done-$name" &
  local sampler=$!
  wrk -t"$THREADS" -c"$CONNECTIONS" -d"${SECONDS_PER_RUN}s" -s bench/wrk-webhook.lua "$url" -- "$OUT/bodies" \
    >"$OUT/wrk-$name.txt"
  touch "$OUT/done-$name"
  wait "$sampler"
  local result
  result=$(grep '^RESULT' "$OUT/wrk-$name.txt")
  echo "$name $result rss_peak_mib=$(cat "$OUT/rss-$name")" >>"$OUT/results.txt"
  say "$name: $result"
}

rows() { sqlite3 "$1" 'select count(*) from webhook_events' 2>/dev/null || echo "?"; }
: >"$OUT/results.txt"

# ---- store-assistant: receiving only (the SDK servers' job), then with its worker ----
"$BIN/examples/webhook_load" --secret "$SECRET" --fake-line-port "$P_LINE" --fake-line-only \
  >"$OUT/fake-line.log" 2>&1 &
LINE_PID=$!
PIDS+=("$LINE_PID")
# start_ours DB LOG WORKER(true|false)
start_ours() {
  LISTEN_ADDR="127.0.0.1:$P_OURS" DATABASE_URL="sqlite://$1" WEBHOOK_WORKER="$3" \
  LINE_CHANNEL_SECRET="$SECRET" LINE_CHANNEL_ACCESS_TOKEN="bench-access-token" \
  LINE_API_BASE_URL="http://127.0.0.1:$P_LINE" \
  SECRET_KEY="bench-secret-key-0123456789abcdefghijklmnopqrstuv" \
    "$BIN/store-assistant" serve >"$2" 2>&1 &
  OURS=$!
  PIDS+=("$OURS")
  wait_for_port "$P_OURS"
}
# Handled events (the worker's counter in /metrics).
handled() {
  curl -fsS "http://127.0.0.1:$P_OURS/metrics" |
    awk '/^store_assistant_webhook_events_handled_total\{/ {n += $2} END {print n + 0}'
}

say "store-assistant, receiving and storing (WEBHOOK_WORKER=false)"
start_ours "$OUT/ours.db" "$OUT/ours.log" false
sleep 2
IDLE_RSS=$(rss_mib "$OURS")
drive "$P_OURS" store-assistant "$OURS"
OURS_ROWS=$(rows "$OUT/ours.db")
stop "$OURS"

say "store-assistant with its worker answering every follow"
start_ours "$OUT/ours-worker.db" "$OUT/ours-worker.log" true
drive "$P_OURS" store-assistant+worker "$OURS"
WORKER_ROWS=$(rows "$OUT/ours-worker.db")
DRAIN_START=$(date +%s.%N)
for _ in $(seq 1 1200); do
  [ "$(handled)" -ge "$WORKER_ROWS" ] && break
  sleep 0.1
done
DRAIN=$(echo "$(date +%s.%N) - $DRAIN_START" | bc)
stop "$OURS"

for worker in false true; do
  say "store-assistant at a fixed $RATE requests/s (WEBHOOK_WORKER=$worker)"
  start_ours "$OUT/ours-rate-$worker.db" "$OUT/ours-rate-$worker.log" "$worker"
  "$BIN/examples/webhook_load" --url "http://127.0.0.1:$P_OURS" --secret "$SECRET" \
    --rate "$RATE" --duration "$SECONDS_PER_RUN" --warmup 2000 --concurrency 16 | tee "$OUT/rate-$worker.txt"
  stop "$OURS"
done
kill -INT "$LINE_PID" 2>/dev/null || true
wait "$LINE_PID" 2>/dev/null || true

# ---- LINE's Python SDK behind gunicorn (2 × cores + 1 sync workers, gunicorn's advice) ----
say "Python: line-bot-sdk behind gunicorn"
LINE_CHANNEL_SECRET="$SECRET" BENCH_DB="$PWD/$OUT/python.db" \
  "$OUT/venv/bin/gunicorn" --chdir bench/python -w $((2 * $(nproc) + 1)) \
  -b "127.0.0.1:$P_PY" --log-level warning app:app >"$OUT/python.log" 2>&1 &
PY=$!
PIDS+=("$PY")
wait_for_port "$P_PY"
drive "$P_PY" python-line-bot-sdk "$PY"
PY_ROWS=$(rows "$OUT/python.db")
stop "$PY"

# ---- LINE's Node SDK with express ----
say "Node: @line/bot-sdk middleware with express"
LINE_CHANNEL_SECRET="$SECRET" BENCH_DB="$OUT/node.db" PORT="$P_NODE" \
  node bench/node/server.js >"$OUT/node.log" 2>&1 &
NODE=$!
PIDS+=("$NODE")
wait_for_port "$P_NODE"
drive "$P_NODE" node-line-bot-sdk "$NODE"
NODE_ROWS=$(rows "$OUT/node.db")
stop "$NODE"

# ---- the bare limit ----
say "bare actix-web: verify and parse only"
"$BIN/examples/webhook_bare" --port "$P_BARE" --secret "$SECRET" >"$OUT/bare.log" 2>&1 &
BARE=$!
PIDS+=("$BARE")
wait_for_port "$P_BARE"
drive "$P_BARE" bare-verify-parse "$BARE"
stop "$BARE"

# ---- binding campaign ----
say "binding campaign on SQLite"
"$BIN/examples/binding_campaign" --database-url "sqlite://$OUT/campaign.db" \
  --shoppers "$SHOPPERS" --concurrency "$SHOPPER_CONCURRENCY" 2>"$OUT/campaign-sqlite.log" \
  | tee "$OUT/campaign.txt"
if pg_isready -h 127.0.0.1 -p 5432 -q 2>/dev/null; then
  say "binding campaign on PostgreSQL"
  PG_DB="sa_bench_$(date +%s)"
  psql "$PG_URL/postgres" -qc "create database $PG_DB"
  "$BIN/examples/binding_campaign" --database-url "$PG_URL/$PG_DB" \
    --shoppers "$SHOPPERS" --concurrency "$SHOPPER_CONCURRENCY" 2>"$OUT/campaign-postgres.log" \
    | tee -a "$OUT/campaign.txt"
  psql "$PG_URL/postgres" -qc "drop database $PG_DB"
else
  echo "PostgreSQL is not running on $PG_URL: campaign on PostgreSQL skipped" | tee -a "$OUT/campaign.txt"
fi

# ---- summary ----
field() { grep "^$1 " "$OUT/results.txt" | tr ' ' '\n' | awk -F= -v k="$2" '$1 == k {print $2}'; }
ratio() { echo "scale=1; $1 / $2" | bc; }
OURS_RPS=$(field store-assistant rps)
{
  echo
  printf '%-34s %10s %9s %9s %11s %9s\n' "webhook server" "requests/s" "p50 ms" "p99 ms" "peak RSS" "stored"
  for name in store-assistant store-assistant+worker python-line-bot-sdk node-line-bot-sdk bare-verify-parse; do
    case $name in
      store-assistant) stored=$OURS_ROWS ;;
      store-assistant+worker) stored=$WORKER_ROWS ;;
      python-line-bot-sdk) stored=$PY_ROWS ;;
      node-line-bot-sdk) stored=$NODE_ROWS ;;
      *) stored="-" ;;
    esac
    printf '%-34s %10.0f %9.2f %9.2f %8s MiB %9s\n' "$name" "$(field $name rps)" \
      "$(field $name p50_ms)" "$(field $name p99_ms)" "$(field $name rss_peak_mib)" "$stored"
  done
  echo "non-200 answers or socket errors: $(grep -o 'errors=[0-9]* non200=[0-9]*' "$OUT/results.txt" | tr '\n' ' ')"
  echo
  echo "store-assistant / Python SDK: $(ratio "$OURS_RPS" "$(field python-line-bot-sdk rps)")x (target >= 10x)"
  echo "store-assistant / Node SDK:   $(ratio "$OURS_RPS" "$(field node-line-bot-sdk rps)")x (target >= 3x)"
  echo "store-assistant / bare limit: $(echo "scale=2; $OURS_RPS / $(field bare-verify-parse rps)" | bc) (target >= 0.33)"
  echo "with the worker: $(field store-assistant+worker rps | cut -d. -f1) requests/s while every follow is also answered; the $WORKER_ROWS events were all handled $DRAIN s after the load ended"
  echo "fixed rate, receiving:   $(grep 'fixed rate' "$OUT/rate-false.txt" | cut -d: -f2-) (target p99 < 10 ms)"
  echo "fixed rate, with worker: $(grep 'fixed rate' "$OUT/rate-true.txt" | cut -d: -f2-)"
  echo "store-assistant RSS: idle $IDLE_RSS MiB (target < 50), peak under load $(field store-assistant rss_peak_mib) MiB"
  echo
  grep '^RESULT\|^database\|skipped' "$OUT/campaign.txt" | sed 's/^RESULT //'
  echo "load average after the run: $(cut -d' ' -f1-3 /proc/loadavg)"
} | tee -a "$SUMMARY"

# ---- orders: webhooks stored per second, the monthly report ----
SKIP_BUILD=1 bench/orders.sh "$SECONDS_PER_RUN" "$CONNECTIONS"
