import { describe, expect, it } from 'vitest';
import { formatIdStamp, formatTimestamp, formatUtcSeconds, parseTimestamp } from '../../../src/infra/time.js';

describe('timestamps', () => {
  it('reads the original naive local time with microseconds', () => {
    const ms = parseTimestamp('2026-02-01T21:20:47.503673');
    expect(ms).toBe(new Date(2026, 1, 1, 21, 20, 47, 503).getTime());
  });

  it.each([
    ['2026-02-01T21:20:47Z', Date.UTC(2026, 1, 1, 21, 20, 47)],
    ['2026-02-01T21:20:47.5+01:00', Date.UTC(2026, 1, 1, 20, 20, 47, 500)],
    ['2026-02-01T21:20:47-0230', Date.UTC(2026, 1, 1, 23, 50, 47)],
    ['2026-02-01 21:20:47+00:00', Date.UTC(2026, 1, 1, 21, 20, 47)],
  ])('parses %s', (text, expected) => {
    expect(parseTimestamp(text)).toBe(expected);
  });

  it.each(['', 'yesterday', '2026-02-30T00:00:00Z', '2026-13-01T00:00:00', '2026-02-01', '2026-02-01T25:00:00'])(
    'rejects %j',
    (text) => {
      expect(parseTimestamp(text)).toBeUndefined();
    },
  );

  it('orders by instant, not by string', () => {
    // Lexically "21:20+01:00" > "20:30Z", but it is the earlier instant.
    expect(parseTimestamp('2026-02-01T21:20:00+01:00')!).toBeLessThan(parseTimestamp('2026-02-01T20:30:00Z')!);
  });

  it('writes an explicit offset that reads back to the same instant', () => {
    const ms = Date.UTC(2026, 1, 1, 21, 20, 47, 503);
    const text = formatTimestamp(ms);
    expect(text).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}[+-]\d{2}:\d{2}$/);
    expect(parseTimestamp(text)).toBe(ms);
  });

  it('formats result.json times as UTC seconds and id stamps', () => {
    expect(formatUtcSeconds(Date.UTC(2026, 1, 1, 21, 20, 47, 503))).toBe('2026-02-01T21:20:47Z');
    expect(formatIdStamp(new Date(2026, 1, 1, 21, 20, 47).getTime())).toBe('20260201_212047');
  });
});
