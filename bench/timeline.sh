#!/usr/bin/env bash
# Benchmark of `trailproof timeline --format jsonl` on generated JSON Lines dumps (default 1M
# records): seconds end to end, events/s and peak RSS. Inputs and outputs go to bench/out
# (git-ignored); the dumps are the same as bench/run.sh's.
# Usage: bash bench/timeline.sh [SIZES...]   (default: 1000000)
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
sizes=("$@"); [ ${#sizes[@]} -gt 0 ] || sizes=(1000000)
cargo build -q --release -p trailproof-cli
cargo build -q --release -p trailproof-core --example gen_jsonl
mkdir -p bench/out
printf '%-10s %-10s %-12s %-12s %-14s %-10s\n' records bytes out_bytes seconds events/s peak_RSS_MiB
for n in "${sizes[@]}"; do
  f="bench/out/gen-$n.jsonl"
  out="bench/out/timeline-$n.jsonl"
  [ -s "$f" ] || target/release/examples/gen_jsonl "$n" 4 > "$f"
  # Warm the page cache so the number measures the tool, not the disk.
  cat "$f" > /dev/null
  /usr/bin/time -f '%e %M' -o bench/out/time-timeline.txt \
    target/release/trailproof timeline --format jsonl --no-progress -o "$out" "$f" 2> bench/out/timeline-$n.err
  read -r secs kib < bench/out/time-timeline.txt
  events=$(wc -l < "$out")
  [ "$events" -eq "$n" ] || { echo "expected $n events in $out, got $events" >&2; exit 1; }
  grep -q 'verdict intact' bench/out/timeline-$n.err || { cat bench/out/timeline-$n.err >&2; exit 1; }
  awk -v n="$n" -v b="$(stat -c %s "$f")" -v o="$(stat -c %s "$out")" -v s="$secs" -v k="$kib" \
    'BEGIN { printf "%-10d %-10d %-12d %-12.2f %-14.0f %-10.1f\n", n, b, o, s, n / s, k / 1024 }'
done
