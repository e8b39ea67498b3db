/**
 * Timestamps. The original tool wrote naive local time with microseconds
 * (`2026-02-01T21:20:47.503673`); the port reads that and writes ISO-8601 with an explicit offset.
 * Ordering always uses parsed instants, never string comparison.
 */

const TIMESTAMP =
  /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?(Z|[+-]\d{2}(?::?\d{2})?)?$/i;

/**
 * Instants of timestamps parsed lately: the scheduler orders every queued job on every pass. Naive
 * ones are not remembered: they mean another instant once the process's time zone changes
 * (`process.env.TZ` can be set at run time). The port writes offsets, so only the original's pay.
 */
const parsed = new Map<string, number | undefined>();

/** Parses an ISO-8601 timestamp (naive = local time). Returns epoch ms, or `undefined` if invalid. */
export function parseTimestamp(text: string): number | undefined {
  if (parsed.has(text)) return parsed.get(text);
  if (parsed.size >= 50_000) parsed.clear();
  const { instant, naive } = parseTimestampUncached(text);
  if (!naive) parsed.set(text, instant);
  return instant;
}

function parseTimestampUncached(text: string): { instant: number | undefined; naive: boolean } {
  const m = TIMESTAMP.exec(text.trim());
  if (!m) return { instant: undefined, naive: false };
  return { instant: instantOf(m), naive: m[8] === undefined };
}

function instantOf(m: RegExpExecArray): number | undefined {
  const [, y, mo, d, h, mi, s = '0', frac = '', zone] = m;
  const year = Number(y);
  const month = Number(mo);
  const day = Number(d);
  const hour = Number(h);
  const minute = Number(mi);
  const second = Number(s);
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60) {
    return undefined;
  }
  const ms = frac === '' ? 0 : Math.floor(Number(`0.${frac}`) * 1000);
  let instant: number;
  if (zone === undefined) {
    instant = new Date(year, month - 1, day, hour, minute, second, ms).getTime();
    if (new Date(instant).getDate() !== day) return undefined; // e.g. Feb 31
  } else {
    instant = Date.UTC(year, month - 1, day, hour, minute, second, ms);
    if (new Date(instant).getUTCDate() !== day) return undefined;
    if (zone.toUpperCase() !== 'Z') {
      const sign = zone.startsWith('-') ? -1 : 1;
      const digits = zone.slice(1).replace(':', '');
      const offsetMin = Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2, 4) || '0');
      instant -= sign * offsetMin * 60_000;
    }
  }
  return Number.isFinite(instant) ? instant : undefined;
}

const pad = (n: number, width = 2): string => String(n).padStart(width, '0');

/** Local time with milliseconds and an explicit offset: `2026-02-01T21:20:47.503+01:00`. */
export function formatTimestamp(ms: number): string {
  const d = new Date(ms);
  const offsetMin = -d.getTimezoneOffset();
  const sign = offsetMin >= 0 ? '+' : '-';
  const abs = Math.abs(offsetMin);
  return (
    `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}` +
    `T${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}` +
    `${sign}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`
  );
}

/** UTC to the second, as result.json wants it: `2026-02-01T20:20:47Z`. */
export function formatUtcSeconds(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** `YYYYmmdd_HHMMSS` in local time, the prefix the original used in ids. */
export function formatIdStamp(ms: number): string {
  const d = new Date(ms);
  return (
    `${d.getFullYear()}${pad(d.getMonth() + 1)}${pad(d.getDate())}` +
    `_${pad(d.getHours())}${pad(d.getMinutes())}${pad(d.getSeconds())}`
  );
}
