#!/usr/bin/env bash
# One leg of the fuzzing campaign (issue #21): runs TARGET for SECONDS at nice 19 with its
# dictionary and seed corpus, appends libFuzzer's closing line ("Done N runs in S second(s)")
# and the corpus size to campaign.log (git-ignored), and leaves any crash in artifacts/TARGET/.
# Usage: bash fuzz/campaign.sh TARGET SECONDS   (run from anywhere; needs cargo-fuzz)
# MAX_LEN=N overrides the target's -max_len (sql_dump's 64 KB inputs run ~140/s; 4 KB ones reach
# the same statement and COPY paths many times faster). GROUP_NICE=N sets the leg's autogroup
# nice (default 19, see below); 0 gives it a fair share beside builds, so a build cannot starve
# it into libFuzzer's wall-clock timeout.
set -euo pipefail
cd "$(dirname "$0")"
t=$1 secs=$2 extra=
case $t in
  json_canonical|jsonl_csv) dict=dicts/json.dict; max=4096 ;;
  sql_dump) dict=dicts/sql.dict; max=65536 ;;
  # LeakSanitizer reports glibc's thread-local destructor records of the reader's scoped
  # threads (__cxa_thread_atexit_impl, 64 bytes) as leaks: not ours, so leaks are not checked.
  pdf) dict=dicts/pdf.dict; max=65536; extra=-detect_leaks=0 ;;
  # Its input is choices, not PDF text: no dictionary; 8 KB of choices make a large document.
  pdf_structure) dict=; max=8192; extra=-detect_leaks=0 ;;
  sqlite_recover) dict=; max=65536 ;;
  *) echo "unknown target $t" >&2; exit 2 ;;
esac
max=${MAX_LEN:-$max}
mkdir -p "corpus/$t" "artifacts/$t"
# nice alone does not keep a leg off a benchmark: with autogroup scheduling (the Linux default)
# each session shares the CPU equally whatever its processes' nice values, so a leg started from
# its own session took a whole core from verify runs measured beside it. Lower this session's
# group too.
echo "${GROUP_NICE:-19}" > /proc/self/autogroup 2> /dev/null || true
# A fresh corpus starts from the fixtures and from the inputs earlier campaigns kept.
if [ -z "$(ls -A "corpus/$t")" ]; then
  bash seed.sh "$t"
  if [ -d "regressions/$t" ]; then cp regressions/$t/* "corpus/$t/"; fi
fi
RUSTC_BOOTSTRAP=1 cargo fuzz build "$t" 2> /dev/null
log=campaign-$t-$(date +%s).out
start=$(date -u +%FT%TZ)
set +e
RUSTC_BOOTSTRAP=1 TMPDIR=/dev/shm nice -n 19 cargo fuzz run "$t" "corpus/$t" -- -max_total_time="$secs" \
  -timeout=2 -rss_limit_mb=2048 -malloc_limit_mb=256 -max_len=$max ${dict:+-dict=$dict} \
  -print_final_stats=1 $extra > "$log" 2>&1
rc=$?
set -e
done_line=$(grep -a "^Done " "$log" | tail -1 || true)
echo "$start $t max_len=$max rc=$rc ${done_line:-no Done line} corpus=$(ls "corpus/$t" | wc -l) cpu=$(grep -o 'model name.*' /proc/cpuinfo | head -1 | cut -d: -f2 | xargs) sha_ni=$(grep -c -m1 sha_ni /proc/cpuinfo)" | tee -a campaign.log
