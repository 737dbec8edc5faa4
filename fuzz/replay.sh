#!/usr/bin/env bash
# Replays every input of every target's campaign corpus and kept regressions once (-runs=0)
# through the fuzz binaries, in which libfuzzer-sys turns a panic into an abort: a run that
# ends with "Done" and status 0 is the proof that no input panics, hangs (-timeout=2) or needs
# more than 256 MiB in one allocation. Prints one line per target; exit 1 when one fails.
# Usage: bash fuzz/replay.sh [TARGET...]   (default: every target with a corpus)
set -uo pipefail
cd "$(dirname "$0")"
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(json_canonical jsonl_csv sql_dump pdf pdf_structure sqlite_recover)
bad=0
for t in "${targets[@]}"; do
  dirs=()
  for d in "corpus/$t" "regressions/$t"; do [ -d "$d" ] && dirs+=("$d"); done
  [ ${#dirs[@]} -gt 0 ] || continue
  RUSTC_BOOTSTRAP=1 cargo fuzz build "$t" 2> /dev/null || { echo "$t: build failed"; bad=1; continue; }
  n=$(find "${dirs[@]}" -type f | wc -l)
  TMPDIR=/dev/shm ASAN_OPTIONS=detect_leaks=0:detect_odr_violation=0 \
    "target/x86_64-unknown-linux-gnu/release/$t" -runs=0 -timeout=2 -rss_limit_mb=4096 \
    -malloc_limit_mb=256 -max_len=1048576 "${dirs[@]}" > "replay-$t.out" 2>&1
  rc=$?
  echo "$t: $n inputs replayed, status $rc, $(grep -a -m1 -o 'Done [0-9]* runs in [0-9]* second(s)' "replay-$t.out" || echo 'no Done line')"
  [ $rc -eq 0 ] || bad=1
done
exit $bad
