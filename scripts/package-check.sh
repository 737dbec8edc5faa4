#!/usr/bin/env bash
# Checks the Debian package that scripts/package.sh built, as a person with a fresh machine would
# use it: lintian shows no error; unpacked into a scratch root (dpkg-deb -x, nothing installed)
# its own `trailproof selftest` passes, its `trailproof verify` gives exit 0 on the sample export
# and its database and 1 with the rewritten database, its man page renders, and its app, started
# under Xvfb through tauri-driver on the same evidence, shows those verdicts
# (ui/e2e/package.test.mjs; screenshots in ui/e2e/artifacts/package-*.png).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
target_dir=${CARGO_TARGET_DIR:-$root/target}
version=$(node -p 'require("./src-tauri/tauri.conf.json").version')
deb="$target_dir/packages/trailproof_${version}_amd64.deb"
[ -f "$deb" ] || { echo "package-check: $deb is missing: run scripts/package.sh first" >&2; exit 2; }

# shellcheck source=scripts/lib/apt.sh
source scripts/lib/apt.sh
need_apt=()
command -v lintian >/dev/null || need_apt+=(lintian)
command -v man >/dev/null || need_apt+=(man-db)
apt_install package-check ${need_apt[@]+"${need_apt[@]}"}

echo "== lintian"
# Errors fail; warnings are shown.
lintian --fail-on error "$deb"
echo "lintian: no errors"

scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
dpkg-deb -x "$deb" "$scratch"
tp="$scratch/usr/bin/trailproof"

echo "== selftest of the unpacked trailproof"
"$tp" selftest | tail -n 1
"$tp" --version

echo "== verify the samples with the unpacked trailproof"
"$tp" verify --no-progress samples/export-acme.pdf samples/audit.sqlite >/dev/null
echo "samples/export-acme.pdf samples/audit.sqlite: exit 0 (intact)"
status=0
"$tp" verify --no-progress samples/export-acme.pdf samples/audit-rewritten.sqlite >/dev/null || status=$?
[ "$status" -eq 1 ] || { echo "package-check: expected exit 1 (tampered), got $status" >&2; exit 1; }
echo "samples/export-acme.pdf samples/audit-rewritten.sqlite: exit 1 (tampered)"

echo "== man page"
MANWIDTH=80 man -l "$scratch/usr/share/man/man1/trailproof-selftest.1.gz" | sed -n 1,5p

echo "== the unpacked app under Xvfb on the samples"
[ -d ui/e2e/node_modules ] || npm --prefix ui/e2e ci --ignore-scripts --no-audit --no-fund --loglevel=error
free() { ! (exec 3<>/dev/tcp/127.0.0.1/"$1") 2>/dev/null; }
port=""
for _ in $(seq 1 50); do
  p=$((20000 + RANDOM % 20000))
  if free $p && free $((p + 1)); then
    port=$p
    break
  fi
done
[ -n "$port" ] || { echo "package-check: no free ports found" >&2; exit 2; }
export TAURI_DRIVER_PORT=$port TRAILPROOF_APP="$scratch/usr/bin/trailproof-app"
xvfb-run -a -s "-screen 0 1280x800x24 -nolisten tcp" bash -c '
  source scripts/lib/tauri-driver.sh
  cd ui/e2e && with_tauri_driver package-driver.log node --test --test-concurrency=1 package.test.mjs'
echo "package-check: the .deb lints clean, its CLI and app give the expected verdicts"
