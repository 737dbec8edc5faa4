#!/usr/bin/env bash
# Builds the desktop app and opens it on the bundled sample evidence (a dump and the export PDF
# of the same tenant, as one case). Extra arguments replace the sample files.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/ui.sh
cargo build -p trailproof-app --locked
files=("$@")
[ ${#files[@]} -gt 0 ] || files=(samples/export-acme.pdf samples/audit.sqlite)
target="${CARGO_TARGET_DIR:-$PWD/target}"
if [ -z "${DISPLAY:-}" ] && [ -z "${WAYLAND_DISPLAY:-}" ]; then
  echo "app: no display; run it under Xvfb with: xvfb-run -a $target/debug/trailproof-app ${files[*]}" >&2
  exit 2
fi
exec "$target/debug/trailproof-app" "${files[@]}"
