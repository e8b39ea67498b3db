#!/usr/bin/env bash
# The whole test suite: lint, type check, build, the Python trainer's tests (pytest), every vitest test
# (unit + integration with real processes, real training and a real browser), the gauntlets G1-G10 and
# the chaos suite. Ends with the line "N passed, N failed" summed over all of their reports.
set -uo pipefail
cd "$(dirname "$0")/.."

npm run --silent lint || exit 1
npm run --silent typecheck || exit 1
npm run --silent build || exit 1

mkdir -p test-results
rm -f test-results/pytest.xml test-results/vitest.json test-results/vitest-unhandled.json test-results/gauntlets.json test-results/chaos.json

# The trainer's Python: RUNFORGE_PYTHON, else Debian's python3 (where the apt packages are), else python3.
py="${RUNFORGE_PYTHON:-}"
if [[ -z $py ]]; then
  for candidate in /usr/bin/python3 python3; do
    if "$candidate" -c 'import sklearn, pandas, pytest' >/dev/null 2>&1; then py=$candidate; break; fi
  done
fi
if [[ -n $py ]]; then
  (cd python && "$py" -m pytest -q -p no:cacheprovider --junitxml=../test-results/pytest.xml tests)
  pytest_status=$?
else
  echo "No Python with scikit-learn, pandas and pytest: run bash scripts/install-system-deps.sh"
  pytest_status=1
fi

# vitest's JSON report leaves out unhandled errors; scripts/vitest-unhandled-errors.mjs writes them.
RUNFORGE_SKIP_BUILD=1 npx vitest run --reporter=default --reporter=json --outputFile.json=test-results/vitest.json \
  --reporter=./scripts/vitest-unhandled-errors.mjs "$@"
vitest_status=$?

npx tsx gauntlets/run.ts
gauntlets_status=$?
npx tsx gauntlets/chaos.ts
chaos_status=$?

node scripts/summarize-tests.mjs test-results/vitest.json test-results/vitest-unhandled.json test-results/pytest.xml \
  test-results/gauntlets.json test-results/chaos.json
summary_status=$?
if [[ $vitest_status -ne 0 || $pytest_status -ne 0 || $gauntlets_status -ne 0 || $chaos_status -ne 0 || $summary_status -ne 0 ]]; then exit 1; fi
