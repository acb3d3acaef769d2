#!/usr/bin/env bash
# The whole test suite, from a fresh clone: installs what is missing (node modules, the Docker
# engine, sshd, test images), then checks types, generated types, lint, format, and runs every
# test. Ends with a plain "N passed, N failed" line.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n== %s\n' "$*"; }

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  step "npm ci"
  npm ci --no-audit --no-fund
fi
[ -f dist/src/cli/main.js ] || { step "build"; npm run -s build; }

step "test hosts (Docker engine, sshd, images)"
bash scripts/test-hosts.sh

step "generated types are up to date"
npm run -s check:types
step "typecheck"
npx tsc -p tsconfig.json --noEmit
step "lint (with the layers' dependency rules)"
npx eslint --max-warnings 0 .
step "no import cycles"
npm run -s check:deps
step "format"
npx prettier --check . >/dev/null || { npx prettier --check . ; exit 1; }

step "build"
npm run -s build

step "tests"
results=$(mktemp)
status=0
npx vitest run --reporter=default --reporter=json --outputFile="$results" || status=$?
node -e '
  const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
  const skipped = r.numPendingTests + r.numTodoTests;
  console.log(`${r.numPassedTests} passed, ${r.numFailedTests} failed` + (skipped ? `, ${skipped} skipped` : ""));
' "$results" || echo "0 passed, 1 failed"
rm -f "$results"
exit "$status"
