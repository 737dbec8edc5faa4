#!/usr/bin/env bash
# Peak memory of refusing decompression bombs (issue #21): export PDFs whose embedded payload
# or page content inflates to 1 GiB from ~1 MiB (bench/make_bombs.py). Prints, per bomb, the
# exit code (2: refused), the peak RSS and the time of `trailproof verify`.
# Usage: bash bench/bombs.sh [TRAILPROOF_BINARY]   (default: target/release/trailproof)
set -euo pipefail
cd "$(dirname "$0")/.."
bin="${1:-target/release/trailproof}"
[ -x "$bin" ] || { echo "bombs: no binary at $bin (cargo build --release -p trailproof-cli)" >&2; exit 2; }
command -v /usr/bin/time >/dev/null || { echo "bombs: needs /usr/bin/time (apt-get install time)" >&2; exit 2; }
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
python3 bench/make_bombs.py "$dir"
echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | xargs)$(grep -q sha_ni /proc/cpuinfo && echo ', sha_ni')"
for bomb in payload-bomb content-bomb; do
  set +e
  /usr/bin/time -f "%M %e" -o "$dir/time" "$bin" verify "$dir/$bomb.pdf" >/dev/null 2>"$dir/err"
  code=$?
  set -e
  read -r kib secs < <(tail -1 "$dir/time")
  printf '%-13s %8d bytes  exit %d  peak RSS %5d MiB  %5.2f s  %s\n' "$bomb" \
    "$(stat -c %s "$dir/$bomb.pdf")" "$code" "$((kib / 1024))" "$secs" "$(head -1 "$dir/err" | cut -c1-160)"
done
