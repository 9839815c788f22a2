#!/usr/bin/env bash
# Search benchmark on loopback, on a generated catalogue (default 100,000 products).
#
# In one run, against the same Meilisearch and the same queries:
#   - latency, one request at a time (wrk -c1): the app's /api/v1/search, and the same
#     search sent straight to Meilisearch (what the app asks it), so the difference is the
#     app's own cost; and the app on the embedded engine;
#   - throughput (wrk -c$CONNECTIONS): app req/s as a ratio of direct Meilisearch req/s;
#   - a full reindex: wall time as a ratio of the sum of Meilisearch's task durations.
# This machine is shared and noisy: read the differences and ratios, not absolute numbers.
#
#   MEILI_BIN=/path/to/meilisearch bash bench/search.sh
#   PRODUCTS=100000 DURATION=10s ROUNDS=3 bash bench/search.sh
#   PROFILE=1 bash bench/search.sh       # also: the app's CPU per search and its perf profile
set -euo pipefail
cd "$(dirname "$0")/.."

PRODUCTS=${PRODUCTS:-100000}
DURATION=${DURATION:-10s}
ROUNDS=${ROUNDS:-3}
CONNECTIONS=${CONNECTIONS:-16}
MEILI_BIN=${MEILI_BIN:-$(command -v meilisearch || true)}
[ -x "$MEILI_BIN" ] || { echo "needs a meilisearch binary: set MEILI_BIN" >&2; exit 2; }
command -v wrk >/dev/null 2>&1 || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; }
cargo build --release --quiet
bin=target/release/gongfang

data=$(mktemp -d)
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
mport=$(free_port); aport=$(free_port); eport=$(free_port)
key="bench-master-key-$$"
meili="http://127.0.0.1:$mport"
pids=()
trap 'kill "${pids[@]}" 2>/dev/null; wait 2>/dev/null; rm -rf "$data"' EXIT
export GONGFANG_DATA_DIR="$data" RUST_LOG=warn

echo "== generating a catalogue of $PRODUCTS products"
/usr/bin/time -f "   seed: %e s" "$bin" seed --demo --scale "$PRODUCTS"

"$MEILI_BIN" --db-path "$data/meili" --http-addr "127.0.0.1:$mport" --master-key "$key" --no-analytics \
  --env development >"$data/meili.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 100); do curl -fs "$meili/health" >/dev/null 2>&1 && break; sleep 0.2; done

echo "== full reindex"
MEILI_URL=$meili MEILI_MASTER_KEY=$key "$bin" search reindex | tee "$data/reindex-meili.txt"
"$bin" search reindex | tee "$data/reindex-embedded.txt"

MEILI_URL=$meili MEILI_MASTER_KEY=$key GONGFANG_BIND="127.0.0.1:$aport" "$bin" serve --workers 1 >"$data/app.log" 2>&1 &
pids+=($!)
GONGFANG_BIND="127.0.0.1:$eport" "$bin" serve --workers 1 >"$data/embedded.log" 2>&1 &
pids+=($!)
for p in $aport $eport; do
  for _ in $(seq 1 150); do curl -fs "http://127.0.0.1:$p/readyz" >/dev/null 2>&1 && break; sleep 0.2; done
done

# The same searches for every target: the app's query strings, and the JSON body the app
# sends Meilisearch for each (see src/search/meili.rs).
python3 - "$data" "$key" <<'PY'
import json, sys, urllib.parse, datetime
data, key = sys.argv[1], sys.argv[2]
queries = [
    ("漆器", {}), ("唐卡", {}), ("凉山", {}), ("苗银", {}), ("lacquer", {}), ("embroidry", {}),
    ("miaoyin", {}), ("Liangshan", {}), ("thangka", {"province": "510000"}), ("carpet", {"in_stock": "true"}),
    ("刺绣", {"sort": "price_asc"}), ("", {"category": "paper"}),
]
today = int(datetime.date.today().strftime("%Y%m%d"))
facets = ["province", "prefecture", "county", "heritage", "category", "workshop", "price_band", "in_stock"]
paths, bodies = [], []
for q, f in queries:
    params = {"q": q, **f}
    paths.append("/api/v1/search?" + urllib.parse.urlencode(params))
    flt = [f"listed_until >= {today}"]
    if "province" in f: flt.append(f'province = "{f["province"]}"')
    if "category" in f: flt.append(f'category = "{f["category"]}"')
    if f.get("in_stock") == "true": flt.append("in_stock = true")
    body = {"q": q, "filter": " AND ".join(flt), "offset": 0, "limit": 24, "matchingStrategy": "all",
            "attributesToRetrieve": ["id", "view"], "facets": facets}
    if f.get("sort") == "price_asc": body["sort"] = ["price:asc"]
    if any("\u4e00" <= c <= "\u9fff" for c in q): body["locales"] = ["cmn"]
    bodies.append(json.dumps(body, ensure_ascii=False))
lua = lambda items, fmt: "local items = {\n" + ",\n".join(json.dumps(i, ensure_ascii=False) for i in items) + "\n}\nlocal i = 0\n" + fmt
open(f"{data}/app.lua", "w").write(lua(paths,
    'request = function()\n  i = i + 1\n  return wrk.format("GET", items[(i % #items) + 1])\nend\n'))
