#!/usr/bin/env bash
# Peak memory of refusing decompression bombs (issue #21): export PDFs whose embedded payload
# or page content inflates to 1 GiB from ~1 MiB (bench/make_bombs.py); and of verifying a real
# 100k-record export PDF (its payload inflates to 87 MB; seeded and exported by the reference
# service once, cached in bench/out). Prints, per input, the exit code (2: refused, 0: intact),
# the peak RSS and the time of `trailproof verify`. Goal: every peak under 256 MiB.
# Usage: bash bench/bombs.sh [TRAILPROOF_BINARY]   (default: target/release/trailproof;
# env EXPORT_RECORDS, default 100000)
set -euo pipefail
cd "$(dirname "$0")/.."
bin="${1:-target/release/trailproof}"
[ -x "$bin" ] || { echo "bombs: no binary at $bin (cargo build --release -p trailproof-cli)" >&2; exit 2; }
command -v /usr/bin/time >/dev/null || { echo "bombs: needs /usr/bin/time (apt-get install time)" >&2; exit 2; }
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
python3 bench/make_bombs.py "$dir"
n=${EXPORT_RECORDS:-100000}
export_pdf=bench/out/export-$n.pdf
if [ ! -s "$export_pdf" ]; then
  cargo build -q --release -p trailproof-service
  svc=target/release/trailproof-service
  mkdir -p bench/out
  rm -f "$dir/export.store"*
  "$svc" seed --db "$dir/export.store" --tenants 1 --events "$n" > /dev/null
  "$svc" export --db "$dir/export.store" --tenant-id acme --exported-at 2026-06-01T00:00:00Z \
    --out "$export_pdf.tmp.pdf" > /dev/null
  mv "$export_pdf.tmp.pdf" "$export_pdf"
fi
cp "$export_pdf" "$dir/export-$n.pdf"
echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | xargs)$(grep -q sha_ni /proc/cpuinfo && echo ', sha_ni')"
for bomb in payload-bomb content-bomb "export-$n"; do
  set +e
  /usr/bin/time -f "%M %e" -o "$dir/time" "$bin" verify "$dir/$bomb.pdf" >/dev/null 2>"$dir/err"
  code=$?
  set -e
  read -r kib secs < <(tail -1 "$dir/time")
  printf '%-14s %8d bytes  exit %d  peak RSS %5d MiB  %5.2f s  %s\n' "$bomb" \
    "$(stat -c %s "$dir/$bomb.pdf")" "$code" "$((kib / 1024))" "$secs" "$(head -1 "$dir/err" | cut -c1-160)"
done
