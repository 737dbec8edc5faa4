#!/usr/bin/env bash
# Benchmark of `trailproof verify` on generated JSON Lines dumps (100k and 1M records):
# records/s end to end and peak RSS. Inputs go to bench/out (git-ignored).
# Usage: bash bench/run.sh [SIZES...]   (default: 100000 1000000)
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
sizes=("$@"); [ ${#sizes[@]} -gt 0 ] || sizes=(100000 1000000)
cargo build -q --release -p trailproof-cli
cargo build -q --release -p trailproof-core --example gen_jsonl
mkdir -p bench/out
printf '%-10s %-10s %-12s %-14s %-10s\n' records bytes seconds records/s peak_RSS_MiB
for n in "${sizes[@]}"; do
  f="bench/out/gen-$n.jsonl"
  [ -s "$f" ] || target/release/examples/gen_jsonl "$n" 4 > "$f"
  # Warm the page cache so the number measures the verifier, not the disk.
  cat "$f" > /dev/null
  /usr/bin/time -f '%e %M' -o bench/out/time.txt target/release/trailproof verify --json --no-progress "$f" > bench/out/report-$n.json
  read -r secs kib < bench/out/time.txt
  verdict=$(grep -m1 '"verdict"' bench/out/report-$n.json | tr -d ' ,')
  [ "$verdict" = '"verdict":"intact"' ] || { echo "unexpected $verdict for $f" >&2; exit 1; }
  awk -v n="$n" -v b="$(stat -c %s "$f")" -v s="$secs" -v k="$kib" \
    'BEGIN { printf "%-10d %-10d %-12.2f %-14.0f %-10.1f\n", n, b, s, n / s, k / 1024 }'
done
