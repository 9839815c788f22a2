#!/usr/bin/env bash
# Our storefront against a peer shop on this machine: django-oscar 4.2 (bench/peer/), loaded
# with our demo catalogue, one gunicorn worker on SQLite, against `gongfang serve --demo` with
# one worker. wrk with one thread and 16 connections on loopback, rounds interleaved.
#
# Ours is measured uncached (every URL new, bench/walk.lua), so our page cache never answers.
# Oscar has no page cache: it walks its own list pages, product pages and search pages in turn.
#
#   bash bench/peer.sh                      # prints the rows
#   OUT=results.tsv bash bench/peer.sh      # appends them (bench/run does)
#
# Rows: peerrate <shop> <route> <round> <req/s> <p50> <p99> <non-2xx>, and per route
#       peer <route> <our median req/s ÷ Oscar's>.
# The venv (bench/peer/requirements.txt) is made once under ~/.cache/gongfang-bench; nothing
# fetched is kept in the repository.
set -euo pipefail
cd "$(dirname "$0")/.."

ROUNDS=${ROUNDS:-3}
DURATION=${DURATION:-8s}
CONNECTIONS=${CONNECTIONS:-16}
OUT=${OUT:-}
command -v wrk >/dev/null 2>&1 || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; }
if [ -z "${GONGFANG_BIN:-}" ]; then
  cargo build --release --quiet --bin gongfang
  GONGFANG_BIN=target/release/gongfang
fi

venv="${XDG_CACHE_HOME:-$HOME/.cache}/gongfang-bench/oscar"
want="$(sha256sum bench/peer/requirements.txt | cut -c1-16)"
if [ "$(cat "$venv/.installed" 2>/dev/null)" != "$want" ]; then
  rm -rf "$venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q --disable-pip-version-check -r bench/peer/requirements.txt
  echo "$want" >"$venv/.installed"
fi

work=$(mktemp -d)
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
ours_port=$(free_port)
peer_port=$(free_port)
ours="http://127.0.0.1:$ours_port"
peer="http://127.0.0.1:$peer_port"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

GONGFANG_DATA_DIR="$work/data" GONGFANG_BIND="127.0.0.1:$ours_port" RUST_LOG=warn \
  env -u DATABASE_URL "$GONGFANG_BIN" serve --demo --workers 1 >"$work/ours.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 600); do curl -fs "$ours/readyz" >/dev/null 2>&1 && break; sleep 0.5; done
curl -fs "$ours/readyz" >/dev/null || { cat "$work/ours.log" >&2; exit 1; }
for p in 1 2 3 4 5; do curl -fs "$ours/api/v1/products?per_page=100&page=$p"; done >"$work/catalogue.json"
python3 -c '
import json, sys
for chunk in open(sys.argv[1]).read().replace("}{", "}\n{").splitlines():
    for item in json.loads(chunk)["items"]:
        print(item["slug"])' "$work/catalogue.json" >"$work/slugs"

# The peer: a fresh database, migrated, loaded with the same products.
export PEER_DIR="$work/peer" PYTHONPATH="$PWD/bench/peer" DJANGO_SETTINGS_MODULE=settings
mkdir -p "$PEER_DIR"
"$venv/bin/python" -m django migrate --noinput -v 0
"$venv/bin/python" bench/peer/load.py <"$work/catalogue.json" >"$work/peer_products"
"$venv/bin/python" -m django rebuild_index --noinput -v 0
echo "peer: $(wc -l <"$work/peer_products") products loaded, ours: $(wc -l <"$work/slugs")"
"$venv/bin/gunicorn" --workers 1 --bind "127.0.0.1:$peer_port" --chdir bench/peer --log-level warning wsgi:application \
  >"$work/peer.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 120); do curl -fs -o /dev/null "$peer/catalogue/" && break; sleep 0.5; done
curl -fs -o /dev/null "$peer/catalogue/" || { cat "$work/peer.log" >&2; exit 1; }

# The peer's pages: every list page in both sort orders, every product, the same queries' pages.
pages=$(curl -fs "$peer/catalogue/" | grep -o 'page=[0-9]*' | sed 's/page=//' | sort -n | tail -1)
for p in $(seq 1 "${pages:-1}"); do
  echo "/catalogue/?page=$p"
  echo "/catalogue/?page=$p&sort_by=price-asc"
done >"$work/peer_list"
# Search: single characters, as Whoosh's analyser keeps a run of Chinese as one word (a
# two-character query such as 漆器 finds nothing there); only those that find products are kept.
for q in 漆 银 绣 唐 蜡 染 陶 竹 苗 彝; do
  path="/search/?q=$(python3 -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1]))' "$q")"
  curl -fs "$peer$path" | grep -q 'class="product_pod"' && echo "$path"
done >"$work/peer_search" || true
[ "$(wc -l <"$work/peer_search")" -ge 3 ] || { echo "fewer than 3 peer searches find products" >&2; exit 1; }
cp "$work/peer_products" "$work/peer_product"
# Each walked page must answer 200 and show what it is for.
curl -fs "$peer$(head -1 "$work/peer_list")" | grep -q 'class="product_pod"' || { echo "the peer's list shows no product" >&2; exit 1; }
curl -fs "$peer$(head -1 "$work/peer_product")" | grep -q 'class="product_page"' || { echo "the peer's product page shows no product" >&2; exit 1; }

results="$work/results.tsv"
: >"$results"
run() { # shop route round base walk [env]
  local shop=$1 route=$2 round=$3 base=$4 walk=$5 paths=${6:-}
  WALK=$walk PATHS=$paths START=$((round * 10000000)) SLUGS="$work/slugs" \
    wrk -t1 -c"$CONNECTIONS" -d"$DURATION" --latency -s bench/walk.lua "$base" >"$work/wrk.txt"
  printf 'peerrate\t%s\t' "$shop" >>"$results"
  python3 bench/parse_wrk.py "$route" "$round" "$work/wrk.txt" >>"$results"
}
for round in $(seq 1 "$ROUNDS"); do
  for route in list product search; do
    run ours "$route" "$round" "$ours" "$route"
    run oscar "$route" "$round" "$peer" paths "$work/peer_$route"
  done
done
python3 - "$results" >>"$results" <<'PY'
import statistics, sys
from collections import defaultdict
rates = defaultdict(list)
for line in open(sys.argv[1]):
    _, shop, route, _round, rps, _p50, _p99, bad = line.rstrip("\n").split("\t")
    if int(bad):
        raise SystemExit(f"{shop} {route}: {bad} answers were not 2xx or 3xx")
    rates[(shop, route)].append(float(rps))
for route in ("list", "product", "search"):
    ours, theirs = statistics.median(rates[("ours", route)]), statistics.median(rates[("oscar", route)])
    print(f"peer\t{route}\t{ours / theirs:.1f}")
PY
if [ -n "$OUT" ]; then cat "$results" >>"$OUT"; else cat "$results"; fi
