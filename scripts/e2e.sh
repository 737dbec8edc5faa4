#!/usr/bin/env bash
# End-to-end tests of the desktop app: builds the UI and the app, then drives the real binary
# under Xvfb with tauri-driver + WebKitWebDriver (ui/e2e/app.test.mjs). Screenshots of every
# screen land in ui/e2e/artifacts/. Called by scripts/test.sh; needs scripts/setup.sh first.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -n "${SKIP_UI:-}" ] || bash scripts/ui.sh
target="${CARGO_TARGET_DIR:-$PWD/target}"
cargo build -p trailproof-app --locked
export TRAILPROOF_APP="$target/debug/trailproof-app"
npm --prefix ui/e2e ci --ignore-scripts --no-audit --no-fund --loglevel=error
rm -rf ui/e2e/artifacts
# A free port pair for tauri-driver and WebKitWebDriver.
port=""
for _ in $(seq 1 50); do
  p=$((20000 + RANDOM % 20000))
  if ! (exec 3<>/dev/tcp/127.0.0.1/$p) 2>/dev/null && ! (exec 3<>/dev/tcp/127.0.0.1/$((p + 1))) 2>/dev/null; then
    port=$p
    break
  fi
done
[ -n "$port" ] || { echo "e2e: no free port pair found" >&2; exit 2; }
export TAURI_DRIVER_PORT=$port
xvfb-run -a -s "-screen 0 1280x800x24 -nolisten tcp" bash -c '
  tauri-driver --port "$TAURI_DRIVER_PORT" --native-port $((TAURI_DRIVER_PORT + 1)) >ui/e2e/driver.log 2>&1 &
  driver=$!
  trap "kill $driver 2>/dev/null" EXIT
  for _ in $(seq 1 100); do
    (exec 3<>/dev/tcp/127.0.0.1/$TAURI_DRIVER_PORT) 2>/dev/null && break
    sleep 0.1
  done
  cd ui/e2e && node --test --test-concurrency=1 app.test.mjs'
echo "e2e: screenshots in ui/e2e/artifacts/"
