/**
 * scripts/summarize-tests.mjs, run as test-all.sh runs it, on small reports shaped like the real ones
 * (vitest 4's JSON report and its unhandled errors as scripts/vitest-unhandled-errors.mjs writes them,
 * taken from runs of throwaway failing test files; pytest's JUnit XML): the final line
 * `N passed, N failed` counts everything that did not pass as failed, and skipped tests never as passed.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { afterEach, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../../helpers/cli.js';

const SCRIPT = path.join(REPO_ROOT, 'scripts', 'summarize-tests.mjs');
let dir = '';
afterEach(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = '';
});

/** Writes each report into a temp folder, runs the summarizer on them in that order. */
async function summarize(reports: Record<string, unknown>): Promise<{ code: number; lines: string[] }> {
  dir = mkdtempSync(path.join(os.tmpdir(), 'runforge-summary-'));
  const files = Object.entries(reports).map(([name, content]) => {
    if (content !== undefined) writeFileSync(path.join(dir, name), typeof content === 'string' ? content : JSON.stringify(content));
    return name;
  });
  const r = await execa(process.execPath, [SCRIPT, ...files], { cwd: dir, reject: false });
  return { code: r.exitCode ?? -1, lines: r.stdout.split('\n') };
}

const test = (title: string, status: string) => ({ ancestorTitles: [], fullName: title, status, title, failureMessages: [] });
const file = (name: string, status: string, assertionResults: unknown[], message = '') => ({ assertionResults, status, message, name: `/ws/tests/${name}` });
/** vitest 4's JSON report: the top-level counts as vitest computes them from the tests. */
function vitest(testResults: ReturnType<typeof file>[], success: boolean) {
  const all = testResults.flatMap((f) => f.assertionResults as { status: string }[]);
  const n = (s: string) => all.filter((t) => t.status === s).length;
  return { numTotalTests: all.length, numPassedTests: n('passed'), numFailedTests: n('failed'), numPendingTests: n('skipped'), numTodoTests: n('todo'), success, testResults };
}
const noUnhandled = { kind: 'vitest_unhandled_errors', reason: 'passed', errors: [] };
const PYTEST_OK = `<?xml version="1.0" encoding="utf-8"?><testsuites><testsuite name="pytest" errors="0" failures="0" skipped="0" tests="2" time="0.1"><testcase classname="tests.test_a" name="test_one" time="0.001" /><testcase classname="tests.test_a" name="test_two" time="0.001" /></testsuite></testsuites>`;
const okVitest = vitest([file('a.test.ts', 'passed', [test('one', 'passed'), test('two', 'passed'), test('three', 'passed')])], true);

