import { describe, expect, it } from 'vitest';
import { ambiguousMessage, type IdCandidate, resolveId, shortIds, shortRunIds } from '../../../src/queue/id-prefix.js';

const G1 = 'grp_20261203_165523_a1b2c3d4e5f6';
const G2 = 'grp_20261203_165523_a9ffffffffff';
const G3 = 'grp_20261204_090000_0123456789ab';
const groups: IdCandidate[] = [
  { id: G1, createdAtMs: 1000 },
  { id: G2, createdAtMs: 1000 },
  { id: G3, createdAtMs: 500 }, // created first although its stamp is later: `latest` goes by created_at
];
const runs: IdCandidate[] = [
  { id: 'exp', createdAtMs: 1 },
  { id: 'exp-2', createdAtMs: 2 },
  { id: `${G1}-run-001` },
  { id: `${G1}-run-002` },
  { id: `${G2}-run-001` },
  { id: 'latest-ideas', createdAtMs: 3 },
];

describe('resolveId', () => {
  it.each([
    ['exact id', G1, groups, { kind: 'exact', id: G1 }],
    ['unique prefix', 'grp_20261204', groups, { kind: 'prefix', id: G3 }],
    ['unique prefix into the random part', 'grp_20261203_165523_a1', groups, { kind: 'prefix', id: G1 }],
    ['ambiguous prefix', 'grp_20261203', groups, { kind: 'ambiguous', candidates: [G1, G2] }],
    ['unknown', 'grp_1999', groups, { kind: 'unknown', id: 'grp_1999' }],
    ['empty', '', groups, { kind: 'unknown', id: '' }],
    ['latest: newest created_at, ties by the greatest id', 'latest', groups, { kind: 'latest', id: G2 }],
    ['latest with nothing there', 'latest', [], { kind: 'unknown', id: 'latest' }],
    ['exact wins over a longer id', 'exp', runs, { kind: 'exact', id: 'exp' }],
    ['exp- prefix', 'exp-', runs, { kind: 'prefix', id: 'exp-2' }],
    ['short sweep run form', 'grp_20261203_165523_a1-run-002', runs, { kind: 'prefix', id: `${G1}-run-002` }],
    ['short sweep run form, ambiguous group part', 'grp_20261203-run-001', runs, { kind: 'ambiguous', candidates: [`${G1}-run-001`, `${G2}-run-001`] }],
    // Only the group part is a prefix in the short form: `-run-00` is not a short `-run-001`.
    ['run suffix must match exactly', 'grp_20261203_165523_a1-run-00', runs, { kind: 'unknown', id: 'grp_20261203_165523_a1-run-00' }],
    ['a plain prefix of a sweep run still works', `${G1}-run-00`, runs, { kind: 'ambiguous', candidates: [`${G1}-run-001`, `${G1}-run-002`] }],
    ['latest is a word, not a prefix of latest-ideas', 'latest', runs, { kind: 'latest', id: 'latest-ideas' }],
    ['a run literally named latest is exact', 'latest', [...runs, { id: 'latest', createdAtMs: 0 }], { kind: 'exact', id: 'latest' }],
  ])('%s', (_name, typed, candidates, expected) => {
    expect(resolveId(typed, candidates)).toEqual(expected);
  });
});

describe('ambiguousMessage', () => {
  it.each([
    [['a', 'b'], "group id 'x' is ambiguous: a, b"],
    [['a', 'b', 'c'], "group id 'x' is ambiguous: a, b, c"],
    [['a', 'b', 'c', 'd', 'e'], "group id 'x' is ambiguous: a, b, c (2 more)"],
  ])('%j', (candidates, line) => {
    expect(ambiguousMessage('group id', 'x', candidates)).toBe(line);
  });
});

describe('shortIds', () => {
  it.each([
    ['one id: 7 characters', [G1], { [G1]: 'grp_202' }],
    ['different days', [G1, G3], { [G1]: 'grp_20261203', [G3]: 'grp_20261204' }],
    ['same second: into the random part', [G1, G2, G3], { [G1]: 'grp_20261203_165523_a1', [G2]: 'grp_20261203_165523_a9', [G3]: 'grp_20261204' }],
    ['names users chose are kept whole', ['baseline', 'baseline-2'], { baseline: 'baseline', 'baseline-2': 'baseline-2' }],
    ['job ids', ['job_20261203_165523_aaaaaaaaaaaa', 'job_20261203_165524_bbbbbbbbbbbb'], {
      job_20261203_165523_aaaaaaaaaaaa: 'job_20261203_165523',
      job_20261203_165524_bbbbbbbbbbbb: 'job_20261203_165524',
    }],
  ])('%s', (_name, ids, expected) => {
    expect(Object.fromEntries(shortIds(ids))).toEqual(expected);
  });

  it('every short id resolves back to its id', () => {
    const ids = [G1, G2, G3];
    for (const [id, short] of shortIds(ids)) expect(resolveId(short, ids.map((i) => ({ id: i })))).toMatchObject({ id });
  });
});

describe('shortRunIds', () => {
  const runIds = [`${G1}-run-001`, `${G1}-run-002`, `${G3}-run-001`, 'baseline'];
  it.each([
    ['sweep runs keep -run-NNN after the short group id; named runs whole', runIds, [G1, G3], {
      [`${G1}-run-001`]: 'grp_20261203-run-001',
      [`${G1}-run-002`]: 'grp_20261203-run-002',
      [`${G3}-run-001`]: 'grp_20261204-run-001',
      baseline: 'baseline',
    }],
    ['a group without a group.json still counts', [`${G1}-run-001`, `${G2}-run-001`], [], {
      [`${G1}-run-001`]: 'grp_20261203_165523_a1-run-001',
      [`${G2}-run-001`]: 'grp_20261203_165523_a9-run-001',
    }],
    ['a named run starting with the short form keeps the full id', [`${G1}-run-001`, 'grp_202-run-001-copy'], [G1], {
      [`${G1}-run-001`]: `${G1}-run-001`,
      'grp_202-run-001-copy': 'grp_202-run-001-copy',
    }],
  ])('%s', (_name, ids, groupIds, expected) => {
    expect(Object.fromEntries(shortRunIds(ids, groupIds))).toEqual(expected);
  });

  it('every short run id resolves back to its run', () => {
    const all = [...runIds, `${G2}-run-001`];
    for (const [id, short] of shortRunIds(all, [G1, G2, G3])) expect(resolveId(short, all.map((i) => ({ id: i })))).toMatchObject({ id });
  });
});
