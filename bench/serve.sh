# Sourced by the bench scripts (pages.sh, profile.sh): one release server with one worker on a
# free loopback port, stopped on exit with everything it made.
#
#   bench_serve NAME
#
# SCALE=demo (a fresh data dir with the demo; on BACKEND=postgres a fresh database NAME on
# 127.0.0.1:5432, dropped on exit) or national (the seeded GONGFANG_DATA_DIR as it is).
# GONGFANG_BIN is the server (built here when unset). Sets work (a temporary dir, removed on
# exit), base (the server's URL) and server (its pid), and returns once /readyz answers.
bench_serve() {
  local db_name=$1 port args
  if [ -z "${GONGFANG_BIN:-}" ]; then
    cargo build --release --quiet --bin gongfang
    GONGFANG_BIN=target/release/gongfang
  fi
  work=$(mktemp -d)
  bench_admin=postgres://postgres@127.0.0.1:5432/test
  bench_own_db=""
  if [ "$SCALE" = demo ]; then
    export GONGFANG_DATA_DIR="$work/data"
    if [ "$BACKEND" = postgres ]; then
      bench_own_db=$db_name
      psql "$bench_admin" -qc "DROP DATABASE IF EXISTS $bench_own_db WITH (FORCE)" -c "CREATE DATABASE $bench_own_db"
      export DATABASE_URL=postgres://postgres@127.0.0.1:5432/$bench_own_db
    else
      unset DATABASE_URL
    fi
    args=(serve --demo --workers 1)
  else
    : "${GONGFANG_DATA_DIR:?a national run needs a seeded data dir (bench/run or bench/reports.sh KEEP=1 makes one)}"
    args=(serve --workers 1)
  fi
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  base="http://127.0.0.1:$port"
  GONGFANG_BIND="127.0.0.1:$port" RUST_LOG=warn "$GONGFANG_BIN" "${args[@]}" >"$work/server.log" 2>&1 &
  server=$!
  trap bench_stop EXIT
  for _ in $(seq 1 600); do curl -fs "$base/readyz" >/dev/null 2>&1 && break; sleep 0.5; done
  curl -fs "$base/readyz" >/dev/null || { cat "$work/server.log" >&2; exit 1; }
}

bench_stop() {
  kill "$server" 2>/dev/null || true
  wait "$server" 2>/dev/null || true
  [ -n "$bench_own_db" ] && psql "$bench_admin" -qc "DROP DATABASE IF EXISTS $bench_own_db WITH (FORCE)" >/dev/null 2>&1
  rm -rf "$work"
}
