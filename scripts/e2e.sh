#!/usr/bin/env bash
# End-to-end tests of the desktop app: builds the UI and the app, then drives the real binary
# under Xvfb with tauri-driver + WebKitWebDriver (ui/e2e/app.test.mjs), with the reference
# service on loopback for the live check and a throwaway gnome-keyring in a private D-Bus session
# for its "Remember in the OS keyring" (where the Secret Service test of the token store runs
# too). Screenshots of every screen land in ui/e2e/artifacts/. Called by scripts/test.sh; needs
# scripts/setup.sh first.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -n "${SKIP_UI:-}" ] || bash scripts/ui.sh
target="${CARGO_TARGET_DIR:-$PWD/target}"
cargo build -p trailproof-app -p trailproof-service --locked
export TRAILPROOF_APP="$target/debug/trailproof-app"
npm --prefix ui/e2e ci --ignore-scripts --no-audit --no-fund --loglevel=error
rm -rf ui/e2e/artifacts
# Free ports: tauri-driver and WebKitWebDriver (twice: with and without the OS keyring), and
# the reference service for the live check.
free() { ! (exec 3<>/dev/tcp/127.0.0.1/"$1") 2>/dev/null; }
port=""
for _ in $(seq 1 50); do
  p=$((20000 + RANDOM % 20000))
  if free $p && free $((p + 1)) && free $((p + 2)) && free $((p + 3)) && free $((p + 4)); then
    port=$p
    break
  fi
done
[ -n "$port" ] || { echo "e2e: no free ports found" >&2; exit 2; }
export TAURI_DRIVER_PORT=$port

# The reference service on loopback, with an export of its records whose verification URL
# points at it, and a bearer token for it.
work=$(mktemp -d)
svc_pid=""
trap '[ -z "$svc_pid" ] || kill "$svc_pid" 2>/dev/null; rm -rf "$work"' EXIT
# The app keeps its recent cases in its config folder: the tests' own, never the real user's.
export XDG_CONFIG_HOME="$work/config"
mkdir -p "$XDG_CONFIG_HOME"
svc="$target/debug/trailproof-service"
svc_port=$((port + 2))
secret="e2e-$RANDOM$RANDOM"
"$svc" seed --db "$work/store.db" --tenants 1 --events 200 >/dev/null
"$svc" export --db "$work/store.db" --out "$work/export-live.json" --tenant-id acme \
  --origin "http://127.0.0.1:$svc_port" >/dev/null
"$svc" serve --db "$work/store.db" --port "$svc_port" --secret "$secret" >ui/e2e/service.log 2>&1 &
svc_pid=$!
for _ in $(seq 1 100); do
  (exec 3<>/dev/tcp/127.0.0.1/$svc_port) 2>/dev/null && break
  sleep 0.1
done
export TRAILPROOF_E2E_LIVE_EXPORT="$work/export-live.json"
# WebDriver cannot drive a native file dialog: the app's test seam answers its save dialogs with
# this folder and its open dialogs with the paths the test lists in pick.txt there
# (src-tauri/src/commands/dialogs.rs). Reports and case files the tests save land here.
export TRAILPROOF_TEST_DIALOG_DIR="$work/dialogs"
mkdir -p "$TRAILPROOF_TEST_DIALOG_DIR"
TRAILPROOF_E2E_LIVE_TOKEN=$("$svc" token --secret "$secret" --role tenant_admin --tenant-id acme)
export TRAILPROOF_E2E_LIVE_TOKEN

# Runs the end-to-end tests (node --test options in "$@") against a fresh tauri-driver.
e2e() {
  xvfb-run -a -s "-screen 0 1280x800x24 -nolisten tcp" bash -c '
    source scripts/lib/tauri-driver.sh
    cd ui/e2e && with_tauri_driver driver.log node --test --test-concurrency=1 "$@" app.test.mjs' e2e "$@"
}

# The OS keyring (the live check's "Remember in the OS keyring"): a private D-Bus session with
# a throwaway gnome-keyring, created and unlocked here, so no one's real keyring is touched.
# There the Secret Service test of the token store runs too. Then the app runs once more with no
# session bus at all (a headless machine): remembering fails with a keyring error, and the check
# still runs. TRAILPROOF_E2E_NO_KEYRING=1 runs every test that way.
no_keyring() {
  TRAILPROOF_E2E_KEYRING=0 DBUS_SESSION_BUS_ADDRESS="unix:path=$work/no-bus" e2e "$@"
}
if [ -z "${TRAILPROOF_E2E_NO_KEYRING:-}" ] && command -v gnome-keyring-daemon >/dev/null; then
  (
    export TRAILPROOF_E2E_KEYRING=1
    export XDG_DATA_HOME="$work/data" XDG_RUNTIME_DIR="$work/run"
    mkdir -p "$XDG_DATA_HOME" && mkdir -m 700 "$XDG_RUNTIME_DIR"
    export -f e2e
    dbus-run-session -- bash -c '
      set -euo pipefail
      echo -n e2e | gnome-keyring-daemon --unlock --components=secrets >/dev/null
      cargo test -p trailproof-app --test keyring_os --locked -- --ignored
      e2e' 2> >(grep --line-buffered -v "Failed to set fd limit" >&2)
  )
  TAURI_DRIVER_PORT=$((port + 3)) no_keyring --test-name-pattern="without an OS keyring"
else
  no_keyring
fi
# The app did keep its recent cases, and in the tests' config folder.
find "$XDG_CONFIG_HOME" -name recent-cases.json | grep -q . ||
  { echo "e2e: the app kept no recent cases in $XDG_CONFIG_HOME" >&2; exit 1; }
echo "e2e: screenshots in ui/e2e/artifacts/"
