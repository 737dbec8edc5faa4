# Sourced inside an X display (xvfb-run): `with_tauri_driver LOG COMMAND...` starts tauri-driver
# on $TAURI_DRIVER_PORT (WebKitWebDriver on the port after it), logging to LOG, waits until it
# listens, runs COMMAND, and stops the driver however COMMAND ends.
with_tauri_driver() {
  local log=$1
  shift
  tauri-driver --port "$TAURI_DRIVER_PORT" --native-port $((TAURI_DRIVER_PORT + 1)) >"$log" 2>&1 &
  local driver=$!
  trap 'kill '"$driver"' 2>/dev/null' EXIT
  for _ in $(seq 1 100); do
    (exec 3<>/dev/tcp/127.0.0.1/"$TAURI_DRIVER_PORT") 2>/dev/null && break
    sleep 0.1
  done
  "$@"
}
