/**
 * The metric a user cares about (issue 14): a plan's `metric {name, goal}` ranks its runs in the
 * direction of the goal — group.json's best run, `groups show`, `groups`, `history` and the dashboard
 * API — with enough digits to tell close values apart; a run without the metric sorts last with a hint;
 * an invalid metric is refused before anything is written. The runs are custom commands that report
 * fixed metrics through the helper, by seed (fast and deterministic).
 */
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseJsonOut, runCli } from '../helpers/cli.js';
import { openBrowser, startUi } from '../helpers/browser.js';
import { startDaemon, waitFor } from '../helpers/daemon.js';
import { baseRequest, groupFile, readJson, samplePlan, tempWorkspace, writePlan } from '../helpers/workspace.js';

const REPORT = `import json, os, sys
import runforge_helper as rf
for name, value in json.loads(sys.argv[1])[os.environ["RUNFORGE_SEED"]].items():
    rf.metric(name, value)
`;

/** A plan of one run per seed; run `seed` reports `metrics[seed]`. */
function reportingPlan(ws: string, metrics: Record<string, Record<string, number>>, extra: Record<string, unknown>): Record<string, unknown> {
  writeFileSync(path.join(ws, 'report.py'), REPORT);
  const base = baseRequest({ command: ['python3', 'report.py', JSON.stringify(metrics)] });
  delete base.model;
  return samplePlan(ws, {
    group: { name: 'metric sweep' },
    base_request: base,
    strategy: { type: 'list', parameters: [{ path: 'seed', values: Object.keys(metrics).map(Number) }] },
    ...extra,
  });
}

/**
 * The cells of the column headed `header` in a table the CLI printed (columns are padded, so each
 * starts where its header does); the table is the header line and the `rows` lines after it.
 */
function column(lines: string[], header: string, rows: number): string[] {
  const top = lines.findIndex((l) => l.includes(header));
  const start = lines[top]!.indexOf(header);
  const next = lines[top]!.slice(start + header.length).search(/\S/);
  const end = next === -1 ? undefined : start + header.length + next;
  return lines.slice(top + 1, top + 1 + rows).map((l) => l.slice(start, end).trim());
}
/** A run's id in a listing ends like its full id (listings may shorten the group part). */
const suffix = (id: string): string => id.slice(id.lastIndexOf('-run-'));

const onlyGroup = (ws: string): string => readdirSync(path.join(ws, '.runforge', 'groups'))[0]!;
const runOf = (gid: string, seed: number): string => `${gid}-run-00${seed}`;
const result = (ws: string, runId: string) => readJson(path.join(ws, '.ml', 'runs', runId, 'result.json'));

/** Seeds 1-3 report a loss (two equal to 5 decimals); seed 4 reports no loss at all. */
const LOSSES = {
  1: { loss: 0.912344, accuracy: 0.7 },
  2: { loss: 0.912341, accuracy: 0.71 },
  3: { loss: 0.5, accuracy: 0.6 },
  4: { accuracy: 0.99 },
};

