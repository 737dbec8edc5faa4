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
# The structure-aware target's inputs are choices, not PDFs: the PDFs they build (whole ones, over
# 1,500 bytes: a document with its payload and a page; the smallest are truncated stubs) are kept with
# the pdf target's regressions, which the ingest tests replay.
if [ "$t" = pdf_structure ]; then
  built=$(mktemp -d)
  TRAILPROOF_FUZZ_WRITE_PDFS=$built ASAN_OPTIONS=detect_leaks=0:detect_odr_violation=0 TMPDIR=/dev/shm \
    target/x86_64-unknown-linux-gnu/release/pdf_structure -runs=0 "regressions/$t" > /dev/null 2>&1
  pdfs=0 kept=0
  while read -r size f; do
    [ $((kept + size)) -le 100000 ] || break
    cp "$f" regressions/pdf/
    pdfs=$((pdfs + 1)) kept=$((kept + size))
  done < <(find "$built" -name '*.pdf' -size +1500c -printf '%s %p\n' | sort -n)
  rm -rf "$built"
  echo "pdf_structure: the $pdfs smallest PDFs its kept inputs build ($kept bytes) kept in regressions/pdf"
fi
echo "$t: corpus $(ls "corpus/$t" | wc -l) inputs after cmin; regressions/$t: $(ls "regressions/$t" | wc -l) inputs, $total bytes"