describe('summarize-tests.mjs', () => {
  it('all green: one line per report, then N passed, N failed; exit 0', async () => {
    const r = await summarize({ 'vitest.json': okVitest, 'vitest-unhandled.json': noUnhandled, 'pytest.xml': PYTEST_OK, 'gauntlets.json': { passed: 10, failed: 0 } });
    expect(r).toEqual({
      code: 0,
      lines: ['vitest.json: 3 passed, 0 failed', 'vitest-unhandled.json: 0 passed, 0 failed', 'pytest.xml: 2 passed, 0 failed', 'gauntlets.json: 10 passed, 0 failed', '15 passed, 0 failed'],
    });
  });

  it('a failing beforeAll/afterAll fails its file even when no test failed (its tests are skipped or passed)', async () => {
    const report = vitest([file('hook.test.ts', 'failed', [test('a', 'skipped'), test('b', 'skipped'), test('c', 'passed')]), file('ok.test.ts', 'passed', [test('ok', 'passed')])], false);
    const r = await summarize({ 'vitest.json': report, 'vitest-unhandled.json': noUnhandled });
    expect(r.code).toBe(1);
    expect(r.lines).toEqual([
      'vitest.json: 2 passed, 1 failed, 2 skipped',
      '  FAILED /ws/tests/hook.test.ts: failed outside its tests (a beforeAll/afterAll hook)',
      'vitest-unhandled.json: 0 passed, 0 failed',
      '2 skipped (not counted as passed)',
      '2 passed, 1 failed',
    ]);
  });

  it('an unhandled error fails the run though vitest’s JSON report says success', async () => {
    const unhandled = { kind: 'vitest_unhandled_errors', reason: 'passed', errors: [{ type: 'Uncaught Exception', message: 'late uncaught\n    at x', test_file: '/ws/tests/a.test.ts', test: 'two' }] };
    const r = await summarize({ 'vitest.json': okVitest, 'vitest-unhandled.json': unhandled });
    expect(r.code).toBe(1);
    expect(r.lines.slice(1)).toEqual([
      'vitest-unhandled.json: 0 passed, 1 failed',
      '  FAILED unhandled Uncaught Exception: late uncaught (while /ws/tests/a.test.ts ran, test "two")',
      '3 passed, 1 failed',
    ]);
  });

  it('a test file that failed to load is a failure, with its message', async () => {
    const report = vitest([file('load.test.ts', 'failed', [], "Cannot find module './gone.js' imported from /ws/tests/load.test.ts"), file('a.test.ts', 'passed', [test('one', 'passed')])], false);
    const r = await summarize({ 'vitest.json': report });
    expect(r).toEqual({
      code: 1,
      lines: ['vitest.json: 1 passed, 1 failed', "  FAILED /ws/tests/load.test.ts: Cannot find module './gone.js' imported from /ws/tests/load.test.ts", '1 passed, 1 failed'],
    });
  });

  it('a skipped pytest is reported as skipped, never as passed; failures and errors are failed', async () => {
    const xml = `<?xml version="1.0" encoding="utf-8"?><testsuites><testsuite name="pytest" errors="1" failures="1" skipped="2" tests="5" time="0.110"><testcase classname="t" name="test_ok" time="0.001" /><testcase classname="t" name="test_fail" time="0.001"><failure message="assert 0">E   assert 0</failure></testcase><testcase classname="t" name="test_skip" time="0.008"><skipped type="pytest.skip" message="no GPU">t.py:4: no GPU</skipped></testcase><testcase classname="t" name="test_xfail" time="0.001"><skipped type="pytest.xfail" message="" /></testcase><testcase classname="t" name="test_err" time="0.001"><error message="failed on setup with &quot;RuntimeError: fixture&quot;">E   RuntimeError</error></testcase></testsuite></testsuites>`;
    const r = await summarize({ 'pytest.xml': xml });
    expect(r).toEqual({
      code: 1,
      lines: ['pytest.xml: 1 passed, 2 failed, 2 skipped', '  FAILED test_fail: assert 0', '  FAILED test_err: failed on setup with "RuntimeError: fixture"', '2 skipped (not counted as passed)', '1 passed, 2 failed'],
    });
    const onlySkipped = await summarize({
      'pytest.xml': `<testsuites><testsuite name="pytest" errors="0" failures="0" skipped="1" tests="1"><testcase classname="t" name="test_s" time="0"><skipped type="pytest.skip" message="x">x</skipped></testcase></testsuite></testsuites>`,
    });
    expect(onlySkipped).toEqual({ code: 1, lines: ['pytest.xml: 0 passed, 0 failed, 1 skipped', '1 skipped (not counted as passed)', '0 passed, 0 failed'] });
  });

  it('no tests: a report in which nothing ran, a missing report, or no report at all exits 1', async () => {
    const empty = await summarize({ 'vitest.json': vitest([], false), 'pytest.xml': PYTEST_OK });
    expect(empty).toEqual({ code: 1, lines: ['vitest.json: 0 passed, 1 failed', '  FAILED no test ran', 'pytest.xml: 2 passed, 0 failed', '2 passed, 1 failed'] });
    const missing = await summarize({ 'pytest.xml': PYTEST_OK, 'vitest-unhandled.json': undefined });
    expect(missing.code).toBe(1);
    expect(missing.lines.slice(1)).toEqual([
      'vitest-unhandled.json: 0 passed, 1 failed',
      "  FAILED missing test report: ENOENT: no such file or directory, open 'vitest-unhandled.json'",
      '2 passed, 1 failed',
    ]);
    expect(await summarize({})).toEqual({ code: 1, lines: ['0 passed, 0 failed'] });
  });

  it('an interrupted vitest run is a failure', async () => {
    const r = await summarize({ 'vitest.json': okVitest, 'vitest-unhandled.json': { ...noUnhandled, reason: 'interrupted' } });
    expect(r).toEqual({ code: 1, lines: ['vitest.json: 3 passed, 0 failed', 'vitest-unhandled.json: 0 passed, 1 failed', '  FAILED the vitest run was interrupted', '3 passed, 1 failed'] });
  });
});