describe('metric {name: loss, goal: minimize} over a queued sweep', () => {
  it('ranks lowest first everywhere, with the digits that tell 0.912341 from 0.912344', async () => {
    const ws = tempWorkspace();
    const plan = reportingPlan(ws, LOSSES, { metric: { name: 'loss', goal: 'minimize' } });
    expect((await runCli(['enqueue-sweep', '--plan', writePlan(ws, plan)], { cwd: ws })).code).toBe(0);
    const gid = onlyGroup(ws);
    startDaemon(ws, ['--max-parallel', '2']);
    const group = await waitFor('the sweep ends', () => {
      const g = readJson(groupFile(ws, gid));
      return g.status === 'completed' ? g : undefined;
    }, 90_000);

    expect(group.metric).toEqual({ name: 'loss', goal: 'minimize' });
    expect(group.summary).toMatchObject({ best_run_id: runOf(gid, 3), best_primary_metric: 0.5 });
    expect(result(ws, runOf(gid, 1)).summary.primary_metric).toEqual({ name: 'loss', value: 0.912344, goal: 'minimize' });
    // It was told to rank by loss: accuracy does not stand in for it.
    expect(result(ws, runOf(gid, 4)).summary).toEqual({ metrics: { accuracy: 0.99 }, primary_metric: null });

    const show = await runCli(['groups', 'show', gid], { cwd: ws });
    expect(show.code).toBe(0);
    expect(show.lines[1]).toBe('Ranked by loss (lower is better)');
    expect(show.lines[2]).toMatch(/^#\s+RUN\s+STATUS\s+FAMILY\s+DEVICE\s+loss ↓\s+TIME\s+SWEPT VALUES$/);
    expect(column(show.lines, '#', 4)).toEqual(['1', '2', '3', '-']);
    expect(column(show.lines, 'RUN', 4).map(suffix)).toEqual(['-run-003', '-run-002', '-run-001', '-run-004']);
    expect(column(show.lines, 'loss ↓', 4)).toEqual(['0.500000', '0.912341', '0.912344', '—']);
    expect(show.lines.slice(7)).toEqual([`Note: ${runOf(gid, 4)} has no "loss": it reported "accuracy"`]);

    const all = await runCli(['groups', 'show', gid, '--all-metrics'], { cwd: ws });
    expect(all.lines[2]).toMatch(/\bloss ↓\s+accuracy\s+TIME\b/);
    expect(column(all.lines, 'accuracy', 4)).toEqual(['0.6000', '0.7100', '0.7000', '0.9900']);

    const json = parseJsonOut<any>(await runCli(['groups', 'show', gid, '--json'], { cwd: ws }));
    expect(json.metric).toEqual({ name: 'loss', goal: 'minimize' });
    expect(json.leaderboard.map((r: any) => [r.run_id, r.rank, r.metric])).toEqual([
      [runOf(gid, 3), 1, 0.5],
      [runOf(gid, 2), 2, 0.912341],
      [runOf(gid, 1), 3, 0.912344],
      [runOf(gid, 4), null, null],
    ]);

    const list = await runCli(['groups'], { cwd: ws });
    expect(column(list.lines, 'BEST  ', 1)).toEqual(['loss ↓ 0.5000']);

    const history = await runCli(['history', '--sort', 'metric', '--metrics'], { cwd: ws });
    expect(history.code).toBe(0);
    expect(history.lines[0]).toMatch(/\bDURATION\s+loss ↓\s+METRICS\s+STARTED\b/);
    expect(column(history.lines, 'RUN', 4).map(suffix)).toEqual(['-run-003', '-run-002', '-run-001', '-run-004']);
    expect(column(history.lines, 'loss ↓', 4)).toEqual(['0.500000', '0.912341', '0.912344', '—']);
    expect(column(history.lines, 'METRICS', 4)).toEqual([
      'accuracy=0.6000 loss=0.500000',
      'accuracy=0.7100 loss=0.912341',
      'accuracy=0.7000 loss=0.912344',
      'accuracy=0.9900',
    ]);
    expect(history.lines.slice(5)).toEqual([`Note: ${runOf(gid, 4)} has no "loss": it reported "accuracy"`]);

    const ui = await startUi(ws);
    const api = (await (await fetch(`${ui.base}/api/groups/${gid}`)).json()) as any;
    expect(api.metric).toEqual({ name: 'loss', goal: 'minimize' });
    expect(api.leaderboard.map((r: any) => r.run_id)).toEqual([3, 2, 1, 4].map((s) => runOf(gid, s)));
    expect(api.leaderboard[3].hint).toBe(`${runOf(gid, 4)} has no "loss": it reported "accuracy"`);
    const runs = (await (await fetch(`${ui.base}/api/runs?sort=metric`)).json()) as any;
    expect(runs.runs.map((r: any) => r.run_id)).toEqual([3, 2, 1, 4].map((s) => runOf(gid, s)));
    const status = (await (await fetch(`${ui.base}/api/status`)).json()) as any;
    expect(status.groups[0]).toMatchObject({ best_run_id: runOf(gid, 3), best_primary_metric: 0.5, metric: { name: 'loss', goal: 'minimize' } });

    // The page shows what the API says: the column named by the metric, the digits, the hint, the rest on demand.
    const { page } = await openBrowser();
    await page.goto(`${ui.url}#/group/${gid}`);
    const board = page.locator('[data-testid=leaderboard]');
    await board.locator('[data-testid=metric]').first().waitFor();
    expect((await board.locator('th').allTextContents())[5]).toBe('loss ↓');
    expect(await board.locator('[data-testid=metric]').allTextContents()).toEqual(['0.500000', '0.912341', '0.912344', '—']);
    expect(await page.locator('[data-testid=metric-hints] li').allTextContents()).toEqual([`${runOf(gid, 4)} has no "loss": it reported "accuracy"`]);
    await page.locator('[data-testid=all-metrics]').check();
    await board.locator('th', { hasText: /^accuracy$/ }).waitFor();
    await page.evaluate('location.hash = "#/"');
    await page.locator('[data-testid=group-best]').waitFor();
    expect(await page.locator('[data-testid=group-best]').textContent()).toBe('loss ↓ 0.5000');
    await page.evaluate(`location.hash = "#/run/${runOf(gid, 1)}"`);
    await page.locator('[data-testid=final-metrics]').waitFor();
    expect(await page.locator('[data-testid=final-metrics] tr').allInnerTexts()).toEqual(['accuracy\t0.7000', 'loss ↓ (ranks runs)\t0.9123']);
  }, 180_000);
});

describe('a custom metric to maximize, whose name reads like a loss', () => {
  it("follows the plan's goal over the base request's and over the name (direct sweep)", async () => {
    const ws = tempWorkspace();
    // neg_log_loss: higher is better (as scikit-learn's scorer), though "_loss" names are minimized by the fallback.
    const scores = { 1: { neg_log_loss: -0.35131 }, 2: { neg_log_loss: -0.9 }, 3: { neg_log_loss: -0.35121 } };
    const plan = reportingPlan(ws, scores, { metric: { name: 'neg_log_loss', goal: 'maximize' } });
    (plan.base_request as Record<string, unknown>).metric = { name: 'neg_log_loss', goal: 'minimize' };
    const r = await runCli(['sweep', '--plan', writePlan(ws, plan)], { cwd: ws });
    expect(r.code, r.stderr).toBe(0);
    const gid = onlyGroup(ws);
    expect(readJson(path.join(ws, '.ml', 'runs', runOf(gid, 1), 'request.json')).metric).toEqual({ name: 'neg_log_loss', goal: 'maximize' });
    const group = readJson(groupFile(ws, gid));
    expect(group.summary).toMatchObject({ best_run_id: runOf(gid, 3), best_primary_metric: -0.35121 });
    expect(group.runs.map((x: any) => x.primary_metric_goal)).toEqual(['maximize', 'maximize', 'maximize']);

    const show = await runCli(['groups', 'show', gid], { cwd: ws });
    expect(show.lines[1]).toBe('Ranked by neg_log_loss (higher is better)');
    expect(show.lines[2]).toMatch(/\bDEVICE\s+neg_log_loss ↑\s+TIME\b/);
    expect(column(show.lines, 'RUN', 3).map(suffix)).toEqual(['-run-003', '-run-001', '-run-002']);
    expect(column(show.lines, 'neg_log_loss ↑', 3)).toEqual(['-0.3512', '-0.3513', '-0.9000']);
  }, 120_000);
});

describe('an invalid metric is refused before anything is written', () => {
  it.each([
    ['goal not maximize|minimize', { name: 'loss', goal: 'max' }, 'metric.goal must be one of "maximize", "minimize"'],
    ['an empty name', { name: '', goal: 'minimize' }, 'metric.name must not be empty'],
    ['no goal', { name: 'loss' }, 'metric.goal is required'],
  ])('%s', async (_n, metric, line) => {
    const ws = tempWorkspace();
    const file = writePlan(ws, reportingPlan(ws, LOSSES, { metric }));
    const enqueue = await runCli(['enqueue-sweep', '--plan', file], { cwd: ws });
    expect(enqueue.code).toBe(6);
    expect(enqueue.stderr).toContain(line);
    expect(existsSync(path.join(ws, '.runforge'))).toBe(false);
    expect(existsSync(path.join(ws, '.ml'))).toBe(false);
    const validate = await runCli(['validate', file], { cwd: ws });
    expect(validate.code).toBe(6);
    expect(validate.lines).toContain(line);
  }, 60_000);

  it("the base request's metric and a swept metric are checked too", async () => {
    const ws = tempWorkspace();
    const plan = reportingPlan(ws, LOSSES, {});
    (plan.base_request as Record<string, unknown>).metric = { name: 'loss', goal: 'lowest' };
    const bad = await runCli(['validate', writePlan(ws, plan)], { cwd: ws });
    expect(bad.code).toBe(6);
    expect(bad.lines).toContain('base_request.metric.goal must be one of "maximize", "minimize"');
    const swept = reportingPlan(ws, LOSSES, { strategy: { type: 'grid', parameters: [{ path: 'metric.name', values: ['loss', 'accuracy'] }] } });
    const r = await runCli(['enqueue-sweep', '--plan', writePlan(ws, swept, 'swept.json')], { cwd: ws });
    expect(r.code).toBe(6);
    expect(r.stderr).toContain('strategy.parameters[0].path cannot sweep the metric: one sweep ranks its runs by one metric');
    expect(existsSync(path.join(ws, '.runforge'))).toBe(false);
  }, 60_000);
});
