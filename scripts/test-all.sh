#!/usr/bin/env bash
# The whole test suite: lint, type check, build, every vitest test (unit + integration with real
# processes). Ends with the line "N passed, N failed" taken from vitest's JSON report.
set -uo pipefail
cd "$(dirname "$0")/.."

npm run --silent lint || exit 1
npm run --silent typecheck || exit 1
npm run --silent build || exit 1

mkdir -p test-results
RUNFORGE_SKIP_BUILD=1 npx vitest run --reporter=default --reporter=json --outputFile.json=test-results/vitest.json "$@"
vitest_status=$?

node scripts/summarize-tests.mjs test-results/vitest.json
summary_status=$?
if [[ $vitest_status -ne 0 || $summary_status -ne 0 ]]; then exit 1; fi
