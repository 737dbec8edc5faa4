#!/usr/bin/env bash
# `trailproof verify` against bench/auditor.py (rfc8785 + hashlib, what an auditor would write)
# on the first N records of the generated JSON Lines dump (default 100,000), interleaved rounds
# (default 3): prints each round and the ratio of the medians (python / trailproof; issue #20's
# goal is >= 50x). The rfc8785 package goes into target/tools/bench-venv (pip, once).
# Usage: bash bench/vs_python.sh [RECORDS]   (env RUNS; TRAILPROOF=path times that binary)
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-100000}
runs=${RUNS:-3}
venv=target/tools/bench-venv
if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c 'import rfc8785' 2> /dev/null; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q rfc8785==0.1.4
fi
if [ -n "${TRAILPROOF:-}" ]; then tp=$TRAILPROOF; else cargo build -q --release -p trailproof-cli; tp=target/release/trailproof; fi
src=bench/out/gen-1000000.jsonl
[ -s "$src" ] || bash bench/run.sh 1000000 > /dev/null
dump=bench/out/gen-$n.jsonl
[ -s "$dump" ] || head -n "$n" "$src" > "$dump"
cat "$dump" > /dev/null
echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | xargs)$(grep -q sha_ni /proc/cpuinfo && echo ', sha_ni'), $n records"
"$venv/bin/python" bench/auditor.py "$dump"
"$tp" verify --no-progress "$dump" > /dev/null || { echo "the dump does not verify intact" >&2; exit 1; }
py=() tps=()
for r in $(seq "$runs"); do
  t0=$(date +%s.%N); "$tp" verify --no-progress --json "$dump" > /dev/null; t1=$(date +%s.%N)
  "$venv/bin/python" bench/auditor.py "$dump" > /dev/null; t2=$(date +%s.%N)
  a=$(echo "$t1 - $t0" | bc); b=$(echo "$t2 - $t1" | bc)
  tps+=("$a"); py+=("$b")
  echo "round $r: trailproof $a s, python $b s"
done
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
mt=$(median "${tps[@]}"); mp=$(median "${py[@]}")
echo "median: trailproof $mt s, python $mp s: $(echo "scale=1; $mp / $mt" | bc)x"
