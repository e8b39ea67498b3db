// Prints "N passed, N failed" summed over the reports given: vitest's JSON report, pytest's JUnit XML,
// and {passed, failed} JSON (gauntlets, chaos). Exits 1 when a test failed, a report is missing, or
// nothing ran.
import { readFileSync } from 'node:fs';

const files = process.argv.slice(2);
let passed = 0;
let failed = 0;
let skipped = 0;

for (const file of files) {
  let text;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    console.log(`missing test report ${file}: ${err.message}`);
    failed += 1;
    continue;
  }
  if (file.endsWith('.xml')) {
    const suite = /<testsuite\b[^>]*>/.exec(text)?.[0] ?? '';
    const attr = (name) => Number(new RegExp(`\\b${name}="(\\d+)"`).exec(suite)?.[1] ?? 0);
    const bad = attr('failures') + attr('errors');
    passed += attr('tests') - bad - attr('skipped');
    failed += bad;
    skipped += attr('skipped');
    continue;
  }
  const report = JSON.parse(text);
  if ('numPassedTests' in report) {
    passed += report.numPassedTests;
    // Test files that failed to load count as failures too.
    const brokenFiles = (report.testResults ?? []).filter((s) => s.status === 'failed' && (s.assertionResults ?? []).length === 0).length;
    failed += (report.numFailedTests ?? 0) + brokenFiles;
    skipped += (report.numPendingTests ?? 0) + (report.numTodoTests ?? 0);
  } else {
    passed += report.passed ?? 0;
    failed += report.failed ?? 0;
  }
}

console.log(skipped > 0 ? `${passed} passed, ${failed} failed, ${skipped} skipped` : `${passed} passed, ${failed} failed`);
process.exit(failed > 0 || passed === 0 ? 1 : 0);
