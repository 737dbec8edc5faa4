#!/usr/bin/env bash
# Builds Trailproof and verifies the bundled sample evidence: an export PDF and the SQLite dump
# of the same audit table (intact), then the same PDF against a dump whose chain was rewritten
# after the export (tampered). Exit status: that of the tampered check (1 means caught).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
cargo build -q -p trailproof-cli
tp=target/debug/trailproof

echo "== 1. export PDF + database dump, as handed over =="
"$tp" verify samples/export-acme-critical.pdf samples/audit.sqlite || true

echo
echo "== 2. the same export PDF + a dump whose chain was rewritten after the export =="
"$tp" verify samples/export-acme-critical.pdf samples/audit-rewritten.sqlite