open(f"{data}/meili.lua", "w").write(lua(bodies,
    f'wrk.headers["Content-Type"] = "application/json"\nwrk.headers["Authorization"] = "Bearer {key}"\n'
    'request = function()\n  i = i + 1\n  return wrk.format("POST", "/indexes/products/search", nil, items[(i % #items) + 1])\nend\n'))
PY
# Sanity: every target answers the queries with hits.
curl -fs "http://127.0.0.1:$aport/api/v1/search?q=%E6%BC%86%E5%99%A8" | python3 -c 'import json,sys; d=json.load(sys.stdin); assert d["total"]>0, d; print("   app finds", d["total"], "for 漆器")'
curl -fs "http://127.0.0.1:$eport/api/v1/search?q=%E6%BC%86%E5%99%A8" | python3 -c 'import json,sys; d=json.load(sys.stdin); assert d["total"]>0, d; print("   embedded finds", d["total"], "for 漆器")'

results="$data/results.tsv"
run() { # name url script connections round
  wrk -t1 -c"$4" -d"$DURATION" --latency -s "$3" "$2" >"$data/wrk.txt"
  python3 bench/parse_wrk.py "$1" "$5" "$data/wrk.txt" >>"$results"
}
echo "== load: $ROUNDS interleaved rounds of $DURATION each"
for round in $(seq 1 "$ROUNDS"); do
  run meili_c1 "$meili" "$data/meili.lua" 1 "$round"
  run app_c1 "http://127.0.0.1:$aport" "$data/app.lua" 1 "$round"
  run embedded_c1 "http://127.0.0.1:$eport" "$data/app.lua" 1 "$round"
  run meili_cN "$meili" "$data/meili.lua" "$CONNECTIONS" "$round"
  run app_cN "http://127.0.0.1:$aport" "$data/app.lua" "$CONNECTIONS" "$round"
done

# PROFILE=1: where the app's own part of a Meilisearch search goes. One request at a time, as
# the latency rows: the app's CPU per request (perf stat's task-clock over the requests
# served) beside the p50 gap, then the app's functions over 1% of its samples.
if [ "${PROFILE:-0}" = 1 ]; then
  command -v perf >/dev/null 2>&1 || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq linux-perf >/dev/null
  app_pid=${pids[1]}
  perf stat -e task-clock -x, -o "$data/stat.txt" -p "$app_pid" -- sleep "${DURATION%s}" &
  stat_pid=$!
  wrk -t1 -c1 -d"$DURATION" -s "$data/app.lua" "http://127.0.0.1:$aport" >"$data/wrk-stat.txt"
  wait "$stat_pid" || true
  python3 - "$data/stat.txt" "$data/wrk-stat.txt" <<'PY'
import re, sys
ms = float(next(l for l in open(sys.argv[1]) if "task-clock" in l).split(",")[0])
reqs = int(re.search(r"(\d+) requests in", open(sys.argv[2]).read()).group(1))
print(f"app CPU per search through Meilisearch (c1): {ms / reqs:.3f} ms over {reqs} requests")
PY
  perf record -F 999 -g -p "$app_pid" -o "$data/perf.data" -- sleep "${DURATION%s}" >/dev/null 2>&1 &
  rec_pid=$!
  wrk -t1 -c1 -d"$DURATION" -s "$data/app.lua" "http://127.0.0.1:$aport" >/dev/null
  wait "$rec_pid" || true
  echo "== the app's self time by function (c1, through Meilisearch), over 1%"
  perf report -i "$data/perf.data" --no-children --sort symbol --percent-limit 1 --stdio 2>/dev/null \
    | grep -E '^ +[0-9.]+%' | sed -E 's/[[:space:]-]+$//' | cut -c1-160 | head -30
fi

python3 - "$results" "$data/reindex-meili.txt" "$data/reindex-embedded.txt" "$PRODUCTS" <<'PY'
import re, statistics, sys
rows = [l.split("\t") for l in open(sys.argv[1]).read().splitlines()]
by = {}
for name, rnd, rps, p50, p99, bad in rows:
    if int(bad):
        raise SystemExit(f"{name} round {rnd}: {bad} responses were not 2xx")
    by.setdefault(name, []).append((float(rps), float(p50), float(p99)))
med = lambda name, i: statistics.median(r[i] for r in by[name])
print(f"\nsearch benchmark, {sys.argv[4]} products, medians of {len(by['app_c1'])} rounds")
print("| target | req/s | p50 ms | p99 ms |")
print("|---|---:|---:|---:|")
for n in ["meili_c1", "app_c1", "embedded_c1", "meili_cN", "app_cN"]:
    print(f"| {n} | {med(n,0):.0f} | {med(n,1):.2f} | {med(n,2):.2f} |")
print(f"\napp minus direct Meilisearch, one request at a time: p50 {med('app_c1',1)-med('meili_c1',1):+.2f} ms, p99 {med('app_c1',2)-med('meili_c1',2):+.2f} ms")
print(f"app req/s / direct Meilisearch req/s, under load: {med('app_cN',0)/med('meili_cN',0):.2f}")
m = re.search(r"in ([0-9.]+) s \(engine task time ([0-9.]+) s\)", open(sys.argv[2]).read())
if m:
    wall, task = float(m.group(1)), float(m.group(2))
    print(f"full reindex: {wall:.1f} s wall / {task:.1f} s of Meilisearch tasks = {wall/task:.2f}")
e = re.search(r"in ([0-9.]+) s", open(sys.argv[3]).read())
if e:
    print(f"embedded reindex: {float(e.group(1)):.1f} s")
PY
