#!/usr/bin/env bash
# Installs what a fresh Debian machine lacks to build and test Trailproof. Idempotent; called by
# scripts/sample.sh, scripts/test.sh and .ci/run. Needs root (or sudo) only when something is
# missing.
set -euo pipefail

need_apt=()
command -v cc >/dev/null || need_apt+=(build-essential)
command -v pkg-config >/dev/null || need_apt+=(pkg-config)
# poppler-utils and qpdf: the reference service's tests read its PDFs back with pdftotext,
# pdfdetach and qpdf, as an auditor's tools would.
command -v pdftotext >/dev/null || need_apt+=(poppler-utils)
command -v qpdf >/dev/null || need_apt+=(qpdf)
command -v sqlite3 >/dev/null || need_apt+=(sqlite3)

if [ ${#need_apt[@]} -gt 0 ]; then
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  echo "setup: installing ${need_apt[*]}" >&2
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null
fi

command -v cargo >/dev/null || { echo "setup: cargo is missing: install Rust (rustup) first" >&2; exit 2; }
