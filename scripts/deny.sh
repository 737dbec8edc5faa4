#!/usr/bin/env bash
# Checks the dependency tree against deny.toml: licenses, banned or wildcard dependencies, and
# sources (crates.io only). Installs cargo-deny when missing. Advisories are skipped: they need
# the RustSec database from the network (see deny.toml).
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v cargo-deny >/dev/null; then
  echo "deny: installing cargo-deny" >&2
  cargo install cargo-deny --version "^0.18" --locked --quiet
fi
cargo deny --locked check licenses bans sources
