#!/usr/bin/env bash
# Photo pipeline benchmark: our upload processing against `vips thumbnail`, on one real 12-megapixel JPEG
# (4000×3000, photo-like, EXIF orientation 6 so both sides must turn it upright).
#
# In one run, interleaved over $ROUNDS rounds, medians:
#   - vips: `vips thumbnail in.jpg out.jpg[Q=82,strip] W --height 100000` for W = 1600, and for 1600, 800 and 320
#     (we make three sizes). The huge height makes W the bound, as ours is: both make 1600×2133, not 1200×1600.
#     Each is a whole command: process start, decode (libjpeg shrinks on load), resize, encode one JPEG.
#   - ours: `gongfang media process FILE --repeat N`, which prints `process_ms=… store_ms=…` per run:
#     decode, upright, three sizes, each encoded as JPEG *and* lossless WebP (`process`), then `store` into a
#     temporary directory. Also the whole command with --repeat 1, the like-for-like of a vips command.
# This machine is shared and noisy: read the ratios, not the absolute numbers.
#
#   bash bench/photos.sh
#   ROUNDS=7 REPEAT=5 bash bench/photos.sh
#   OURS="target/release/examples/bench" BUILD="cargo build --release --quiet --example bench" bash bench/photos.sh
set -euo pipefail
cd "$(dirname "$0")/.."

ROUNDS=${ROUNDS:-5}
REPEAT=${REPEAT:-3}
OURS=${OURS:-target/release/gongfang media process}
BUILD=${BUILD:-cargo build --release --quiet}
if ! command -v vips >/dev/null 2>&1; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libvips-tools >/dev/null
fi
$BUILD

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

echo "== making a 4000×3000 photo-like JPEG with EXIF orientation 6"
# Smooth colour fields, cell-like structure with edges, fine texture and sensor grain: compresses like a photo.
(
  cd "$work"
  vips perlin r.v 4000 3000 --cell-size 700 --seed 1
  vips perlin g.v 4000 3000 --cell-size 500 --seed 2
  vips perlin b.v 4000 3000 --cell-size 900 --seed 3
  vips bandjoin "r.v g.v b.v" rgb.v
  vips linear rgb.v colour.v 160 120
  vips perlin fine.v 4000 3000 --cell-size 20 --seed 4
  vips linear fine.v fine2.v 30 0
  vips worley cells.v 4000 3000 --cell-size 150 --seed 5
  vips linear cells.v cells2.v 0.9 -- -30
  vips gaussnoise grain.v 4000 3000 --sigma 3 --mean 0
  vips add fine2.v cells2.v texture.v
  vips add colour.v texture.v a.v
  vips add a.v grain.v b2.v
  vips cast b2.v c.v uchar
  vips copy c.v srgb.v --interpretation srgb
  vips jpegsave srgb.v plain.jpg --Q 92 --strip
  rm -f ./*.v
)
# A camera's APP1 Exif segment (Make, Orientation 6) straight after Start Of Image.
python3 - "$work/plain.jpg" "$work/in.jpg" <<'PY'
import struct, sys
data = open(sys.argv[1], "rb").read()
assert data[:2] == b"\xff\xd8"
make = b"BenchCam\0"
tiff = b"II*\0" + struct.pack("<IH", 8, 2)
tiff += struct.pack("<HHII", 0x010F, 2, len(make), 8 + 2 + 2 * 12 + 4)
tiff += struct.pack("<HHIHH", 0x0112, 3, 1, 6, 0) + struct.pack("<I", 0) + make
app1 = b"Exif\0\0" + tiff
open(sys.argv[2], "wb").write(data[:2] + b"\xff\xe1" + struct.pack(">H", len(app1) + 2) + app1 + data[2:])
PY
in=$work/in.jpg
echo "   $(vipsheader "$in"), orientation $(vipsheader -f orientation "$in"), $(stat -c %s "$in") bytes"

# Wall time of one command, in ms, appended to the file named by $1.
timed() {
  local out=$1 t0 t1
  shift
  t0=$EPOCHREALTIME
  "$@" >/dev/null 2>&1
  t1=$EPOCHREALTIME
  python3 -c "print(($t1 - $t0) * 1000)" >>"$out"
}
vips_size() { vips thumbnail "$in" "$work/vips-$1.jpg[Q=82,strip]" "$1" --height 100000; }
vips_three() { vips_size 1600 && vips_size 800 && vips_size 320; }

echo "== $ROUNDS rounds"
for round in $(seq 1 "$ROUNDS"); do
  timed "$work/vips1600.ms" vips_size 1600
  timed "$work/vips3.ms" vips_three
  # shellcheck disable=SC2086 # $OURS is a command with arguments
  timed "$work/ours-cmd.ms" $OURS "$in" --repeat 1
  # shellcheck disable=SC2086
  $OURS "$in" --repeat "$REPEAT" 2>/dev/null | grep -E '^process_ms=' >>"$work/ours.txt"
  echo "   round $round done"
done
echo "   vips 1600 output: $(vipsheader "$work/vips-1600.jpg" | cut -d: -f2)"

python3 - "$work" "$ROUNDS" "$REPEAT" <<'PY'
import re, statistics, sys
work, rounds, repeat = sys.argv[1], sys.argv[2], sys.argv[3]
def ms(name):
    return statistics.median(float(x) for x in open(f"{work}/{name}") if x.strip())
runs = [dict(re.findall(r"(\w+)=([\d.]+)", line)) for line in open(f"{work}/ours.txt")]
process = statistics.median(float(r["process_ms"]) for r in runs)
store = statistics.median(float(r["store_ms"]) for r in runs)
both = statistics.median(float(r["process_ms"]) + float(r["store_ms"]) for r in runs)
vips1, vips3, cmd = ms("vips1600.ms"), ms("vips3.ms"), ms("ours-cmd.ms")
print(f"\nMedians over {rounds} rounds ({len(runs)} in-process runs of ours, {repeat} per round).\n")
print("| measured | median ms | ours process / this | ours process+store / this | ours command / this |")
print("|---|---:|---:|---:|---:|")
for name, value in [
    ("vips thumbnail → 1600 JPEG (command)", vips1),
    ("vips thumbnail → 1600 + 800 + 320 JPEG (3 commands)", vips3),
]:
    print(f"| {name} | {value:.1f} | {process / value:.2f} | {both / value:.2f} | {cmd / value:.2f} |")
for name, value in [
    ("ours: process (3 sizes × JPEG + lossless WebP)", process),
    ("ours: store (6 files, temp dir + rename)", store),
    ("ours: process + store", both),
    ("ours: whole command, --repeat 1", cmd),
]:
    print(f"| {name} | {value:.1f} | | | |")
PY
