// Sums test reports: one line per report, then the final line "N passed, N failed". Reports: vitest's
// JSON report; the unhandled errors of a vitest run (scripts/vitest-unhandled-errors.mjs, because
// vitest's JSON report leaves them out); pytest's JUnit XML; {passed, failed} JSON (gauntlets, chaos).
// A failure is anything that did not pass: a failed test, a test file that failed outside its tests (a
// failing beforeAll/afterAll, a file that did not load), an unhandled error, an interrupted run, a
// missing or unreadable report, a report in which no test ran. Skipped tests are counted apart, never
// as passed. Exits 1 when anything failed or nothing passed.
import { readFileSync } from 'node:fs';

/**
 * `holdsTests`: false for a report of errors only (unhandled errors), which may rightly count nothing.
 * @typedef {{ passed: number, failed: number, skipped: number, problems: string[], holdsTests: boolean }} Counts
 */

const counts = () => ({ passed: 0, failed: 0, skipped: 0, problems: [], holdsTests: true });
const firstLine = (text) => String(text ?? '').trim().split('\n')[0];
const XML_ENTITIES = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };
const xmlText = (text) => text.replace(/&(amp|lt|gt|quot|apos);/g, (_, name) => XML_ENTITIES[name]);

/** vitest's JSON report (vitest 4: a file's `status` is "failed" also when only a hook failed). */
function vitestCounts(report) {
  const c = counts();
  c.passed = report.numPassedTests ?? 0;
  c.failed = report.numFailedTests ?? 0;
  c.skipped = (report.numPendingTests ?? 0) + (report.numTodoTests ?? 0);
  for (const file of report.testResults ?? []) {
    if (file.status !== 'failed' || (file.assertionResults ?? []).some((a) => a.status === 'failed')) continue;
    c.failed += 1;
    c.problems.push(`${file.name}: ${firstLine(file.message) || 'failed outside its tests (a beforeAll/afterAll hook)'}`);
  }
  // Left for "no test ran" below when nothing ran at all.
  if (report.success === false && c.failed === 0 && c.passed + c.skipped > 0) {
    c.failed += 1;
    c.problems.push('vitest reports the run as failed');
  }
  return c;
}

function unhandledCounts(report) {
  const c = { ...counts(), holdsTests: false };
  for (const e of report.errors ?? []) {
    c.failed += 1;
    c.problems.push(`unhandled ${e.type}: ${firstLine(e.message)}${e.test_file ? ` (while ${e.test_file} ran${e.test ? `, test "${e.test}"` : ''})` : ''}`);
  }
  if (report.reason === 'interrupted') {
    c.failed += 1;
    c.problems.push('the vitest run was interrupted');
  }
  return c;
}

/** JUnit XML (pytest): each <testcase> by what it holds — <failure>/<error>, <skipped>, or nothing. */
function junitCounts(xml) {
  const c = counts();
  for (const m of xml.matchAll(/<testcase\b([^>]*?)(?:\/>|>([\s\S]*?)<\/testcase>)/g)) {
    const body = m[2] ?? '';
    const name = /\bname="([^"]*)"/.exec(m[1])?.[1] ?? '?';
    if (/<(failure|error)\b/.test(body)) {
      c.failed += 1;
      c.problems.push(`${xmlText(name)}: ${xmlText(/<(?:failure|error)\b[^>]*\bmessage="([^"]*)"/.exec(body)?.[1] ?? 'failed')}`);
    } else if (/<skipped\b/.test(body)) c.skipped += 1;
    else c.passed += 1;
  }
  return c;
}

/** @returns {Counts} */
function reportCounts(file) {
  let text;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    return { ...counts(), failed: 1, problems: [`missing test report: ${err.message}`] };
  }
  try {
    if (file.endsWith('.xml')) return junitCounts(text);
    const report = JSON.parse(text);
    if (report.kind === 'vitest_unhandled_errors') return unhandledCounts(report);
    if ('numPassedTests' in report) return vitestCounts(report);
    return { ...counts(), passed: report.passed ?? 0, failed: report.failed ?? 0 };
  } catch (err) {
    return { ...counts(), failed: 1, problems: [`unreadable test report: ${err.message}`] };
  }
}

const total = counts();
for (const file of process.argv.slice(2)) {
  const c = reportCounts(file);
  if (c.holdsTests && c.passed + c.failed + c.skipped === 0) {
    c.failed = 1;
    c.problems.push('no test ran');
  }
  console.log(`${file}: ${c.passed} passed, ${c.failed} failed${c.skipped ? `, ${c.skipped} skipped` : ''}`);
  for (const p of c.problems) console.log(`  FAILED ${p}`);
  total.passed += c.passed;
  total.failed += c.failed;
  total.skipped += c.skipped;
}
if (total.skipped > 0) console.log(`${total.skipped} skipped (not counted as passed)`);
console.log(`${total.passed} passed, ${total.failed} failed`);
process.exit(total.failed > 0 || total.passed === 0 ? 1 : 0);
