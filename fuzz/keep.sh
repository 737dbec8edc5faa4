#!/usr/bin/env bash
# Keeps the campaign's corpus of TARGET in the repository: minimizes corpus/TARGET by coverage
# (`cargo fuzz cmin`), then copies its smallest inputs, up to BYTES in all (default 40000), to
# regressions/TARGET, which the normal `cargo test` replays through the real readers.
# Usage: bash fuzz/keep.sh TARGET [BYTES]
set -euo pipefail
cd "$(dirname "$0")"
t=$1 budget=${2:-40000}
[ -n "${NO_CMIN:-}" ] || RUSTC_BOOTSTRAP=1 ASAN_OPTIONS=detect_leaks=0 cargo fuzz cmin "$t" "corpus/$t" -- -timeout=5 -rss_limit_mb=4096 > "cmin-$t.out" 2>&1
mkdir -p "regressions/$t"
total=$(find "regressions/$t" -type f -printf "%s\n" | awk "{s+=\$1} END {print s+0}")
while read -r size file; do
  [ $((total + size)) -le "$budget" ] || break
  [ -e "regressions/$t/$(basename "$file")" ] && continue
  cp "$file" "regressions/$t/"
  total=$((total + size))
done < <(find "corpus/$t" -type f -printf '%s %p\n' | sort -n)
echo "$t: corpus $(ls "corpus/$t" | wc -l) inputs after cmin; regressions/$t: $(ls "regressions/$t" | wc -l) inputs, $total bytes"
