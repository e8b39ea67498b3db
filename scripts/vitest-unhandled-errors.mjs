/**
 * A vitest reporter that writes the run's unhandled errors (an exception thrown or a promise rejected
 * outside any test) to test-results/vitest-unhandled.json — or to VITEST_UNHANDLED_REPORT. Vitest fails
 * the run for them, but its JSON report leaves them out (vitest 4: `success: true`, no failed test), so
 * scripts/summarize-tests.mjs would count such a run as passed. Used by scripts/test-all.sh.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export default class UnhandledErrorsReporter {
  onInit(ctx) {
    this.file = process.env.VITEST_UNHANDLED_REPORT ?? path.join(ctx.config.root, 'test-results', 'vitest-unhandled.json');
  }

  /** `reason`: 'passed', 'failed' or 'interrupted' (then the JSON report may miss tests that never ran). */
  onTestRunEnd(_testModules, unhandledErrors, reason) {
    const errors = unhandledErrors.map((e) => ({
      type: e?.type ?? 'Error',
      message: String(e?.message ?? e),
      test_file: e?.VITEST_TEST_PATH ?? null,
      test: e?.VITEST_TEST_NAME ?? null,
    }));
    mkdirSync(path.dirname(this.file), { recursive: true });
    writeFileSync(this.file, `${JSON.stringify({ kind: 'vitest_unhandled_errors', reason, errors }, null, 2)}\n`);
  }
}
