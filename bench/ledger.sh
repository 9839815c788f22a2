#!/usr/bin/env bash
# Ledger benchmark: posting and settling LINES generated order lines (1,000,000 by default),
# then one payout run over them, then `audit verify`'s recomputation; on SQLite or PostgreSQL.
# The baseline, measured in the same run: the same number of posting-shaped rows inserted into
# a bare table with the same batch sizes (post_over_baseline is the ratio). Peak memory is the
# process's high-water RSS (VmHWM), and /usr/bin/time's maximum RSS for the whole run.
#
#   bash bench/ledger.sh                          # SQLite (the embedded default)
#   BACKEND=postgres bash bench/ledger.sh         # a fresh database gf_bench_ledger on 127.0.0.1:5432
#   LINES=100000 bash bench/ledger.sh             # a quicker run
set -euo pipefail
cd "$(dirname "$0")/.."
BACKEND=${BACKEND:-sqlite}
export LINES=${LINES:-1000000}
cargo build --release --quiet --example ledger
data=$(mktemp -d)
trap 'rm -rf "$data"' EXIT
export GONGFANG_DATA_DIR="$data"
if [ "$BACKEND" = postgres ]; then
  admin=postgres://postgres@127.0.0.1:5432/test
  psql "$admin" -qc "DROP DATABASE IF EXISTS gf_bench_ledger WITH (FORCE)" -c "CREATE DATABASE gf_bench_ledger"
  export DATABASE_URL=postgres://postgres@127.0.0.1:5432/gf_bench_ledger
  trap 'rm -rf "$data"; psql "$admin" -qc "DROP DATABASE IF EXISTS gf_bench_ledger WITH (FORCE)"' EXIT
else
  export DATABASE_URL="$data/gongfang.sqlite3"
fi
echo "backend=$BACKEND lines=$LINES"
if [ -x /usr/bin/time ]; then
  /usr/bin/time -f "process max_rss_kib=%M wall_s=%e" target/release/examples/ledger
else
  target/release/examples/ledger
fi
