#!/usr/bin/env bash
# Two builds of `trailproof verify` on the same inputs, interleaved: old, new, old, new... so that
# a burst of load from elsewhere hits both sides alike. For each input: the fastest and median
# wall seconds, the least CPU seconds (user + system) and the peak RSS of each build, and the
# ratios new/old. Both builds must give the same verdict and the same number of records, else
# the timing means nothing and the script stops.
#
# Inputs (generated once into bench/out, git-ignored): a JSON Lines dump of N records (gen_jsonl,
# default 100,000), a SQLite dump of N records (the reference service's seed + dump), and the
# bundled sample case (export PDF + rewritten SQLite table: tampered, cross-source checks).
#
# Usage: bash bench/compare.sh OLD_BINARY NEW_BINARY [N]    (env: RUNS, default 7; SQLITE_N,
# the SQLite dump's records, default N; NEW_ARGS, extra `verify` options for the new build only,
# e.g. --no-recover to leave out a feature the old build did not have)
set -euo pipefail
cd "$(dirname "$0")/.."
old=$1
new=$2
n=${3:-100000}
sqlite_n=${SQLITE_N:-$n}
runs=${RUNS:-7}
read -r -a new_args <<< "${NEW_ARGS:-}"
for tool in /usr/bin/time python3; do
  command -v "$tool" > /dev/null || { echo "bench/compare.sh needs $tool" >&2; exit 2; }
done
out=bench/out
mkdir -p "$out"

jsonl="$out/gen-$n.jsonl"
if [ ! -s "$jsonl" ]; then
  cargo build -q --release -p trailproof-core --example gen_jsonl
  target/release/examples/gen_jsonl "$n" 4 > "$jsonl.tmp"
  mv "$jsonl.tmp" "$jsonl"
fi
db="$out/seed-$sqlite_n.sqlite"
if [ ! -s "$db" ]; then
  cargo build -q -p trailproof-service
  svc=target/debug/trailproof-service
  rm -f "$out/seed-$sqlite_n.store"* "$db.tmp"
  "$svc" seed --db "$out/seed-$sqlite_n.store" --tenants 4 --events "$sqlite_n" > /dev/null
  "$svc" dump --db "$out/seed-$sqlite_n.store" --format sqlite --out "$db.tmp" > /dev/null
  rm -f "$out/seed-$sqlite_n.store"*
  mv "$db.tmp" "$db"
fi
inputs=("jsonl-$n:$jsonl" "sqlite-$sqlite_n:$db" "sample:samples/export-acme.pdf samples/audit-rewritten.sqlite")
cat "$jsonl" "$db" > /dev/null

# verdict and records of a JSON report
summary() {
  python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); print(r["verdict"], r["counts"]["records"])' "$1"
}

printf 'old: %s\nnew: %s %s\nCPU: %s; %s runs each, interleaved\n\n' "$old" "$new" "${NEW_ARGS:-}" \
  "$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')$(grep -qo sha_ni /proc/cpuinfo && echo ' (sha_ni)' || echo ' (no sha_ni)')" "$runs"
printf '%-14s %-5s %9s %9s %9s %9s\n' input build min_s median_s cpu_s rss_MiB
for entry in "${inputs[@]}"; do
  name=${entry%%:*}
  read -r -a files <<< "${entry#*:}"
  for b in old new; do
    bin=${!b}
    extra=()
    [ "$b" = old ] || extra=("${new_args[@]}")
    status=0
    "$bin" verify --json --no-progress "${extra[@]}" "${files[@]}" > "$out/cmp-$name-$b.json" || status=$?
    [ "$status" -le 1 ] || { echo "$b build failed on $name (exit $status)" >&2; exit 1; }
  done
  so=$(summary "$out/cmp-$name-old.json")
  sn=$(summary "$out/cmp-$name-new.json")
  [ "$so" = "$sn" ] || { echo "$name: old says '$so', new says '$sn'" >&2; exit 1; }
  : > "$out/cmp-$name-old.times"
  : > "$out/cmp-$name-new.times"
  for _ in $(seq 1 "$runs"); do
    for b in old new; do
      bin=${!b}
      extra=()
      [ "$b" = old ] || extra=("${new_args[@]}")
      /usr/bin/time -f '%e %U %S %M' -o "$out/cmp-time.txt" "$bin" verify --json --no-progress "${extra[@]}" "${files[@]}" > /dev/null || true
      cat "$out/cmp-time.txt" >> "$out/cmp-$name-$b.times"
    done
  done
  python3 - "$name" "$out/cmp-$name-old.times" "$out/cmp-$name-new.times" << 'EOF'
import statistics, sys
name = sys.argv[1]
def load(p):
    # /usr/bin/time adds "Command exited with non-zero status 1" for a tampered verdict.
    rows = [list(map(float, l.split())) for l in open(p) if l.strip() and not l.startswith("Command")]
    wall = [r[0] for r in rows]
    return min(wall), statistics.median(wall), min(r[1] + r[2] for r in rows), max(r[3] for r in rows) / 1024
o, n = load(sys.argv[2]), load(sys.argv[3])
for b, v in (("old", o), ("new", n)):
    print(f"{name:<14} {b:<5} {v[0]:9.3f} {v[1]:9.3f} {v[2]:9.3f} {v[3]:9.1f}")
r = lambda a, b: f"{a / b:9.3f}" if b > 0 else f"{'-':>9}"
print(f"{name:<14} {'ratio':<5} {r(n[0], o[0])} {r(n[1], o[1])} {r(n[2], o[2])} {r(n[3], o[3])}   (new/old)")
EOF
done
