#!/usr/bin/env bash
# Reading speed against the tools an investigator would otherwise reach for:
#  * a SQLite dump of N records (default 100,000, seeded by the reference service) read by
#    `trailproof verify` against a plain full scan, `sqlite3 FILE 'select * from audit_log' |
#    sha256sum`;
#  * the sample export PDF (samples/export-acme.pdf) read by `trailproof verify` against
#    `pdftotext FILE - | sha256sum`.
# trailproof does much more than either (it canonicalizes and hashes every record, checks every
# chain, and for the PDF parses its pages and its embedded payload and cross-checks both), so
# the ratios say what that costs over merely reading the bytes.
# Timing: hyperfine when installed (apt-get install hyperfine), else N runs under /usr/bin/time.
# Inputs and results go to bench/out (git-ignored).
# Usage: bash bench/ingest.sh [RECORDS]
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-100000}
runs=${RUNS:-10}
for tool in sqlite3 pdftotext sha256sum; do
  command -v "$tool" > /dev/null || { echo "bench/ingest.sh needs $tool (apt-get install sqlite3 poppler-utils)" >&2; exit 2; }
done
cargo build -q --release -p trailproof-cli
# The service only seeds the input; a debug build does that well enough.
cargo build -q -p trailproof-service
tp=target/release/trailproof
svc=target/debug/trailproof-service
out=bench/out
mkdir -p "$out"

db="$out/seed-$n.sqlite"
if [ ! -s "$db" ]; then
  rm -f "$db" "$out/seed-$n.store"*
  "$svc" seed --db "$out/seed-$n.store" --tenants 4 --events "$n"
  "$svc" dump --db "$out/seed-$n.store" --format sqlite --out "$db"
  rm -f "$out/seed-$n.store"*
fi
pdf=samples/export-acme.pdf

# Both inputs must verify intact (a timing of a failing run means nothing).
for f in "$db" "$pdf"; do
  "$tp" verify --json --no-progress "$f" > "$out/ingest-report.json"
  grep -q '"verdict": *"intact"' "$out/ingest-report.json" || { echo "$f does not verify intact" >&2; exit 1; }
done
rows=$(sqlite3 "$db" 'select count(*) from audit_log')
[ "$rows" = "$n" ] || { echo "$db holds $rows rows, not $n" >&2; exit 1; }
# Warm the page cache: the numbers measure the readers, not the disk.
cat "$db" "$pdf" > /dev/null

# name, command; one pair per comparison.
declare -a names cmds
names=(sqlite3-scan trailproof-sqlite pdftotext trailproof-pdf)
cmds=(
  "sqlite3 $db 'select * from audit_log' | sha256sum"
  "$tp verify --json --no-progress $db > /dev/null"
  "pdftotext $pdf - | sha256sum"
  "$tp verify --json --no-progress $pdf > /dev/null"
)

declare -A mean
if command -v hyperfine > /dev/null; then
  for i in 0 1 2 3; do
    hyperfine --style none --warmup 2 --runs "$runs" --export-json "$out/ingest-$i.json" \
      -n "${names[$i]}" "${cmds[$i]}" > /dev/null
    mean[${names[$i]}]=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["results"][0]["mean"])' "$out/ingest-$i.json")
  done
else
  for i in 0 1 2 3; do
    total=0
    for _ in $(seq "$runs"); do
      /usr/bin/time -f '%e' -o "$out/time.txt" bash -c "${cmds[$i]}"
      total=$(awk -v a="$total" -v b="$(cat "$out/time.txt")" 'BEGIN { print a + b }')
    done
    mean[${names[$i]}]=$(awk -v t="$total" -v r="$runs" 'BEGIN { print t / r }')
  done
fi

printf '%-20s %-12s %s\n' what mean_ms input
printf '%-20s %-12.1f %s\n' sqlite3-scan "$(awk -v s="${mean[sqlite3-scan]}" 'BEGIN { print s * 1000 }')" "$db ($n records, $(stat -c %s "$db") bytes)"
printf '%-20s %-12.1f %s\n' trailproof-sqlite "$(awk -v s="${mean[trailproof-sqlite]}" 'BEGIN { print s * 1000 }')" "$db"
printf '%-20s %-12.1f %s\n' pdftotext "$(awk -v s="${mean[pdftotext]}" 'BEGIN { print s * 1000 }')" "$pdf ($(stat -c %s "$pdf") bytes)"
printf '%-20s %-12.1f %s\n' trailproof-pdf "$(awk -v s="${mean[trailproof-pdf]}" 'BEGIN { print s * 1000 }')" "$pdf"
awk -v a="${mean[trailproof-sqlite]}" -v b="${mean[sqlite3-scan]}" -v n="$n" \
  'BEGIN { printf "sqlite: trailproof / sqlite3 full scan = %.2fx (%.0f records/s verified)\n", a / b, n / a }'
awk -v a="${mean[trailproof-pdf]}" -v b="${mean[pdftotext]}" \
  'BEGIN { printf "pdf:    trailproof / pdftotext        = %.2fx\n", a / b }'
