#!/usr/bin/env bash
# Fleet benchmark on loopback (issue 19): the storefront and checkout through HAProxy
# (deploy/haproxy.cfg), with one `gongfang serve` node behind it and then three, on one
# PostgreSQL database, in the same run.
#
# Both balancers run the same configuration: the "one node" one lists the same node three
# times, so the balancer's own cost is the same on both sides and the ratio is the nodes'.
# Rounds alternate between the two and the medians are reported as a ratio (three / one):
#   - storefront: /products over filter combinations, every URL new (bench/walk.lua), so no
#     node's page cache answers and each request reads the database;
#   - checkout: one piece of one product per order, each with its own idempotency key
#     (bench/checkout.lua).
# This machine has 2 cores: three nodes cannot be faster than one here (they share the cores
# with PostgreSQL, HAProxy and wrk), so the ratio shows that the fleet stays correct and keeps
# its throughput under contention, not how it scales on separate machines.
#
#   bash bench/fleet.sh
#   ROUNDS=5 DURATION=10 CONNECTIONS=32 WORKERS=2 bash bench/fleet.sh
set -euo pipefail
cd "$(dirname "$0")/.."

ROUNDS=${ROUNDS:-3}
DURATION=${DURATION:-8}
CONNECTIONS=${CONNECTIONS:-32}
WORKERS=${WORKERS:-2}

for tool in wrk haproxy; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$tool" >/dev/null
  fi
done
cargo build --release --quiet --bin gongfang

data=$(mktemp -d)
admin=postgres://postgres@127.0.0.1:5432/test
psql "$admin" -qc "DROP DATABASE IF EXISTS gf_bench_fleet WITH (FORCE)" -c "CREATE DATABASE gf_bench_fleet"
export DATABASE_URL=postgres://postgres@127.0.0.1:5432/gf_bench_fleet
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
pids=()
stop() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
  wait 2>/dev/null
  psql "$admin" -qc "DROP DATABASE IF EXISTS gf_bench_fleet WITH (FORCE)" >/dev/null 2>&1
  rm -rf "$data"
}
trap stop EXIT

# Three nodes with one key and one media dir; the first seeds the demo before the others start.
key=$(python3 -c 'import secrets; print(secrets.token_hex(32))')
ports=()
for i in 1 2 3; do
  port=$(free_port)
  ports+=("$port")
  mkdir -p "$data/node$i"
  extra=()
  [ "$i" = 1 ] && extra=(--demo)
  GONGFANG_DATA_DIR="$data/node$i" GONGFANG_MEDIA_DIR="$data/media" GONGFANG_BIND="127.0.0.1:$port" \
    GONGFANG_SECRET_KEY="$key" GONGFANG_PUBLIC_URL="http://127.0.0.1:$port" RUST_LOG=warn \
    target/release/gongfang serve "${extra[@]}" --workers "$WORKERS" >"$data/node$i.log" 2>&1 &
  pids+=($!)
  for _ in $(seq 1 900); do curl -fs "http://127.0.0.1:$port/readyz" >/dev/null 2>&1 && break; sleep 0.2; done
  curl -fs "http://127.0.0.1:$port/readyz" >/dev/null || { tail "$data/node$i.log"; exit 1; }
done

# Two balancers: one node listed three times, and the three nodes.
balancer() {
  local bind=$1 a=$2 b=$3 c=$4
  GONGFANG_BALANCER_BIND="127.0.0.1:$bind" GONGFANG_NODE1="127.0.0.1:$a" GONGFANG_NODE2="127.0.0.1:$b" \
    GONGFANG_NODE3="127.0.0.1:$c" haproxy -db -f deploy/haproxy.cfg >"$data/haproxy-$bind.log" 2>&1 &
  pids+=($!)
  for _ in $(seq 1 100); do curl -fs "http://127.0.0.1:$bind/readyz" >/dev/null 2>&1 && break; sleep 0.1; done
  curl -fs "http://127.0.0.1:$bind/readyz" >/dev/null
}
one=$(free_port)
three=$(free_port)
balancer "$one" "${ports[0]}" "${ports[0]}" "${ports[0]}"
balancer "$three" "${ports[0]}" "${ports[1]}" "${ports[2]}"

base="http://127.0.0.1:$one"
export TOKEN=$(curl -fs -H 'Content-Type: application/json' \
  -d '{"email":"buyer@demo.gongfang.cn","password":"gongfang-demo"}' "$base/api/v1/auth/tokens" \
  | python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])')
export PRODUCT=$(curl -fs "$base/api/v1/products?per_page=1&in_stock=true" \
  | python3 -c 'import json,sys; print(json.load(sys.stdin)["items"][0]["id"])')
psql "$DATABASE_URL" -qc "UPDATE products SET stock = 1000000000, made_to_order = FALSE WHERE id = $PRODUCT"

results="$data/results.tsv"
start=0
for round in $(seq 1 "$ROUNDS"); do
  for side in one three; do
    port=${!side}
    start=$((start + 1000000))
    WALK=list START=$start wrk -t1 -c"$CONNECTIONS" -d"${DURATION}s" --latency -s bench/walk.lua \
      "http://127.0.0.1:$port" >"$data/wrk.txt"
    python3 bench/parse_wrk.py "storefront-$side" "$round" "$data/wrk.txt" >>"$results"
    wrk -t1 -c"$CONNECTIONS" -d"${DURATION}s" --latency -s bench/checkout.lua "http://127.0.0.1:$port" \
      >"$data/wrk.txt"
    python3 bench/parse_wrk.py "checkout-$side" "$round" "$data/wrk.txt" >>"$results"
  done
done
# Every node answered a share of the three-node side.
for port in "${ports[@]}"; do
  n=$(curl -fs "http://127.0.0.1:$port/metrics" | awk '/^gongfang_http_requests_total\{route="\/api\/v1\/checkout"/ {s += $NF} END {print s + 0}')
  echo "node on $port answered $n checkouts"
done

python3 - "$results" "$ROUNDS" "$DURATION" "$CONNECTIONS" "$WORKERS" <<'PY'
import sys
sys.path.insert(0, "bench")
from medians import medians
med = medians(sys.argv[1])
print(f"postgres, through HAProxy; rounds={sys.argv[2]} duration={sys.argv[3]}s connections={sys.argv[4]} "
      f"workers per node={sys.argv[5]} (medians)")
for what in ("storefront", "checkout"):
    a, b = med[f"{what}-one"], med[f"{what}-three"]
    print(f"{what:<11} one node {a['rps']:>8.0f} req/s (p50 {a['p50']:.1f} ms, p99 {a['p99']:.1f} ms)   "
          f"three nodes {b['rps']:>8.0f} req/s (p50 {b['p50']:.1f} ms, p99 {b['p99']:.1f} ms)   "
          f"ratio {b['rps'] / a['rps']:.2f}; non-2xx {a['other'] + b['other']} (must be 0)")
PY
