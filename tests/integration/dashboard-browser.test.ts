import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { openBrowser, screenshot, startUi } from '../helpers/browser.js';
import { allDone, queueJobs, startDaemon, waitFor, withFakeGpus } from '../helpers/daemon.js';
import { baseRequest, commandPlan, groupFile, readJson, tempWorkspace, writeRun } from '../helpers/workspace.js';
import { enqueuePlan } from '../helpers/queue.js';

describe('dashboard in a real browser', () => {
  it('renders a live sweep: daemon health, slots, group progress, runs', async () => {
    const ws = tempWorkspace();
    // The jobs run until the page has been looked at (on a loaded machine the page may take longer to
    // come up than a sweep of short jobs takes to finish).
    const gid = await enqueuePlan(ws, commandPlan(ws, 6, ['sh', '-c', 'while [ ! -f release ]; do sleep 0.05; done; sleep 0.2'], undefined, 'live sweep'));
    const d = startDaemon(ws, ['--max-parallel', '2'], withFakeGpus());
    await waitFor('two running', () => queueJobs(ws).filter((j) => j.state === 'running').length === 2);
    const ui = await startUi(ws);
    const { page, dialogs } = await openBrowser();
    await page.goto(ui.url);
    await page.waitForSelector('[data-testid=daemon][data-health=healthy]');
    // Between one job's end and the next start a slot is briefly free: look until both are in use.
    await expect.poll(() => page.textContent('[data-testid=cpu-slots]'), { timeout: 15_000 }).toBe('CPU 2/2');
    expect(await page.locator('[data-testid=gpu-device]').allTextContents()).toEqual(['GPU0 0/1', 'GPU1 0/1']);
    const row = page.locator(`tr[data-group="${gid}"]`);
    await expect.poll(() => row.textContent(), { timeout: 15_000 }).toContain('live sweep');
    await expect.poll(() => row.textContent(), { timeout: 15_000 }).toContain('2 running');
    await screenshot(page, 'dashboard-live-sweep');
    writeFileSync(path.join(ws, 'release'), '');
    // It keeps updating by itself (server-sent events): the group completes on screen.
    await waitFor('done', allDone(ws, 6), 40_000);
    await expect.poll(() => row.textContent(), { timeout: 15_000 }).toContain('completed');
    await expect.poll(() => row.textContent(), { timeout: 15_000 }).toContain('6/6');
    expect(await page.locator('[data-testid=runs] tr[data-run]').count()).toBe(6);
    await screenshot(page, 'dashboard-sweep-completed');
    expect(dialogs).toEqual([]);
    d.kill();
    await d.exited;
  });

  it('pause and cancel from the page take effect in the state files', async () => {
    const ws = tempWorkspace();
    const gid = await enqueuePlan(ws, commandPlan(ws, 4, ['sleep', '30']));
    const d = startDaemon(ws, ['--max-parallel', '1', '--kill-grace', '1']);
    await waitFor('one running', () => queueJobs(ws).some((j) => j.state === 'running'));
    const ui = await startUi(ws);
    const { page } = await openBrowser();
    await page.goto(ui.url);
    const row = page.locator(`tr[data-group="${gid}"]`);
    await row.locator('button[data-action=pause]').click();
    await waitFor('paused in group.json', () => readJson(groupFile(ws, gid)).paused === true);
    await expect.poll(() => row.textContent(), { timeout: 15_000 }).toContain('(paused)');
    await row.locator('button[data-action=resume]').waitFor();
    await screenshot(page, 'dashboard-paused');
    await row.locator('button[data-action=cancel]').click();
    const jobs = await waitFor('all canceled', allDone(ws, 4), 30_000);
    expect(jobs.map((j) => j.state)).toEqual(['canceled', 'canceled', 'canceled', 'canceled']);
    expect(readJson(groupFile(ws, gid)).status).toBe('canceled');
    await expect.poll(() => row.textContent(), { timeout: 15_000 }).toContain('canceled');
    d.kill();
    await d.exited;
  });

  it("a run's page draws its metric points, log and config; user text is shown, never run", async () => {
    const ws = tempWorkspace();
    writeFileSync(
      path.join(ws, 'train.py'),
      ['import runforge_helper as rf', 'for e in range(1, 7):', '    rf.epoch(e, 6)', '    rf.metric("loss", 1.0 / e, step=e, epoch=e)', '    rf.metric("accuracy", 0.5 + e / 20, step=e, epoch=e)'].join('\n'),
    );
    const evil = '<img src=x onerror=alert(1)>';
    writeRun(ws, 'charted', baseRequest({ name: evil, command: ['python3', 'train.py'] }));
    await runCli(['enqueue-run', '--run-id', 'charted'], { cwd: ws });
    const d = startDaemon(ws);
    await waitFor('done', allDone(ws, 1), 30_000);
    const ui = await startUi(ws);
    const { page, dialogs } = await openBrowser();
    await page.goto(`${ui.url}#/run/charted`);
    await page.waitForSelector('[data-testid=metrics-chart] circle');
    expect(await page.locator('[data-testid=metrics-chart] circle[data-metric=loss]').count()).toBe(6);
    expect(await page.locator('[data-testid=metrics-chart] circle[data-metric=accuracy]').count()).toBe(6);
    expect(await page.textContent('[data-testid=log]')).toContain('[RF:EPOCH=6/6]');
    expect(await page.textContent('h2')).toContain(evil);
    await screenshot(page, 'dashboard-run-page');
    await page.goto(ui.url);
    await page.waitForSelector('tr[data-run=charted]');
    expect(await page.textContent('tr[data-run=charted]')).toContain(evil);
    expect(await page.locator('img').count()).toBe(0);
    expect(dialogs).toEqual([]);
    d.kill();
    await d.exited;
  });

  it('G7: reopened while the daemon runs, after it is killed (stale warning), and after a restart', async () => {
    const ws = tempWorkspace();
    await enqueuePlan(ws, commandPlan(ws, 2, ['true']));
    const d1 = startDaemon(ws, ['--heartbeat-interval', '0.3']);
    await waitFor('done', allDone(ws, 2));
    const ui = await startUi(ws, ['--stale-after', '2']);
    const { page } = await openBrowser();
    await page.goto(ui.url);
    await page.waitForSelector('[data-testid=daemon][data-health=healthy]');
    await page.reload();
    await page.waitForSelector('[data-testid=daemon][data-health=healthy]');
    expect(await page.textContent('[data-testid=groups]')).toContain('2/2');
    d1.kill('SIGKILL');
    await d1.exited;
    await page.waitForSelector('[data-testid=daemon][data-health=stale]', { timeout: 20_000 });
    expect(await page.textContent('[data-testid=daemon]')).toMatch(/^⚠ Daemon dead \(PID \d+\): process is not running/);
    await screenshot(page, 'dashboard-stale-daemon');
    await page.reload();
    await page.waitForSelector('[data-testid=daemon][data-health=stale]');
    const d2 = startDaemon(ws, ['--heartbeat-interval', '0.3']);
    await d2.waitForLine(/DAEMON=STARTED/);
    await page.waitForSelector('[data-testid=daemon][data-health=healthy]', { timeout: 20_000 });
    await screenshot(page, 'dashboard-daemon-back');
    d2.kill('SIGTERM');
    await d2.exited;
    await page.waitForSelector('[data-testid=daemon][data-health=stopped]', { timeout: 20_000 });
  });
});
