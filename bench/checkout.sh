#!/usr/bin/env bash
# Checkout benchmark on loopback.
#
# Measures, on one release server with the demo data, in the same run:
#   - checkout orders/s on one hot product (wrk, each request a new order of one piece with its
#     own idempotency key), against the baseline: a bare loop of the same conditional stock
#     UPDATE, in its own minimal transaction, on the same database, with as many threads
#     (bench/stock_update_loop.rs);
#   - the p50/p99 of a "sold out" rejection (stock 0), against /healthz (no database) as its
#     baseline.
# Rounds are interleaved and medians reported as ratios: this machine is shared and noisy.
#
#   bash bench/checkout.sh                     # SQLite (the embedded default)
#   BACKEND=postgres bash bench/checkout.sh    # a fresh database gf_bench_checkout on 127.0.0.1:5432
#   ROUNDS=5 DURATION=10 CONNECTIONS=32 bash bench/checkout.sh
set -euo pipefail
cd "$(dirname "$0")/.."

ROUNDS=${ROUNDS:-3}
DURATION=${DURATION:-8}
CONNECTIONS=${CONNECTIONS:-32}
WORKERS=${WORKERS:-2}
BACKEND=${BACKEND:-sqlite}

if ! command -v wrk >/dev/null 2>&1; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null
fi
cargo build --release --quiet --bin gongfang --example stock_update_loop

data=$(mktemp -d)
if [ "$BACKEND" = postgres ]; then
  admin=postgres://postgres@127.0.0.1:5432/test
  psql "$admin" -qc "DROP DATABASE IF EXISTS gf_bench_checkout WITH (FORCE)" -c "CREATE DATABASE gf_bench_checkout"
  export DATABASE_URL=postgres://postgres@127.0.0.1:5432/gf_bench_checkout
  sql() { psql "$DATABASE_URL" -qtAc "$1"; }
else
  export DATABASE_URL="$data/gongfang.sqlite3"
  sql() { python3 -c 'import sqlite3,sys; c=sqlite3.connect(sys.argv[1], timeout=30); c.execute(sys.argv[2]); c.commit()' "$DATABASE_URL" "$1"; }
fi
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
base="http://127.0.0.1:$port"
GONGFANG_DATA_DIR="$data" GONGFANG_BIND="127.0.0.1:$port" RUST_LOG=warn \
  target/release/gongfang serve --demo --workers "$WORKERS" >"$data/server.log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null; wait $server 2>/dev/null; rm -rf "$data"' EXIT
for _ in $(seq 1 600); do curl -fs "$base/readyz" >/dev/null 2>&1 && break; sleep 0.2; done
curl -fs "$base/readyz" >/dev/null

export TOKEN=$(curl -fs -H 'Content-Type: application/json' \
  -d '{"email":"buyer@demo.gongfang.cn","password":"gongfang-demo"}' "$base/api/v1/auth/tokens" \
  | python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])')
export PRODUCT=$(curl -fs "$base/api/v1/products?per_page=1&in_stock=true" \
  | python3 -c 'import json,sys; print(json.load(sys.stdin)["items"][0]["id"])')
sql "UPDATE products SET stock = 1000000000, made_to_order = FALSE WHERE id = $PRODUCT"

results="$data/results.tsv"
for round in $(seq 1 "$ROUNDS"); do
  wrk -t1 -c"$CONNECTIONS" -d"${DURATION}s" --latency -s bench/checkout.lua "$base" >"$data/wrk.txt"
  python3 bench/parse_wrk.py checkout "$round" "$data/wrk.txt" >>"$results"
  loop=$(RUN_SECS="$DURATION" CONCURRENCY="$CONNECTIONS" target/release/examples/stock_update_loop)
  python3 -c 'import json,sys; r=json.loads(sys.argv[1]); print("bare_update", sys.argv[2], r["updates_per_s"], 0, 0, r["failed"], sep="\t")' "$loop" "$round" >>"$results"
done
sql "UPDATE products SET stock = 0 WHERE id = $PRODUCT"
for round in $(seq 1 "$ROUNDS"); do
  wrk -t1 -c"$CONNECTIONS" -d"${DURATION}s" --latency -s bench/checkout.lua "$base" >"$data/wrk.txt"
  python3 bench/parse_wrk.py sold_out "$round" "$data/wrk.txt" >>"$results"
  wrk -t1 -c"$CONNECTIONS" -d"${DURATION}s" --latency "$base/healthz" >"$data/wrk.txt"
  python3 bench/parse_wrk.py healthz "$round" "$data/wrk.txt" >>"$results"
done

python3 - "$results" "$ROUNDS" "$DURATION" "$CONNECTIONS" "$BACKEND" <<'PY'
import sys
sys.path.insert(0, "bench")
from medians import medians
med = medians(sys.argv[1])
c, b, s, h = med["checkout"], med["bare_update"], med["sold_out"], med["healthz"]
print(f"backend={sys.argv[5]} rounds={sys.argv[2]} duration={sys.argv[3]}s connections={sys.argv[4]} (medians)")
print(f"checkout      {c['rps']:>9.0f} orders/s   bare UPDATE loop {b['rps']:>9.0f}/s   ratio {c['rps']/b['rps']:.3f}")
print(f"              checkout p50 {c['p50']:.2f} ms, p99 {c['p99']:.2f} ms; non-2xx {c['other']} (must be 0)")
print(f"sold out      p50 {s['p50']:.2f} ms  p99 {s['p99']:.2f} ms   /healthz p99 {h['p99']:.2f} ms   p99 ratio {s['p99']/h['p99']:.1f}")
print(f"              sold-out req/s {s['rps']:.0f}; non-2xx {s['other']} (every one a 409)")
PY
