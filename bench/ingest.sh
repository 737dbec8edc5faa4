#!/usr/bin/env bash
# Reading speed against the tools an investigator would otherwise reach for (issue 3, "Speed"):
#  * a SQLite dump of N records (default 1,000,000; seeded by the reference service, then
#    `dump --format sqlite`) read by `trailproof verify` against a plain full scan,
#    `sqlite3 FILE 'select * from audit_log' | sha256sum`; and trailproof's peak RSS on it
#    (/usr/bin/time -f %M, one run) against 256 MiB;
#  * an export PDF of 10,000 records (PDF_RECORDS; seeded and exported by the reference service,
#    with its embedded audit-export.json payload) read by `trailproof verify` against
#    `pdftotext FILE - | sha256sum`.
# Goals: trailproof / sqlite3 <= 1, peak RSS < 256 MiB, trailproof / pdftotext < 1.
# trailproof does much more than either (it hashes the whole file for the report, canonicalizes
# and hashes every record, checks every chain, and for the PDF parses its pages and its embedded
# payload and cross-checks both), so the ratios say what that costs over merely reading the bytes.
#
# Both inputs must verify intact (the PDF with all its records read from the payload) before
# anything is timed. Timing: RUNS rounds (default 5), each running the four commands one after
# the other under /usr/bin/time, so a burst of load from elsewhere hits both sides of a
# comparison; the ratio is taken between the quietest (fastest) runs, the ratio of the medians
# and of the CPU seconds (user + system, least of the runs) are printed beside it.
# Inputs are generated once and cached in bench/out (git-ignored), as are the results
# (bench/out/ingest-result.txt). Exit status: 0 when every goal is met, 3 when a measurement
# misses one (everything is printed either way), 1 when an input does not verify.
# Usage: bash bench/ingest.sh [RECORDS]      (env: RUNS, PDF_RECORDS; TRAILPROOF=path times that
# binary instead of building target/release/trailproof, to compare two builds)
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-1000000}
pdf_n=${PDF_RECORDS:-10000}
runs=${RUNS:-5}
rss_limit_mib=256
for tool in sqlite3 pdftotext sha256sum python3 /usr/bin/time; do
  command -v "$tool" > /dev/null || { echo "bench/ingest.sh needs $tool (apt-get install sqlite3 poppler-utils python3 time)" >&2; exit 2; }
done
# The service only makes the inputs; it is built in release, which seeds 1M records through its
# append path in about 25 s on this project's machine.
if [ -n "${TRAILPROOF:-}" ]; then
  cargo build -q --release -p trailproof-service
  tp=$TRAILPROOF
else
  cargo build -q --release -p trailproof-cli -p trailproof-service
  tp=target/release/trailproof
fi
svc=target/release/trailproof-service
out=bench/out
mkdir -p "$out"

# Inputs, generated under a temporary name and renamed when complete (an interrupted run leaves
# nothing that looks cached).
db="$out/seed-$n.sqlite"
if [ ! -s "$db" ]; then
  rm -f "$out/seed-$n.store"* "$db.tmp"
  "$svc" seed --db "$out/seed-$n.store" --tenants 4 --events "$n"
  "$svc" dump --db "$out/seed-$n.store" --format sqlite --out "$db.tmp"
  rm -f "$out/seed-$n.store"*
  mv "$db.tmp" "$db"
fi
pdf="$out/export-$pdf_n.pdf"
if [ ! -s "$pdf" ]; then
  rm -f "$out/export-$pdf_n.store"* "$pdf.tmp.pdf"
  "$svc" seed --db "$out/export-$pdf_n.store" --tenants 1 --events "$pdf_n"
  "$svc" export --db "$out/export-$pdf_n.store" --tenant-id acme \
    --exported-at 2026-06-01T00:00:00Z --out "$pdf.tmp.pdf" | tee "$out/export-$pdf_n.txt"
  grep -q "^exported $pdf_n records of acme" "$out/export-$pdf_n.txt" \
    || { echo "the export of $pdf_n records did not hold $pdf_n records" >&2; exit 1; }
  rm -f "$out/export-$pdf_n.store"*
  mv "$pdf.tmp.pdf" "$pdf"
fi
rows=$(sqlite3 "$db" 'select count(*) from audit_log')
[ "$rows" = "$n" ] || { echo "$db holds $rows rows, not $n" >&2; exit 1; }

# Warm the page cache: the numbers measure the readers, not the disk.
cat "$db" "$pdf" > /dev/null

# Both inputs must verify intact, every record read (a timing of a failing run means nothing).
# The SQLite run is also the peak-RSS measurement.
verified() { # REPORT KIND RECORDS
  python3 - "$@" << 'EOF'
import json, sys
r = json.load(open(sys.argv[1]))
kind, want = sys.argv[2], int(sys.argv[3])
inputs = r["inputs"]
ok = (r["verdict"] == "intact" and len(inputs) == 1 and inputs[0]["kind"] == kind
      and inputs[0]["records"] == want)
if not ok:
    print(f"{sys.argv[1]}: verdict {r['verdict']}, inputs "
          f"{[(i['kind'], i['records']) for i in inputs]}; want intact, {kind}, {want} records",
          file=sys.stderr)
sys.exit(0 if ok else 1)
EOF
}
/usr/bin/time -f '%e %M' -o "$out/ingest-rss.txt" \
  "$tp" verify --json --no-progress "$db" > "$out/ingest-report-sqlite.json"
