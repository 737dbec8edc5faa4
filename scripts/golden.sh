#!/usr/bin/env bash
# Writes every output of a `trailproof` build for a fixed set of cases into one folder, so two
# builds can be compared byte for byte (`diff -r`) across a change that must not change
# behaviour: `verify` (human and --json, with its exit code), the HTML and PDF reports, the
# timeline in every format, and `inspect` of one record per case.
#
# Cases: every public vector alone, every tampered vector alone and with the export PDF, every
# dump and PDF fixture, the bundled samples, and a generated 100k-record JSON Lines dump.
#
# Usage: bash scripts/golden.sh BINARY OUT_DIR
# The binary is run as `trailproof` from the repository root, so argv and paths (which the
# reports record) are the same for every build.
set -uo pipefail
cd "$(dirname "$0")/.."
# One run at a time: reports record their own path, which is the same for every run.
exec 9>/tmp/trailproof-golden.lock
flock 9
bin=$(realpath "$1")
out=$2
mkdir -p "$out"
out=$(realpath "$out")
shim=$(mktemp -d)
# Reports record the command line, so they are written to one fixed path and moved.
fixed=/tmp/trailproof-golden
rm -rf "$fixed" && mkdir -p "$fixed"
trap 'rm -rf "$shim" "$fixed"' EXIT
ln -s "$bin" "$shim/trailproof"
export PATH="$shim:$PATH"
export TZ=UTC

# The generated dump lives at one absolute path (GOLDEN_BIG) for the same reason.
big=${GOLDEN_BIG:-/tmp/trailproof-golden-gen-100000.jsonl}
if [ ! -s "$big" ]; then
  cargo build -q -p trailproof-core --example gen_jsonl
  "${CARGO_TARGET_DIR:-target}/debug/examples/gen_jsonl" 100000 4 > "$big"
fi

cases=()
for f in tests/vectors/*.{csv,sql,sqlite,json,jsonl,pdf} tests/vectors/tampered/*.{sqlite,pdf} \
  tests/fixtures/dumps/* tests/fixtures/pdf/*.pdf tests/fixtures/service/* tests/fixtures/app/*.jsonl \
  samples/*; do
  case "$f" in *.py) continue ;; esac
  [ -f "$f" ] && cases+=("$f")
done
pdf=tests/vectors/export-acme-critical.pdf
for f in tests/vectors/tampered/*.sqlite tests/vectors/audit.sqlite; do cases+=("$f $pdf"); done
cases+=("samples/export-acme.pdf samples/audit.sqlite" "samples/export-acme.pdf samples/audit-rewritten.sqlite")
cases+=("tests/vectors/audit.sqlite tests/vectors/audit.csv tests/vectors/records.jsonl tests/vectors/export-globex-all.pdf")
cases+=("$big")

i=0
for c in "${cases[@]}"; do
  i=$((i + 1))
  name=$(printf '%03d' "$i")
  d="$out/$name"
  mkdir -p "$d"
  read -r -a files <<<"$c"
  printf '%s\n' "$c" > "$d/case.txt"
  trailproof verify --no-progress "${files[@]}" > "$d/verify.txt" 2> "$d/verify.err"
  echo "exit $?" >> "$d/verify.txt"
  trailproof verify --json --no-progress "${files[@]}" > "$d/verify.json" 2> "$d/verify-json.err"
  echo "exit $?" >> "$d/verify.json"
  if [ "$c" != "$big" ]; then
    for ext in html pdf; do
      trailproof verify --no-progress --report "$fixed/report.$ext" "${files[@]}" > "$d/report-$ext.txt" 2>&1
      echo "exit $?" >> "$d/report-$ext.txt"
      mv "$fixed/report.$ext" "$d/" 2>/dev/null
    done
  fi
  for fmt in json jsonl csv timesketch; do
    trailproof timeline --no-progress --format "$fmt" -o "$fixed/timeline.$fmt" "${files[@]}" > "$d/timeline-$fmt.txt" 2>&1
    echo "exit $?" >> "$d/timeline-$fmt.txt"
    mv "$fixed/timeline.$fmt" "$d/" 2>/dev/null
  done
  trailproof inspect "${files[0]}" --tenant acme --seq 2 > "$d/inspect.txt" 2>&1
  echo "exit $?" >> "$d/inspect.txt"
done
echo "golden: ${#cases[@]} cases written to $out"
