#!/usr/bin/env bash
# Storefront load benchmark on loopback.
#
# Drives the product list page, a product page and the JSON product list with wrk, and a
# minimal actix-web route (/healthz: no database, no template) as the baseline, all on the
# same release server in the same run. Routes are interleaved over several rounds and the
# median of each is reported, as a ratio to the baseline: this machine is shared and noisy,
# so only ratios measured together mean much.
#
#   bash bench/storefront.sh                     # SQLite (the embedded default)
#   DATABASE_URL=postgres://postgres@127.0.0.1:5432/gf_bench bash bench/storefront.sh
#   ROUNDS=5 DURATION=10s CONNECTIONS=32 bash bench/storefront.sh
#
# Every request goes to 127.0.0.1 and every wrk run is bounded by DURATION.
set -euo pipefail
cd "$(dirname "$0")/.."

ROUNDS=${ROUNDS:-3}
DURATION=${DURATION:-8s}
CONNECTIONS=${CONNECTIONS:-32}
THREADS=${THREADS:-1}
WORKERS=${WORKERS:-1}

if ! command -v wrk >/dev/null 2>&1; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null
fi
cargo build --release --quiet

data=$(mktemp -d)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
base="http://127.0.0.1:$port"
GONGFANG_DATA_DIR="$data" GONGFANG_BIND="127.0.0.1:$port" RUST_LOG=warn \
  target/release/gongfang serve --demo --workers "$WORKERS" >"$data/server.log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null; wait $server 2>/dev/null; rm -rf "$data"' EXIT
for _ in $(seq 1 300); do curl -fs "$base/readyz" >/dev/null 2>&1 && break; sleep 0.2; done
curl -fs "$base/readyz" >/dev/null

slug=$(curl -fs "$base/api/v1/products?per_page=1" | python3 -c 'import json,sys; print(json.load(sys.stdin)["items"][0]["slug"])')
declare -A routes=(
  [baseline]="/healthz"
  [list]="/products"
  [list_filtered]="/products?province=510000&in_stock=true&page=1"
  [product]="/products/$slug"
  [api_list]="/api/v1/products"
)
order=(baseline list list_filtered product api_list)

results="$data/results.tsv"
for round in $(seq 1 "$ROUNDS"); do
  for name in "${order[@]}"; do
    wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency "$base${routes[$name]}" >"$data/wrk.txt"
    python3 bench/parse_wrk.py "$name" "$round" "$data/wrk.txt" >>"$results"
  done
done

python3 - "$results" "$ROUNDS" "$DURATION" "$CONNECTIONS" <<'PY'
import statistics, sys
rows = [l.split("\t") for l in open(sys.argv[1]).read().splitlines()]
by = {}
for name, _, rps, p50, p99, errors in rows:
    r = by.setdefault(name, {"rps": [], "p50": [], "p99": [], "errors": 0})
    r["rps"].append(float(rps)); r["p50"].append(float(p50)); r["p99"].append(float(p99)); r["errors"] += int(errors)
med = {n: {k: statistics.median(v) if isinstance(v, list) else v for k, v in r.items()} for n, r in by.items()}
b = med["baseline"]
print(f"rounds={sys.argv[2]} duration={sys.argv[3]} connections={sys.argv[4]} (medians; ratio = route / baseline /healthz)")
print(f"{'route':<14}{'req/s':>10}{'p50 ms':>9}{'p99 ms':>9}{'req/s ratio':>13}{'p50 ratio':>11}{'p99 ratio':>11}{'non-2xx':>9}")
for n in ["baseline", "list", "list_filtered", "product", "api_list"]:
    r = med[n]
    print(f"{n:<14}{r['rps']:>10.0f}{r['p50']:>9.2f}{r['p99']:>9.2f}{r['rps']/b['rps']:>13.3f}{r['p50']/b['p50']:>11.1f}{r['p99']/b['p99']:>11.1f}{r['errors']:>9}")
PY
