#!/usr/bin/env bash
# Where a page's time goes: `perf record` on a release server (one worker) while wrk walks the
# page uncached (bench/walk.lua), then the functions over 1% of the samples, self time.
#
#   WALK=list bash bench/profile.sh                 # SQLite demo catalogue
#   WALK=search SCALE=national GONGFANG_DATA_DIR=… DATABASE_URL=… bash bench/profile.sh
#   WALK=product BACKEND=postgres bash bench/profile.sh
#
# WALK: list, product or search (as bench/walk.lua). Needs perf (Debian's linux-perf); the
# release profile keeps symbols (Cargo.toml sets debug = "line-tables-only" there).
set -euo pipefail
cd "$(dirname "$0")/.."
WALK=${WALK:-list}
SCALE=${SCALE:-demo}
BACKEND=${BACKEND:-sqlite}
DURATION=${DURATION:-15s}
command -v perf >/dev/null 2>&1 || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq linux-perf >/dev/null
command -v wrk >/dev/null 2>&1 || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null
# shellcheck source=bench/serve.sh
. bench/serve.sh
bench_serve gf_bench_profile
curl -fs "$base/api/v1/products?per_page=100" | python3 -c '
import json, sys
print("\n".join(i["slug"] for i in json.load(sys.stdin)["items"]))' >"$work/slugs"
# Warm up (templates, caches, the index), then record while walking.
WALK=$WALK SLUGS="$work/slugs" wrk -t1 -c16 -d3s -s bench/walk.lua "$base" >/dev/null
# On PostgreSQL the server's backend processes (one per pooled connection, there since the
# warm-up) do part of the work: record them with the server, shown apart by process.
pids=$server
if [ "$BACKEND" = postgres ]; then
  db_name=${DATABASE_URL##*/}
  backends=$(pgrep -d, -f "postgres: .* $db_name " || true)
  [ -n "$backends" ] && pids="$server,$backends"
fi
target=(-p "$pids")
perf record -F 499 -g "${target[@]}" -o "$work/perf.data" -- sleep "${DURATION%s}" >/dev/null 2>&1 &
recorder=$!
WALK=$WALK START=50000000 SLUGS="$work/slugs" wrk -t1 -c16 -d"$DURATION" --latency -s bench/walk.lua "$base" | sed -n '/Latency Distribution/,/Requests\/sec/p'
wait "$recorder" || true
if [ "$BACKEND" = postgres ]; then
  echo "== $WALK ($BACKEND, $SCALE): samples by process"
  perf report -i "$work/perf.data" --no-children --sort comm --percent-limit 1 --stdio 2>/dev/null \
    | grep -E '^ +[0-9.]+%' | head -10
fi
echo "== $WALK ($BACKEND, $SCALE): self time by function, over 1%"
perf report -i "$work/perf.data" --no-children --sort symbol --percent-limit 1 --stdio 2>/dev/null \
  | grep -E '^ +[0-9.]+%' | sed -E 's/[[:space:]-]+$//' | cut -c1-160 | head -40
