#!/usr/bin/env bash
# Proves that release builds of the CLI are reproducible: clones one commit (HEAD, or the one
# given) twice into different folders under a temporary directory, builds `trailproof` in each
# with the release profile (line tables kept) in the environment of scripts/release-env.sh, each
# with its own target folder, and compares the two binaries byte for byte, and their stripped
# forms (what the packages install). Prints both SHA-256s; exit 0 when identical, 1 when not
# (then the differing strings are shown). Uncommitted changes are not part of the builds.
#
# Usage: bash scripts/repro.sh [COMMIT]
# Takes two cold release builds of the CLI (about 2 x 6 minutes on 2 cores).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
commit=$(git rev-parse "${1:-HEAD}")
work=$(mktemp -d "${TMPDIR:-/tmp}/trailproof-repro.XXXXXX")
trap 'rm -rf "$work"' EXIT
# The builds must not share a target folder with anything (a cache would make them equal).
unset CARGO_TARGET_DIR

build() {
  local dir=$1
  git clone -q --no-checkout "$root" "$dir"
  git -C "$dir" checkout -q --detach "$commit"
  (
    cd "$dir"
    # shellcheck source=scripts/release-env.sh
    source scripts/release-env.sh
    local started
    started=$(date +%s)
    cargo build --release --locked -q -p trailproof-cli
    echo "repro: built in $dir in $(($(date +%s) - started)) s" >&2
  )
  strip --strip-all -o "$dir/trailproof.stripped" "$dir/target/release/trailproof"
}

# Different depths and names, so any path that leaks shows up as a difference.
build "$work/a"
build "$work/second/checkout"
a=$work/a
b=$work/second/checkout

status=0
for form in target/release/trailproof trailproof.stripped; do
  ha=$(sha256sum "$a/$form" | cut -d' ' -f1)
  hb=$(sha256sum "$b/$form" | cut -d' ' -f1)
  if [ "$ha" = "$hb" ]; then
    echo "repro: $(basename "$form"): identical, $(stat -c %s "$a/$form") bytes, sha256 $ha"
  else
    echo "repro: $(basename "$form"): DIFFERENT: $ha vs $hb" >&2
    diff <(strings -n 8 "$a/$form") <(strings -n 8 "$b/$form") | head -20 >&2 || true
    status=1
  fi
done
"$a/target/release/trailproof" --version | sed 's/^/repro: /'
[ "$status" -eq 0 ] && echo "repro: two builds of commit $commit in different folders are byte-identical"
exit "$status"
