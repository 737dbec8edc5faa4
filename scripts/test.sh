#!/usr/bin/env bash
# Runs every test of the project (after installing what a fresh machine lacks).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
cargo test --workspace --all-targets --locked
