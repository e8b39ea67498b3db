/**
 * G7 (SPEC §11): the web dashboard, in Debian's Chromium, reopened while the daemon runs jobs, after a
 * kill -9 of the daemon, and after a restart. The jobs are gated, so they are still running when the
 * page is looked at, however slowly the page comes up.
 */
import type { Page } from 'playwright-core';
import {
  allDone,
  Checks,
  commandPlan,
  enqueuePlan,
  gatedCommand,
  type Gauntlet,
  openBrowser,
  release,
  screenshot,
  startDaemon,
  startUi,
  tempWorkspace,
  waitFor,
  waitForStarts,
} from './lib.js';

/** Whether the text of `selector` comes to contain every one of `texts` within `timeoutMs` (the page updates itself). */
async function shows(page: Page, selector: string, texts: string[], timeoutMs = 20_000): Promise<boolean> {
  return page
    .waitForFunction(
      ([sel, want]) => {
        const doc = (globalThis as unknown as { document: { querySelector(s: string): { textContent: string | null } | null } }).document;
        const text = doc.querySelector(sel)?.textContent ?? '';
        return (want as string[]).every((t) => text.includes(t));
      },
      [selector, texts] as const,
      { timeout: timeoutMs },
    )
    .then(
      () => true,
      () => false,
    );
}

const oneLine = async (page: Page, selector: string): Promise<string> => (await page.innerText(selector)).replace(/\s+/g, ' ').trim();

/** What the page must show while `running` run: a healthy daemon, both slots used, the runs as running, the group's progress. */
async function checkActive(c: Checks, page: Page, gid: string, running: string[], when: string): Promise<void> {
  c.check(await shows(page, '[data-testid=daemon]', ['Daemon healthy']), `${when}: the daemon is not shown healthy`);
  c.check(await shows(page, '[data-testid=cpu-slots]', ['CPU 2/2']), `${when}: the slots do not show 2/2 in use`);
  for (const run of running) {
    c.check(await shows(page, `[data-testid=runs] tr[data-run="${run}"]`, ['running']), `${when}: running job ${run} is not shown running`);
  }
  c.check(await shows(page, `tr[data-group="${gid}"]`, ['0/3', '2 running', '1 queued']), `${when}: the group's progress is not shown`);
  c.note(`${when}: ${await oneLine(page, '[data-testid=slots]')}; group row "${(await oneLine(page, `tr[data-group="${gid}"]`)).slice(0, 90)}"`);
}

export const G7: Gauntlet = {
  id: 'G7',
  title: 'the web dashboard reopened while the daemon runs jobs / after it is killed / after a restart: queue, group progress, stale-heartbeat warning',
  async run() {
    const c = new Checks();
    const ws = tempWorkspace();
    const gid = await enqueuePlan(ws, commandPlan(ws, 3, gatedCommand()));
    const d1 = startDaemon(ws, ['--max-parallel', '2', '--heartbeat-interval', '0.3']);
    const running = await waitForStarts(d1, ws, 2);
    const ui = await startUi(ws, ['--stale-after', '2']);
    const { page } = await openBrowser();
    await page.goto(ui.url);
    await checkActive(c, page, gid, running, 'while running');
    await screenshot(page, 'gauntlet-G7-running');
    await page.reload();
    await checkActive(c, page, gid, running, 'reopened while running');

    d1.kill('SIGKILL');
    await d1.exited;
    // On the daemon's machine its PID tells at once (issue 14), without waiting for the heartbeat to age.
    c.check(await shows(page, '[data-testid=daemon]', ['⚠ Daemon dead', 'process is not running']), 'no dead-daemon warning after kill -9');
    await page.reload();
    c.check(await shows(page, '[data-testid=daemon]', ['⚠ Daemon dead', 'process is not running']), 'no dead-daemon warning on a reopened page');
    c.note(`after kill -9: "${await oneLine(page, '[data-testid=daemon]')}"`);
    await screenshot(page, 'gauntlet-G7-stale');

    // The jobs outlived the daemon; the next one re-adopts them and runs the rest.
    release(ws, 'all');
    const d2 = startDaemon(ws, ['--max-parallel', '2', '--heartbeat-interval', '0.3']);
    await waitFor('all done', allDone(ws, 3), 60_000);
    c.check(await shows(page, '[data-testid=daemon]', ['Daemon healthy']), 'not healthy again after a restart');
    c.check(await shows(page, `tr[data-group="${gid}"]`, ['completed', '3/3']), 'the completed group is not shown');
    c.note(`after restart: "${await oneLine(page, '[data-testid=daemon]')}"; group row "${(await oneLine(page, `tr[data-group="${gid}"]`)).slice(0, 60)}"`);
    d2.kill('SIGTERM');
    await d2.exited;
    c.check(await shows(page, '[data-testid=daemon]', ['Daemon stopped']), 'a stopped daemon is not shown stopped');
    return c.result();
  },
};
