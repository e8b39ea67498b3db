/**
 * Non-ASCII text reaches the user intact, from the built bundle (dist/cli/bin.cjs → dist/runforge.cjs):
 * the launcher once decoded the bundle as latin1, so the dashboard's raw UTF-8 (a String.raw template)
 * showed `Â·` for `·`, `â†` for `←` and `â  Stale heartbeat`. Each check names the exact characters
 * intended and refuses any mojibake.
 */
import { describe, expect, it } from 'vitest';
import { DASHBOARD_HTML } from '../../src/ui/page.js';
import { CLI, runCli, type CliResult } from '../helpers/cli.js';
import { openBrowser, startUi } from '../helpers/browser.js';
import { allDone, startDaemon, waitFor } from '../helpers/daemon.js';
import { commandPlan, tempWorkspace } from '../helpers/workspace.js';
import { enqueuePlan } from '../helpers/queue.js';

/**
 * UTF-8 read as latin1 or windows-1252: a lead byte (Â, Ã, â, …) followed by a continuation byte
 * (U+0080–U+00BF in latin1; €, †, ‚ … in windows-1252), or the replacement character. None of the
 * intended text below has such a pair.
 */
const MOJIBAKE = /[\u00C2-\u00F4][\u0080-\u00BF\u20AC\u201A-\u201E\u2020-\u2022\u2026\u2030\u2039\u203A\u2122\u0152\u0153\u0160\u0161\u0178\u017D\u017E\u02C6\u02DC]|\uFFFD/;
const GROUP_NAME = 'Wein · Größe → ☃';
const RUN_NAME = 'Lauf · α';
const PRINTED = 'Ergebnis · 0.93 → ✓';

function expectClean(what: string, text: string): void {
  const m = MOJIBAKE.exec(text);
  expect(m === null ? null : `${what}: ${JSON.stringify(text.slice(Math.max(0, m.index - 20), m.index + 20))}`).toBeNull();
}

/** A finished two-run sweep whose group name, run name and program output are not ASCII. */
async function finishedSweep(ws: string, heartbeatArgs: string[] = []): Promise<{ gid: string; daemon: ReturnType<typeof startDaemon> }> {
  const plan = commandPlan(ws, 2, ['sh', '-c', `echo '${PRINTED}'`], undefined, GROUP_NAME);
  (plan.base_request as Record<string, unknown>).name = RUN_NAME;
  const gid = await enqueuePlan(ws, plan);
  const daemon = startDaemon(ws, heartbeatArgs);
  await waitFor('both runs done', allDone(ws, 2), 40_000);
  return { gid, daemon };
}

