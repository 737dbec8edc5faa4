#!/usr/bin/env bash
# Builds Trailproof and verifies the bundled sample evidence, written by the reference service
# (crates/service): an export PDF of tenant acme and the SQLite audit table it came from
# (intact, exit 0); then the same PDF with a copy of the table in which an insider changed acme
# seq 12 and re-hashed the whole chain after it, so the dump alone looks intact (tampered,
# exit 1: only the export's records and chain head give it away).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
cargo build -q -p trailproof-cli
tp=target/debug/trailproof

echo "== 1. export PDF + the database it came from =="
"$tp" verify samples/export-acme.pdf samples/audit.sqlite

echo
echo "== 2. the rewritten database alone: internally consistent =="
out=$("$tp" verify samples/audit-rewritten.sqlite)
sed -n 1,2p <<<"$out"

echo
echo "== 3. the same export PDF + the rewritten database =="
status=0
"$tp" verify samples/export-acme.pdf samples/audit-rewritten.sqlite || status=$?
if [ "$status" -ne 1 ]; then
  echo "sample: expected exit 1 (tampered), got $status" >&2
  exit 1
fi
echo "sample: the rewrite was caught (exit 1)"