verified "$out/ingest-report-sqlite.json" sqlite "$n" || exit 1
read -r _ rss_kib < "$out/ingest-rss.txt"
"$tp" verify --json --no-progress "$pdf" > "$out/ingest-report-pdf.json"
verified "$out/ingest-report-pdf.json" export-pdf "$pdf_n" || exit 1

# name, command; one pair per comparison.
names=(sqlite3-scan trailproof-sqlite pdftotext trailproof-pdf)
cmds=(
  "sqlite3 '$db' 'select * from audit_log' | sha256sum > /dev/null"
  "'$tp' verify --json --no-progress '$db' > /dev/null"
  "pdftotext '$pdf' - | sha256sum > /dev/null"
  "'$tp' verify --json --no-progress '$pdf' > /dev/null"
)
for i in 0 1 2 3; do : > "$out/ingest-times-${names[$i]}.txt"; done
for _ in $(seq "$runs"); do
  for i in 0 1 2 3; do
    # Wall-clock seconds, and CPU seconds (user + system, every process of the pipeline).
    start=$EPOCHREALTIME
    /usr/bin/time -f '%U %S' -o "$out/ingest-time.txt" bash -c "${cmds[$i]}"
    end=$EPOCHREALTIME
    awk -v s="$start" -v e="$end" '{ printf "%.4f %.2f\n", e - s, $1 + $2 }' "$out/ingest-time.txt" \
      >> "$out/ingest-times-${names[$i]}.txt"
  done
done
stat_of() { # FILE COLUMN min|median
  awk -v c="$2" '{ print $c }' "$1" | sort -g | awk -v w="$3" '{ v[NR] = $1 } END {
    if (w == "min") print v[1]; else print (NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2) }'
}
declare -A best med cpu
for name in "${names[@]}"; do
  best[$name]=$(stat_of "$out/ingest-times-$name.txt" 1 min)
  med[$name]=$(stat_of "$out/ingest-times-$name.txt" 1 median)
  cpu[$name]=$(stat_of "$out/ingest-times-$name.txt" 2 min)
done

{
  printf '%-20s %-8s %-10s %-8s %s\n' what best_s median_s cpu_s input
  for name in "${names[@]}"; do
    case $name in
      *sqlite*) input="$db ($n records, $(stat -c %s "$db") bytes)" ;;
      *) input="$pdf ($pdf_n records, $(stat -c %s "$pdf") bytes)" ;;
    esac
    printf '%-20s %-8.3f %-10.3f %-8.2f %s\n' "$name" "${best[$name]}" "${med[$name]}" "${cpu[$name]}" "$input"
  done
  echo "($runs rounds; best and median wall-clock seconds, least CPU seconds; load average $(cut -d' ' -f1-3 /proc/loadavg))"
  awk -v a="${best[trailproof-sqlite]}" -v b="${best[sqlite3-scan]}" \
    -v ma="${med[trailproof-sqlite]}" -v mb="${med[sqlite3-scan]}" \
    -v ca="${cpu[trailproof-sqlite]}" -v cb="${cpu[sqlite3-scan]}" \
    -v n="$n" -v k="$rss_kib" -v lim="$rss_limit_mib" \
    -v goal="$(grep -q sha_ni /proc/cpuinfo && echo 0.75 || echo 1)" 'BEGIN {
    printf "sqlite, %d records: trailproof / sqlite3 | sha256sum = %.2fx (median %.2fx, CPU %.2fx; %.0f records/s)  goal <= %sx: %s\n",
      n, a / b, ma / mb, ca / cb, n / a, goal, a / b <= goal ? "met" : "NOT met"
    printf "sqlite, %d records: trailproof peak RSS = %.1f MiB  goal < %d MiB: %s\n",
      n, k / 1024, lim, k / 1024 < lim ? "met" : "NOT met" }'
  awk -v a="${best[trailproof-pdf]}" -v b="${best[pdftotext]}" \
    -v ma="${med[trailproof-pdf]}" -v mb="${med[pdftotext]}" \
    -v ca="${cpu[trailproof-pdf]}" -v cb="${cpu[pdftotext]}" -v n="$pdf_n" 'BEGIN {
    printf "pdf, %d records:    trailproof / pdftotext | sha256sum = %.2fx (median %.2fx, CPU %.2fx)  goal < 1x: %s\n",
      n, a / b, ma / mb, ca / cb, a / b < 1 ? "met" : "NOT met" }'
} | tee "$out/ingest-result.txt"
if grep -q 'NOT met' "$out/ingest-result.txt"; then exit 3; fi
