import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { CLI, parseJsonOut, runCli } from '../helpers/cli.js';
import { allDone, startDaemon, waitFor } from '../helpers/daemon.js';
import { baseRequest, commandPlan, samplePlan, tempWorkspace, writePlan, writeRun } from '../helpers/workspace.js';

describe('terminal views', () => {
  it('watch --once on a non-terminal prints one plain snapshot with running jobs and their progress', async () => {
    const ws = tempWorkspace();
    const script = 'echo "[RF:EPOCH=3/10]"; echo "[RF:PROGRESS=30/100 batches]"; sleep 30';
    writeRun(ws, 'busy', baseRequest({ command: ['sh', '-c', script] }));
    await runCli(['enqueue-run', '--run-id', 'busy'], { cwd: ws });
    const d = startDaemon(ws);
    // The token on a line of its own (the "Command:" line quotes it too).
    await waitFor('progress logged', () => readFileSync(path.join(ws, '.ml/runs/busy/logs.txt'), 'utf8').split('\n').includes('[RF:PROGRESS=30/100 batches]'));
    const r = await runCli(['watch', '--once'], { cwd: ws });
    expect(r.code).toBe(0);
    expect(r.stdout).not.toContain('\x1b[');
    expect(r.lines).toContain('Queue Status');
    expect(r.lines.find((l) => l.startsWith('  Daemon: '))).toMatch(/^ {2}Daemon: running \(PID \d+/);
    expect(r.lines).toContain('Running:');
    expect(r.lines).toContain('  busy  cpu  attempt 1  30/100 batches');
    d.kill();
    await d.exited;
  });

  it('logs prints a run log; logs -f follows it until the run ends', async () => {
    const ws = tempWorkspace();
    writeRun(ws, 'talky', baseRequest({ command: ['sh', '-c', 'for i in 1 2 3 4 5; do echo "line $i"; sleep 0.3; done'] }));
    await runCli(['enqueue-run', '--run-id', 'talky'], { cwd: ws });
    const d = startDaemon(ws);
    await waitFor('started', () => existsSync(path.join(ws, '.ml/runs/talky/logs.txt')));
    const follow = await execa(process.execPath, [CLI, 'logs', 'talky', '-f', '--interval', '0.1'], { cwd: ws, reject: false, timeout: 30_000 });
    expect(follow.exitCode).toBe(0);
    const lines = String(follow.stdout).split('\n');
    expect(lines.filter((l) => /\] line \d$/.test(l))).toHaveLength(5);
    expect(lines.at(-1)).toBe('[RF:STAGE=COMPLETED]');
    const once = await runCli(['logs', 'talky'], { cwd: ws });
    expect(once.stdout).toBe(String(follow.stdout));
    expect((await runCli(['logs', 'nope'], { cwd: ws })).code).toBe(3);
    expect((await runCli(['logs', '../x'], { cwd: ws })).code).toBe(2);
    d.kill();
    await d.exited;
  });

  it('history lists every run newest first with outcome, device and metric; filters by group and state', async () => {
    const ws = tempWorkspace();
    const r = await runCli(['enqueue-sweep', '--plan', writePlan(ws, commandPlan(ws, 3, ['true'])), '--json'], { cwd: ws });
    const gid = parseJsonOut<{ group_id: string }>(r).group_id;
    writeRun(ws, 'lonely', baseRequest({ command: ['sh', '-c', 'exit 2'] }));
    await runCli(['enqueue-run', '--run-id', 'lonely'], { cwd: ws });
    const d = startDaemon(ws, ['--max-parallel', '1']);
    await waitFor('done', allDone(ws, 4));
    const all = parseJsonOut<any>(await runCli(['history', '--json'], { cwd: ws })).runs;
    expect(all).toHaveLength(4);
    const starts = all.map((x: any) => Date.parse(x.started_at));
    expect([...starts].sort((a, b) => b - a)).toEqual(starts);
    expect(all.find((x: any) => x.run_id === 'lonely')).toMatchObject({ state: 'failed', device: 'cpu', error: 'Command exited with code 2', group_id: null });
    const failed = parseJsonOut<any>(await runCli(['history', '--state', 'failed', '--json'], { cwd: ws })).runs;
    expect(failed.map((x: any) => x.run_id)).toEqual(['lonely']);
    const group = parseJsonOut<any>(await runCli(['history', '--group', gid, '--json'], { cwd: ws })).runs;
    expect(group).toHaveLength(3);
    const text = await runCli(['history'], { cwd: ws });
    expect(text.lines[0]).toMatch(/^RUN\s+STATE\s+ORIGIN\s+ATTEMPT\s+DEVICE\s+DURATION\s+METRIC\s+STARTED\s+ERROR$/);
    expect((await runCli(['history', '--state', 'done'], { cwd: ws })).code).toBe(2);
    const show = await runCli(['groups', 'show', gid], { cwd: ws });
    expect(show.lines[0]).toBe(`cmd sweep (${gid}): completed, 3/3 done`);
    expect(show.lines[1]).toMatch(/^#\s+RUN\s+STATUS\s+FAMILY\s+DEVICE\s+METRIC/);
    d.kill();
    await d.exited;
  });

  it('a large enqueue-sweep shows progress on a terminal, and nothing of it in a pipe', async () => {
    const ws = tempWorkspace();
    const values = Array.from({ length: 250 }, (_, i) => i);
    const planPath = writePlan(ws, samplePlan(ws, { strategy: { type: 'grid', parameters: [{ path: 'seed', values }] } }));
    const tty = await execa('script', ['-qec', `${process.execPath} ${CLI} enqueue-sweep --plan ${planPath}`, '/dev/null'], { cwd: ws, reject: false });
    expect(tty.exitCode).toBe(0);
    expect(String(tty.stdout)).toContain('Writing run folders 250/250');
    const piped = await runCli(['enqueue-sweep', '--plan', planPath], { cwd: ws });
    expect(piped.stderr).toBe('');
    expect(piped.stdout).not.toContain('Writing run folders');
  });
});
