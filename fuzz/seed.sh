#!/usr/bin/env bash
# Seeds corpus/TARGET from every fixture producer's output in the repository (the public vectors,
# the tampered vectors, the real-tool dumps and PDFs, the recovery fixtures), cut to the
# target's -max_len where the whole file would not fit.
# Usage: bash fuzz/seed.sh TARGET
set -euo pipefail
cd "$(dirname "$0")"
t=$1 v=../tests/vectors f=../tests/fixtures
d=corpus/$t
mkdir -p "$d"
put() { # NAME BYTES-LIMIT FILE
  head -c "$2" "$3" > "$d/$1"
}
case $t in
  json_canonical)
    i=0; while IFS= read -r line; do i=$((i+1)); printf '%s' "$line" > "$d/record-$i"; done < <(head -20 $v/records.jsonl)
    put canonical 4096 $v/canonical.json
    put export 4096 $v/export-acme-critical.json
    put scopes 4096 $v/scopes.json ;;
  jsonl_csv)
    for x in $v/records.jsonl $v/pg-records.jsonl $v/audit.csv $f/dumps/*.jsonl $f/dumps/*.csv; do
      put "$(basename "$x")" 4096 "$x"
    done ;;
  sql_dump)
    for x in $v/audit.sqlite.sql $v/audit.pg.sql $f/dumps/*.sql; do
      put "$(basename "$x")" 65536 "$x"
    done ;;
  pdf|pdf_structure)
    for x in $v/*.pdf $v/tampered/*.pdf $f/pdf/*.pdf $f/pdf-recovery/*.pdf ../samples/*.pdf; do
      [ "$(stat -c %s "$x")" -le 65536 ] && cp "$x" "$d/$(basename "$x")"
    done ;;
  sqlite_recover)
    for x in $f/recovery/*.sqlite; do
      { printf '\0\0\0\0'; cat "$x"; } | head -c 65536 > "$d/$(basename "$x")"
    done ;;
esac
echo "seeded $d with $(ls "$d" | wc -l) inputs"