describe('non-ASCII text from the built CLI', () => {
  it('status views, watch --once, groups, history, logs, doctor, errors and help print it intact', async () => {
    expect(CLI.endsWith('dist/cli/bin.cjs')).toBe(true);
    const ws = tempWorkspace();
    const { gid, daemon } = await finishedSweep(ws);
    daemon.kill('SIGTERM');
    expect(await daemon.exited).toBe(0);
    const run1 = `${gid}-run-001`;
    const outputs: [string, CliResult][] = [];
    const cli = async (args: string[]): Promise<CliResult> => {
      const r = await runCli(args, { cwd: ws });
      outputs.push([args.join(' '), r]);
      return r;
    };

    // Listings show short ids since issue 14: the only group's first 7 characters.
    const short = gid.slice(0, 7);
    const status = await cli(['queue-status']);
    expect(status.code).toBe(0);
    expect(status.lines.find((l) => l.startsWith(`  ${short} `))).toMatch(new RegExp(`completed .* best \\S+ +${GROUP_NAME}$`));
    const groups = await cli(['groups']);
    expect(groups.lines.find((l) => l.startsWith(`${short} `))).toMatch(new RegExp(` ${GROUP_NAME}$`));
    const watch = await cli(['watch', '--once']);
    expect(watch.code).toBe(0);
    expect(watch.stdout).toContain(`  ${GROUP_NAME}\n`);
    const show = await cli(['groups', 'show', gid]);
    expect(show.code).toBe(0);
    expect(show.lines[0]).toBe(`${GROUP_NAME} (${gid}): completed, 2/2 done`);
    const history = await cli(['history']);
    expect(history.code).toBe(0);
    expect(history.stdout).toContain(`${short}-run-001 `);
    const logs = await cli(['logs', run1]);
    expect(logs.code).toBe(0);
    expect(logs.lines.filter((l) => l.includes(PRINTED)).map((l) => l.replace(/^\[[\d: -]+\] /, ''))).toEqual([
      `Command: ["sh","-c","echo '${PRINTED}'"]`,
      PRINTED,
    ]);

    // The CLI's own non-ASCII text (an arrow, a dash, an ellipsis) and help.
    const doctor = await cli(['doctor']);
    expect(doctor.lines.find((l) => l.startsWith('ok      python '))).toMatch(/^ok {6}python {5}\S+ → \S+ \(Python \d+\.\d+/);
    expect(doctor.lines).toContain('warn    daemon     stopped — fix: start one: runforge daemon');
    const longId = await cli(['enqueue-run', '--run-id', 'x'.repeat(200)]);
    expect(longId.code).toBe(2);
    expect(longId.stderr).toContain(`'${'x'.repeat(80)}…'`);
    const help = await cli(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('Usage: runforge [options] [command]');

    for (const [args, r] of outputs) {
      expectClean(`runforge ${args} (stdout)`, r.stdout);
      expectClean(`runforge ${args} (stderr)`, r.stderr);
    }
  });
});

describe('non-ASCII text on the dashboard (served by the built CLI)', () => {
  it('shows ·, ← and the ⚠ stale-heartbeat warning exactly, with no mojibake', async () => {
    const ws = tempWorkspace();
    const { gid, daemon } = await finishedSweep(ws, ['--heartbeat-interval', '0.3']);
    const ui = await startUi(ws, ['--stale-after', '2']);

    // The page as sent, character for character the source's (the build rewrites its template).
    const html = await (await fetch(ui.url)).text();
    expect(html).toBe(DASHBOARD_HTML);
    expect(html).toContain('<span id="daemon" class="badge" data-testid="daemon">connecting…</span>');
    expect(html).toContain('"← all runs"');
    expectClean('the HTML served', html);

    const { page, dialogs } = await openBrowser();
    await page.goto(ui.url);
    await page.waitForSelector('[data-testid=daemon][data-health=healthy]');
    const row = page.locator(`tr[data-group="${gid}"]`);
    await expect.poll(() => row.textContent(), { timeout: 15_000 }).toContain('2/2');
    expect(await row.locator('td').nth(3).textContent()).toBe('0 queued · 0 running · 2 ok · 0 failed · 0 canceled');
    expect(await row.locator('td a').first().textContent()).toBe(GROUP_NAME);
    expectClean('the dashboard', await page.innerText('body'));

    await page.goto(`${ui.url}#/group/${gid}`);
    await page.waitForSelector('[data-testid=leaderboard]');
    expect(await page.locator('main a[href="#/"]').textContent()).toBe('← dashboard');
    expect(await page.locator('main section p').last().textContent()).toBe('completed · 2 ok, 0 failed, 0 canceled of 2');
    expectClean('the group page', await page.innerText('body'));

    await page.goto(`${ui.url}#/run/${gid}-run-001`);
    await page.waitForSelector('[data-testid=run-state]');
    expect(await page.locator('main a[href="#/"]').textContent()).toBe('← all runs');
    expect(await page.locator('main h2').first().textContent()).toBe(`Run ${gid}-run-001 — ${RUN_NAME}`);
    await expect.poll(() => page.textContent('[data-testid=log]'), { timeout: 15_000 }).toContain(PRINTED);
    expect(await page.locator('main section p').first().innerText()).toMatch(/^succeeded · attempt 1 · \d+\.\d s$/);
    expectClean('the run page', await page.innerText('body'));

    daemon.kill('SIGKILL');
    await daemon.exited;
    await page.waitForSelector('[data-testid=daemon][data-health=stale]', { timeout: 20_000 });
    expect(await page.textContent('[data-testid=daemon]')).toMatch(/^⚠ Daemon dead \(PID \d+\): process is not running, heartbeat \d+s ago$/);
    expectClean('the stale warning', await page.innerText('body'));
    expect(dialogs).toEqual([]);
  });
});
