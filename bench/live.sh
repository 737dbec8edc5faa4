#!/usr/bin/env bash
# Benchmark of `trailproof live` against the reference service on loopback: a whole-tenant scope
# of N records (default 100,000) paged from `trailproof-service serve`, end to end (token, paging,
# hashing, fingerprint, the service's own verify answer, chain head): seconds, records/s, and
# the CPU seconds spent by the client and by the service.
# The store, export and logs go to bench/out (git-ignored).
# Usage: bash bench/live.sh [RECORDS] [RUNS]   (default: 100000 3)
set -euo pipefail
cd "$(dirname "$0")/.."
[ -n "${BENCH_NO_SETUP:-}" ] || bash scripts/setup.sh
n=${1:-100000}
runs=${2:-3}
cargo build -q --release -p trailproof-cli -p trailproof-service
svc=target/release/trailproof-service
mkdir -p bench/out
db="bench/out/live-$n.db"
secret=bench-live-secret
if [ ! -s "$db" ]; then
  rm -f "$db" "$db-wal" "$db-shm"
  "$svc" seed --db "$db" --tenants 1 --events "$n" --seed 7 > /dev/null
fi
url=$("$svc" export --db "$db" --out bench/out/live-export.json --tenant-id acme \
  --exported-at 2026-06-01T00:00:00.000000000Z | tail -n 1)
# Port 0: the service picks a free port and names it on stderr.
: > bench/out/live-serve.log
"$svc" serve --db "$db" --port 0 --secret "$secret" --rate-limit 1000000 \
  2> bench/out/live-serve.log &
server=$!
trap 'kill "$server" 2>/dev/null || true' EXIT
for _ in $(seq 200); do
  grep -q listening bench/out/live-serve.log && break
  sleep 0.05
done
api=$(grep -m1 -o 'http://[0-9.:]*' bench/out/live-serve.log)
export TRAILPROOF_TOKEN
TRAILPROOF_TOKEN=$("$svc" token --secret "$secret" --role tenant_admin --tenant-id acme)
# CPU seconds of both sides as well as wall time: on a shared machine the wall time depends on
# what else runs, the CPU seconds much less.
tick=$(getconf CLK_TCK)
server_cpu() { awk -v t="$tick" '{ printf "%.2f", ($14 + $15) / t }' "/proc/$server/stat"; }
printf '%-10s %-5s %-9s %-11s %-11s %-11s %-10s\n' \
  records run seconds records/s client_cpu_s server_cpu_s peak_RSS_MiB
for r in $(seq "$runs"); do
  s0=$(server_cpu)
  /usr/bin/time -f '%e %U %S %M' -o bench/out/time-live.txt \
    target/release/trailproof live --json --api-base "$api" "$url" > bench/out/live-report.json
  s1=$(server_cpu)
  read -r secs user sys kib < bench/out/time-live.txt
  verdict=$(grep -m1 '"verdict"' bench/out/live-report.json | tr -d ' ,')
  [ "$verdict" = '"verdict":"intact"' ] || { echo "unexpected $verdict" >&2; exit 1; }
  awk -v n="$n" -v r="$r" -v s="$secs" -v u="$user" -v y="$sys" -v a="$s0" -v b="$s1" -v k="$kib" \
    'BEGIN { printf "%-10d %-5d %-9.2f %-11.0f %-11.2f %-11.2f %-10.1f\n", n, r, s, n / s, u + y, b - a, k / 1024 }'
done
