#!/usr/bin/env bash
# Storefront pages on loopback: one release server with one worker, wrk with one thread and
# 16 connections, and /healthz (no database, no template) as the baseline of the same run.
#
# For each page, in interleaved rounds (medians reported):
#   - uncached: every request a URL never asked before (bench/walk.lua), so the page is drawn;
#   - again: the same URL over and over, anonymous, as the page cache serves it;
# with req/s, p50 and p99. Then the size of each page's HTML (as sent, and gzip and brotli
# compressed) and of a first visit (HTML, CSS, JS and the first four images).
#
# Appends tab-separated rows to $OUT (default: printed at the end):
#   rate   <backend> <scale> <route> <round> <req/s> <p50 ms> <p99 ms> <non-2xx>
#   size   <backend> <scale> <page> <identity bytes> <gzip bytes> <br bytes>
#   visit  <backend> <scale> <page> <bytes, compressed as a browser fetches them>
#   cache  <backend> <scale> <first answer> <second answer>   (x-page-cache of one URL asked twice)
#
#   bash bench/pages.sh                                    # SQLite, demo catalogue
#   BACKEND=postgres bash bench/pages.sh                   # a fresh database on 127.0.0.1:5432
#   SCALE=national GONGFANG_DATA_DIR=… DATABASE_URL=… bash bench/pages.sh   # a seeded database (bench/run makes one)
#   ROUNDS=3 DURATION=8s GONGFANG_BIN=target/release/gongfang bash bench/pages.sh
set -euo pipefail
cd "$(dirname "$0")/.."

BACKEND=${BACKEND:-sqlite}
SCALE=${SCALE:-demo}
ROUNDS=${ROUNDS:-3}
DURATION=${DURATION:-8s}
CONNECTIONS=${CONNECTIONS:-16}
OUT=${OUT:-}
command -v wrk >/dev/null 2>&1 || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; }
command -v brotli >/dev/null 2>&1 || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq brotli >/dev/null 2>&1 || true
# shellcheck source=bench/serve.sh
. bench/serve.sh
bench_serve gf_bench_pages_demo
# The embedded search index fills from the catalogue at start: wait until it stops growing.
last=-1
for _ in $(seq 1 600); do
  now=$(curl -fs "$base/api/v1/search?q=%E6%BC%86%E5%99%A8" | python3 -c 'import json,sys; print(json.load(sys.stdin)["total"])' || echo -1)
  [ "$now" = "$last" ] && [ "$now" -gt 0 ] && break
  last=$now
  sleep 2
done

for p in 1 2 3 4 5; do
  curl -fs "$base/api/v1/products?per_page=100&page=$p"
done | python3 -c '
import json, sys
for chunk in sys.stdin.read().replace("}{", "}\n{").splitlines():
    for item in json.loads(chunk)["items"]:
        print(item["slug"])' >"$work/slugs"
slug=$(head -1 "$work/slugs")

declare -A again=(
  [home]="/"
  [list]="/products"
  [product]="/products/$slug"
  [search]="/search?q=%E6%BC%86%E5%99%A8"
)
results="$work/results.tsv"
: >"$results"
measure() { # name round url [walk]
  local name=$1 round=$2 url=$3 walk=${4:-}
  if [ -n "$walk" ]; then
    WALK=$walk START=$((round * 10000000)) SLUGS="$work/slugs" \
      wrk -t1 -c"$CONNECTIONS" -d"$DURATION" --latency -s bench/walk.lua "$base" >"$work/wrk.txt"
  else
    wrk -t1 -c"$CONNECTIONS" -d"$DURATION" --latency "$base$url" >"$work/wrk.txt"
  fi
  printf 'rate\t%s\t%s\t' "$BACKEND" "$SCALE" >>"$results"
  python3 bench/parse_wrk.py "$name" "$round" "$work/wrk.txt" >>"$results"
}
for round in $(seq 1 "$ROUNDS"); do
  measure healthz "$round" /healthz
  for page in list product search; do
    measure "${page}_uncached" "$round" "" "$page"
  done
  for page in home list product search; do
    measure "${page}_again" "$round" "${again[$page]}"
  done
done

# "Uncached" holds by construction: a walk never repeats a URL, and each round starts its
# counter elsewhere. The walked URL of one request, asked twice, shows the cache's answer:
first=$(curl -fs -D - -o /dev/null "$base/products?min_price=1.23&n=999999999" | tr -d '\r' | sed -n 's/^x-page-cache: //p')
second=$(curl -fs -D - -o /dev/null "$base/products?min_price=1.23&n=999999999" | tr -d '\r' | sed -n 's/^x-page-cache: //p')
printf 'cache\t%s\t%s\t%s\t%s\n' "$BACKEND" "$SCALE" "${first:-none}" "${second:-none}" >>"$results"

# Sizes: each page as sent, and compressed as a browser would ask for it.
for page in home list product search; do
  url="$base${again[$page]}"
  id=$(curl -fs "$url" | wc -c)
  gz=$(curl -fs -H 'Accept-Encoding: gzip' "$url" | wc -c)
  br=$(curl -fs -H 'Accept-Encoding: br' "$url" | wc -c)
  printf 'size\t%s\t%s\t%s\t%s\t%s\t%s\n' "$BACKEND" "$SCALE" "$page" "$id" "$gz" "$br" >>"$results"
done
# A first visit: the HTML, its stylesheet, scripts and icon, and the first four pictures (a
# phone's first screen shows fewer), each fetched with `Accept-Encoding: br, gzip`.
for page in home list product; do
  url="$base${again[$page]}"
  total=$(curl -fs -H 'Accept-Encoding: br, gzip' "$url" | wc -c)
  assets=$(curl -fs "$url" | python3 -c '
import re, sys, html
page = sys.stdin.read()
links = re.findall(r"<link[^>]+href=\"([^\"]+)\"", page) + re.findall(r"<script[^>]+src=\"([^\"]+)\"", page)
# What a phone (a card 320 device pixels wide) takes from each of the first four pictures: the
# smallest WebP copy at least 320 wide, else the largest there is, else the <img> itself.
images = []
for picture in re.findall(r"<picture>(.*?)</picture>", page, re.S)[:4]:
    webp = re.search(r"<source type=\"image/webp\" srcset=\"([^\"]+)\"", picture)
    src = re.search(r"<img[^>]+src=\"([^\"]+)\"", picture)
    if webp:
        copies = sorted((int(w), u) for u, w in re.findall(r"(\S+) (\d+)w", html.unescape(webp.group(1))))
        wide = [c for c in copies if c[0] >= 320]
        images.append((wide[0] if wide else copies[-1])[1])
    elif src:
        images.append(src.group(1))
print("\n".join(html.unescape(u) for u in links + images))')
  while read -r asset; do
    [ -z "$asset" ] && continue
    bytes=$(curl -fs -H 'Accept-Encoding: br, gzip' "$base$asset" | wc -c)
    total=$((total + bytes))
  done <<<"$assets"
  printf 'visit\t%s\t%s\t%s\t%s\n' "$BACKEND" "$SCALE" "$page" "$total" >>"$results"
done

if [ -n "$OUT" ]; then
  cat "$results" >>"$OUT"
else
  cat "$results"
fi
