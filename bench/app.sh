#!/usr/bin/env bash
# How the desktop app's backend holds up on a large case (default: 1M records): opens a
# generated JSON Lines dump exactly as the window does, then times a page of rows at the start,
# middle and end, a free-text filter, a sort and the timeline density, and prints the peak and
# current memory of the process (src-tauri/examples/scale.rs). No window is needed.
# Inputs go to bench/out (git-ignored); the app builds in its own target dir, target-app.
# Usage: bash bench/app.sh [RECORDS]   (default: 1000000)
set -euo pipefail
cd "$(dirname "$0")/.."
[ -n "${BENCH_NO_SETUP:-}" ] || bash scripts/setup.sh
n=${1:-1000000}
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$PWD/target-app}"
cargo build -q --release -p trailproof-app --example scale
cargo build -q --release -p trailproof-core --example gen_jsonl
mkdir -p bench/out
f="bench/out/gen-$n.jsonl"
[ -s "$f" ] || "$CARGO_TARGET_DIR/release/examples/gen_jsonl" "$n" 4 > "$f"
cat "$f" > /dev/null
echo "case: $f ($n records, $(stat -c %s "$f") bytes)"
# The machine may be shared: say how busy it was around the run (the CPU seconds the example
# prints are its own, whatever the load).
echo "loadavg_before $(cut -d' ' -f1-3 /proc/loadavg)"
"$CARGO_TARGET_DIR/release/examples/scale" "$f"
echo "loadavg_after $(cut -d' ' -f1-3 /proc/loadavg)"
