#!/usr/bin/env bash
# Reports benchmark: seeds the national dataset (`gongfang seed --scale national`: ~9,000
# workshops, 270,000 workers, 5,000,000 order lines over three years) into a fresh database and
# times it (wall time and peak RSS), then times the officials' dashboard for a sample of
# provinces, prefectures and counties against the same money figures from one raw journal
# query (bench/reports.rs), and checks that the roll-up's money equals the journal's.
#
#   bash bench/reports.sh                                   # SQLite (the embedded default)
#   BACKEND=postgres bash bench/reports.sh                  # a fresh database gongfang_bench_reports on 127.0.0.1:5432
#   GONGFANG_NATIONAL_FRACTION=0.01 VERIFY=1 bash bench/reports.sh   # a quick run, with `audit verify`
#   PERIOD=2025 SAMPLES=20 RUNS=50 bash bench/reports.sh    # the defaults: last full year, 20 scopes a level, ≥ 50 runs a view
#   KEEP=1 ...                                              # keep the database (its path or URL is printed)
set -euo pipefail
cd "$(dirname "$0")/.."
BACKEND=${BACKEND:-sqlite}
export GONGFANG_NATIONAL_FRACTION=${GONGFANG_NATIONAL_FRACTION:-1}
VERIFY=${VERIFY:-0}
KEEP=${KEEP:-0}
bin=${CARGO_TARGET_DIR:-target}/release
cargo build --release --quiet --example reports --bin gongfang
data=$(mktemp -d)
admin=postgres://postgres@127.0.0.1:5432/test
cleanup() {
  if [ "$KEEP" = 1 ]; then
    echo "kept: $DATABASE_URL (data dir $data)"
    return
  fi
  rm -rf "$data"
  if [ "$BACKEND" = postgres ]; then
    psql "$admin" -qc "DROP DATABASE IF EXISTS gongfang_bench_reports WITH (FORCE)"
  fi
}
trap cleanup EXIT
export GONGFANG_DATA_DIR="$data"
if [ "$BACKEND" = postgres ]; then
  psql "$admin" -qc "DROP DATABASE IF EXISTS gongfang_bench_reports WITH (FORCE)" -c "CREATE DATABASE gongfang_bench_reports"
  export DATABASE_URL=postgres://postgres@127.0.0.1:5432/gongfang_bench_reports
else
  export DATABASE_URL="$data/gongfang.sqlite3"
fi
export RUST_LOG=${RUST_LOG:-warn}
echo "backend=$BACKEND fraction=$GONGFANG_NATIONAL_FRACTION started=$(date -u +%FT%TZ) cores=$(nproc)"

# 1. The national seed: its own elapsed time (data generation and loading), the process's
#    wall time (with migrations and reference data) and peak RSS.
seed_log="$data/seed.log"
rss_mib=unknown
t0=$(date +%s.%N)
if [ -x /usr/bin/time ]; then
  if ! /usr/bin/time -v "$bin/gongfang" seed --scale national >"$seed_log" 2>"$data/seed.time"; then
    cat "$seed_log" "$data/seed.time"
    exit 1
  fi
  rss_mib=$(awk -F': ' '/Maximum resident set size/ {printf "%d", $2 / 1024}' "$data/seed.time")
else
  "$bin/gongfang" seed --scale national >"$seed_log"
fi
wall=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN {printf "%.1f", b - a}')
summary=$(grep '^national dataset' "$seed_log" || true)
seed_s=$(echo "$summary" | sed -n 's/.* in \([0-9.]*\) s$/\1/p')
echo "$summary"
if [ "$BACKEND" = postgres ]; then
  db_mib=$(psql "$admin" -Atc "SELECT pg_database_size('gongfang_bench_reports') / 1048576")
else
  db_mib=$(( $(du -bc "$data"/gongfang.sqlite3* | tail -1 | cut -f1) / 1048576 ))
fi
echo "phase=seed seed_s=$seed_s process_wall_s=$wall peak_rss_mib=$rss_mib db_mib=$db_mib"

# 2. Optionally, `audit verify` (every entry recomputed from the line terms; the roll-up from
#    the journal).
verify_line="not run (VERIFY=1 runs it)"
if [ "$VERIFY" = 1 ]; then
  t0=$(date +%s.%N)
  "$bin/gongfang" audit verify | tee "$data/verify.log"
  verify_line="passed in $(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN {printf "%.1f", b - a}') s"
fi

# 3. Dashboard against the journal query.
"$bin/examples/reports" | tee "$data/reports.log"

echo
echo "== summary ($BACKEND, fraction $GONGFANG_NATIONAL_FRACTION, $(nproc) cores) =="
echo "national seed: ${seed_s} s generating and loading (process wall ${wall} s, peak RSS ${rss_mib} MiB), database ${db_mib} MiB"
echo "audit verify: $verify_line"
sed -n '/^Reports benchmark/,$p' "$data/reports.log"
