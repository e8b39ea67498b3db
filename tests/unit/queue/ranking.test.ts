import { describe, expect, it } from 'vitest';
import type { MetricSpec } from '../../../src/queue/primary-metric.js';
import { formatMetricValue, metricDecimals, metricLabel, missingMetricHint, rankByMetric, type Rankable, rankingMetricOf } from '../../../src/queue/ranking.js';

type Row = Rankable & { id: string };
const row = (id: string, metric: number | null, metric_name: string | null = 'score', metric_goal: Rankable['metric_goal'] = null): Row => ({
  id,
  metric,
  metric_name: metric === null && metric_name === 'score' ? null : metric_name,
  metric_goal,
});
const ids = (rows: Row[]) => rows.map((r) => r.id);

describe('rankByMetric: best first in the direction of the goal, runs without the metric last', () => {
  const MAX: MetricSpec = { name: 'score', goal: 'maximize' };
  const MIN: MetricSpec = { name: 'score', goal: 'minimize' };
  it.each<[string, Row[], MetricSpec | null, string[], string[]]>([
    ['maximize', [row('a', 0.5), row('b', 0.9), row('c', 0.7)], MAX, ['b', 'c', 'a'], []],
    ['minimize', [row('a', 0.5), row('b', 0.9), row('c', 0.7)], MIN, ['a', 'c', 'b'], []],
    ['4th-decimal difference', [row('a', 0.91234), row('b', 0.91244)], MIN, ['a', 'b'], []],
    ['equal values keep their order', [row('a', 1), row('b', 1), row('c', 2)], MAX, ['c', 'a', 'b'], []],
    ['negative values', [row('a', -3), row('b', -1)], MAX, ['b', 'a'], []],
    ['without a value: last, in order', [row('x', null), row('a', 0.2), row('y', null), row('b', 0.1)], MIN, ['b', 'a'], ['x', 'y']],
    ['another metric\'s value is not comparable', [row('a', 0.2), row('o', 0.01, 'other'), row('b', 0.1)], MIN, ['b', 'a'], ['o']],
    ['no metric at all', [row('a', 0.2)], null, [], ['a']],
  ])('%s', (_n, rows, metric, ranked, unranked) => {
    const out = rankByMetric(rows, metric);
    expect(ids(out.ranked)).toEqual(ranked);
    expect(ids(out.unranked)).toEqual(unranked);
  });
});

describe('rankingMetricOf: the chosen metric, else the one most runs report', () => {
  it.each<[string, Row[], MetricSpec | null, MetricSpec | null]>([
    ['chosen wins', [row('a', 0.9, 'accuracy')], { name: 'loss', goal: 'minimize' }, { name: 'loss', goal: 'minimize' }],
    ['the most common name', [row('a', 1, 'loss'), row('b', 2, 'loss'), row('c', 0.9, 'accuracy')], null, { name: 'loss', goal: 'minimize' }],
    ['a tie goes to the fallback order', [row('a', 1, 'loss'), row('c', 0.9, 'accuracy')], null, { name: 'accuracy', goal: 'maximize' }],
    ['the recorded goal', [row('a', 1, 'loss', 'maximize')], null, { name: 'loss', goal: 'maximize' }],
    ['none', [row('a', null)], null, null],
  ])('%s', (_n, rows, chosen, expected) => {
    expect(rankingMetricOf(rows, chosen)).toEqual(expected);
  });
});

describe('metric digits: at least 4 decimals, more only to tell values apart', () => {
  it.each<[string, number[], number, string[]]>([
    ['4 by default', [0.5, 0.91234], 4, ['0.5000', '0.9123']],
    ['the 4th decimal differs', [0.8123, 0.8124], 4, ['0.8123', '0.8124']],
    ['equal at 4 decimals: 6', [0.912341, 0.912344], 6, ['0.912341', '0.912344']],
    ['equal values need no more', [0.3, 0.3], 4, ['0.3000', '0.3000']],
    ['large values', [1234.56789, 1234.56791], 5, ['1234.56789', '1234.56791']],
  ])('%s', (_n, values, decimals, printed) => {
    expect(metricDecimals(values)).toBe(decimals);
    expect(values.map((v) => formatMetricValue(v, decimals))).toEqual(printed);
  });

  it('a tiny non-zero value is not printed as 0.0000', () => {
    expect(formatMetricValue(0.00001234, 4)).toBe('1.234e-5');
    expect(formatMetricValue(0, 4)).toBe('0.0000');
  });
});

describe('labels and hints', () => {
  it('names the metric and its direction', () => {
    expect(metricLabel({ name: 'loss', goal: 'minimize' })).toBe('loss ↓');
    expect(metricLabel({ name: 'auc', goal: 'maximize' })).toBe('auc ↑');
  });
  it('says which metrics a run without the chosen one has', () => {
    expect(missingMetricHint('r1', { name: 'loss', goal: 'minimize' }, ['accuracy', 'f1_score'])).toBe('r1 has no "loss": it reported "accuracy", "f1_score"');
    expect(missingMetricHint('r1', { name: 'loss', goal: 'minimize' }, [])).toBe('r1 has no "loss": it reported no metrics');
  });
});
