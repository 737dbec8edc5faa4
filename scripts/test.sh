#!/usr/bin/env bash
# Runs every test of the project (after installing what a fresh machine lacks): the UI's type
# check and unit tests, every crate's tests (the app's backend among them), and the end-to-end
# tests that drive the real desktop app under Xvfb.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
# case_validate, where setup.sh installed it (unless the machine already had one).
export PATH="$PATH:$PWD/target/tools/case-utils/bin"
bash scripts/ui.sh
cargo test --workspace --all-targets --locked
SKIP_UI=1 bash scripts/e2e.sh
