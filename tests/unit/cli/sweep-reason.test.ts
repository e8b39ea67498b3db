import { describe, expect, it } from 'vitest';
import { failureReasonLine } from '../../../src/cli/commands/sweep.js';

const failed = (message: string) => ({ version: 1 as const, status: 'failed' as const, duration_ms: 5, error: { message, type: 'X' } });

describe('the reason line after a direct sweep run failed', () => {
  it('is the error message on one line', () => {
    expect(failureReasonLine('g-run-002', failed('Command exited with code 3'))).toBe('  g-run-002 failed: Command exited with code 3');
    expect(failureReasonLine('g-run-002', failed('line one\n  line two\r\n'))).toBe('  g-run-002 failed: line one line two');
  });

  it('is cut at 200 characters, marked with ...', () => {
    const line = failureReasonLine('r', failed('x'.repeat(500)));
    expect(line).toBe(`  r failed: ${'x'.repeat(197)}...`);
    expect(failureReasonLine('r', failed('y'.repeat(200)))).toBe(`  r failed: ${'y'.repeat(200)}`);
  });

  it('names runner.log when the run left no result.json', () => {
    expect(failureReasonLine('r', undefined)).toBe('  r failed: it ended without a result.json (see .ml/runs/r/runner.log)');
  });
});
