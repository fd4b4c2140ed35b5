#!/usr/bin/env bash
# The reliability drills alone (they also run in every `scripts/test`, hence in .ci/run), on
# SQLite, or on PostgreSQL with TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432:
#   - crash: the real binary killed with SIGKILL under webhook and binding load, then restarted
#     (tests/api/crash.rs);
#   - duplicates: one webhook body 100 times at once, one shopper binding 100 times at once
#     (tests/api/webhook.rs, liff.rs, route_b.rs: a_hundred_concurrent_*);
#   - fuzzing: property tests of the webhook parser and the signature check (src/line/events.rs
#     `fuzz`, src/line/signature.rs);
#   - bad input: every public form and API (tests/api/bad_input.rs).
# Bounded: each drill stops itself (the crash drill waits at most a minute for anything).
set -euo pipefail
cd "$(dirname "$0")/.."
timeout 900 cargo test --locked --lib -- line::events::tests::fuzz line::signature
timeout 900 cargo test --locked --test api -- crash:: bad_input:: a_hundred_concurrent
