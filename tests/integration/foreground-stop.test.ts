/**
 * A foreground `runforge run` told to stop (SIGTERM to it alone, as a supervisor that does not signal
 * the group sends it): its program gets SIGTERM, and SIGKILL 10 s later if it ignores that; the run
 * ends cancelled (exit 5) with its result.json, and no process of the run is left.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CLI } from '../helpers/cli.js';
import { waitFor } from '../helpers/daemon.js';
import { baseRequest, readJson, tempWorkspace, writeRun } from '../helpers/workspace.js';

const isAlive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** Starts `runforge run` on a command that writes its PID and loops; returns when the command runs. */
async function startRun(script: string): Promise<{ dir: string; exited: Promise<number | null>; programPid: number; startedMs: number }> {
  const ws = tempWorkspace();
  const dir = writeRun(ws, 'r', baseRequest({ command: ['sh', '-c', `echo "pid=$$"; ${script}`] }));
  const child = spawn(process.execPath, [CLI, 'run', '--run-dir', dir, '--quiet'], { cwd: ws, stdio: 'ignore' });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  let programPid = 0;
  await waitFor('the command runs', () => {
    programPid = Number(/pid=(\d+)/.exec(readFileSync(path.join(dir, 'logs.txt'), 'utf8'))?.[1] ?? 0);
    return programPid > 0;
  }, 60_000);
  const startedMs = Date.now();
  child.kill('SIGTERM'); // to runforge alone, not its process group
  return { dir, exited, programPid, startedMs };
}

describe('runforge run stopped by SIGTERM', () => {
  it('passes SIGTERM to its program: cancelled at once', async () => {
    const { dir, exited, programPid, startedMs } = await startRun('while :; do sleep 0.1; done');
    expect(await exited).toBe(5);
    expect(Date.now() - startedMs).toBeLessThan(9_000);
    expect(readJson(path.join(dir, 'result.json'))).toMatchObject({ status: 'cancelled', error: { type: 'Cancelled' } });
    expect(isAlive(programPid)).toBe(false);
  }, 120_000);

  it('a program that ignores SIGTERM gets SIGKILL 10 s later: cancelled all the same', async () => {
    const { dir, exited, programPid, startedMs } = await startRun("trap '' TERM; while :; do sleep 0.1; done");
    expect(await exited).toBe(5);
    expect(Date.now() - startedMs).toBeGreaterThanOrEqual(9_500);
    expect(readJson(path.join(dir, 'result.json'))).toMatchObject({ status: 'cancelled', error: { type: 'Cancelled' } });
    expect(isAlive(programPid)).toBe(false);
  }, 120_000);
});
