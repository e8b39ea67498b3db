// Prints "N passed, N failed" summed over vitest's JSON report and pytest's JUnit XML report;
// exits 1 when a test failed, a report is missing, or no test ran.
import { readFileSync } from 'node:fs';

const [vitestFile = 'test-results/vitest.json', pytestFile = 'test-results/pytest.xml'] = process.argv.slice(2);
let passed = 0;
let failed = 0;
let skipped = 0;

try {
  const report = JSON.parse(readFileSync(vitestFile, 'utf8'));
  passed += report.numPassedTests ?? 0;
  // Test files that failed to load count as failures too.
  const brokenFiles = (report.testResults ?? []).filter((s) => s.status === 'failed' && (s.assertionResults ?? []).length === 0).length;
  failed += (report.numFailedTests ?? 0) + brokenFiles;
  skipped += (report.numPendingTests ?? 0) + (report.numTodoTests ?? 0);
} catch (err) {
  console.log(`could not read the vitest report ${vitestFile}: ${err.message}`);
  failed += 1;
}

try {
  const xml = readFileSync(pytestFile, 'utf8');
  const suite = /<testsuite\b[^>]*>/.exec(xml)?.[0] ?? '';
  const attr = (name) => Number(new RegExp(`\\b${name}="(\\d+)"`).exec(suite)?.[1] ?? 0);
  const total = attr('tests');
  const bad = attr('failures') + attr('errors');
  const skip = attr('skipped');
  passed += total - bad - skip;
  failed += bad;
  skipped += skip;
} catch (err) {
  console.log(`could not read the pytest report ${pytestFile}: ${err.message}`);
  failed += 1;
}

console.log(skipped > 0 ? `${passed} passed, ${failed} failed, ${skipped} skipped` : `${passed} passed, ${failed} failed`);
process.exit(failed > 0 || passed === 0 ? 1 : 0);
