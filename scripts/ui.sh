#!/usr/bin/env bash
# Installs the UI's npm packages (from the lock file), type-checks it, runs its unit tests
# (vitest) and builds ui/dist, which the app embeds at compile time.
set -euo pipefail
cd "$(dirname "$0")/../ui"
[ -d node_modules ] && [ node_modules/.package-lock.json -nt package-lock.json ] ||
  npm ci --no-audit --no-fund --loglevel=error
npm run --silent check
npm run --silent test
npm run --silent build >/dev/null
