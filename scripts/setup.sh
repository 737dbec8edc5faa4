#!/usr/bin/env bash
# Installs what a fresh Debian machine lacks to build and test Trailproof. Idempotent; called by
# scripts/sample.sh, scripts/test.sh and .ci/run. Needs root (or sudo) only when something is
# missing.
set -euo pipefail
# shellcheck source=scripts/lib/apt.sh
source "$(dirname "$0")/lib/apt.sh"

need_apt=()
command -v cc >/dev/null || need_apt+=(build-essential)
command -v pkg-config >/dev/null || need_apt+=(pkg-config)
# poppler-utils and qpdf: the reference service's tests read its PDFs back with pdftotext,
# pdfdetach and qpdf, as an auditor's tools would.
command -v pdftotext >/dev/null || need_apt+=(poppler-utils)
command -v qpdf >/dev/null || need_apt+=(qpdf)
command -v sqlite3 >/dev/null || need_apt+=(sqlite3)
# The desktop app: WebKitGTK to build and run it, Xvfb to run it headless, WebKitWebDriver for
# its end-to-end tests, Node.js and npm for its UI.
pkg-config --exists webkit2gtk-4.1 2>/dev/null || need_apt+=(libwebkit2gtk-4.1-dev)
command -v xvfb-run >/dev/null || need_apt+=(xvfb)
command -v xauth >/dev/null || need_apt+=(xauth)
command -v WebKitWebDriver >/dev/null || need_apt+=(webkit2gtk-driver)
# The app's "Remember in the OS keyring" (keyring crate, Secret Service over libdbus): the libdbus
# headers to build it; a private D-Bus session and gnome-keyring to test it headless (e2e.sh).
pkg-config --exists dbus-1 2>/dev/null || need_apt+=(libdbus-1-dev)
command -v dbus-run-session >/dev/null || need_apt+=(dbus-daemon)
command -v gnome-keyring-daemon >/dev/null || need_apt+=(gnome-keyring)
command -v node >/dev/null || need_apt+=(nodejs)
command -v npm >/dev/null || need_apt+=(npm)

apt_install setup ${need_apt[@]+"${need_apt[@]}"}

command -v cargo >/dev/null || { echo "setup: cargo is missing: install Rust (rustup) first" >&2; exit 2; }

# The UI's toolchain (Vite 8) needs Node.js 20.19 or newer; Debian 12's own nodejs is older.
node_ok=$(node -e 'const [a,b]=process.versions.node.split(".").map(Number); console.log(a>20||(a===20&&b>=19)?1:0)')
if [ "$node_ok" != 1 ]; then
  echo "setup: Node.js $(node --version) is too old for the UI build: install Node.js 20.19+ (e.g. from NodeSource) first" >&2
  exit 2
fi

# case_validate (case-utils, which ships the CASE/UCO ontology: no network when it runs) checks
# the CASE/UCO bundles `trailproof case export --format case-uco` writes, in the CLI tests. It goes
# into a virtual environment inside the repo (target/tools/case-utils): Debian's own python3 is
# "externally managed" and refuses a plain `pip install`. scripts/test.sh puts its bin/ on PATH.
venv=target/tools/case-utils
if ! command -v case_validate >/dev/null && [ ! -x "$venv/bin/case_validate" ]; then
  if ! command -v python3 >/dev/null || ! python3 -c 'import ensurepip, venv' 2>/dev/null; then
    apt_install setup python3 python3-venv
  fi
  echo "setup: installing case-utils (case_validate) into $venv" >&2
  rm -rf "$venv"
  python3 -m venv "$venv"
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check case-utils==0.18.0
fi

# tauri-driver bridges WebDriver to the app for the end-to-end tests.
if ! command -v tauri-driver >/dev/null; then
  echo "setup: installing tauri-driver" >&2
  cargo install tauri-driver --version "^2" --locked --quiet
fi
