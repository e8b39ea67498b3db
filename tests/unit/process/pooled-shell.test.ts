/**
 * Pooled shells (src/process/pooled-shell.ts, spawner-process.ts): real `sh` processes waiting for a
 * job's script. What a job sees must be what a plain spawn under `withExitFile` gives it.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { POOLED_SHELL, pooledJobScript } from '../../../src/process/pooled-shell.js';
import { readExitFile, shellExit } from '../../../src/process/exit-status.js';
import { isAlive } from '../../../src/process/identity.js';
import { Spawner } from '../../../src/process/spawner.js';
import { systemClock } from '../../../src/infra/clock.js';

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const dir = mkdtempSync(path.join(os.tmpdir(), 'runforge-pool-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Runs `script` in a shell started as the pool starts them; its exit code. */
function runPooled(script: string, env: Record<string, string>): number | null {
  return spawnSync(POOLED_SHELL[0], POOLED_SHELL.slice(1), { input: script, env, cwd: '/' }).status;
}

const baseEnv = { PATH: process.env.PATH!, KEEP: 'same', DROP: 'gone soon', CHANGE: 'old' };

describe('the script of a pooled shell', () => {
  it('runs the program from its folder, with the job environment, output appended, exit status written', () => {
    const work = path.join(dir, 'work');
    mkdirSync(work, { recursive: true });
    const out = path.join(dir, 'out.log');
    const exitFile = path.join(dir, 'exit');
    writeFileSync(out, 'before\n');
    const args = ['-c', 'pwd; printf "%s|" "$@"; echo; env | sort | grep -E "^(KEEP|DROP|CHANGE)="; printf "[%s]\\n" "$NEW"; echo err >&2; exit 3', 'sh', "it's", 'two words', 'a\nnewline', '$HOME', ''];
    const script = pooledJobScript({
      program: 'sh',
      args,
      cwd: work,
      env: { PATH: process.env.PATH!, KEEP: 'same', CHANGE: "new 'quoted' $value", NEW: 'x\ny' },
      baseEnv,
      outputFile: out,
      exitFile,
    })!;
    expect(runPooled(script, baseEnv)).toBe(3);
    expect(readFileSync(out, 'utf8')).toBe(
      ['before', work, "it's|two words|a\nnewline|$HOME||", "CHANGE=new 'quoted' $value", 'KEEP=same', '[x', 'y]', 'err', ''].join('\n'),
    );
    expect(readExitFile(exitFile)).toEqual({ exitCode: 3, signal: null });
  });

  it('the program reads nothing of the script: its standard input is empty, and the script goes on after it', () => {
    const out = path.join(dir, 'stdin.log');
    const exitFile = path.join(dir, 'stdin-exit');
    const script = pooledJobScript({ program: 'sh', args: ['-c', 'cat; echo "read: $(wc -c)"; exit 4'], cwd: dir, env: baseEnv, baseEnv, outputFile: out, exitFile })!;
    expect(runPooled(script, baseEnv)).toBe(4);
    expect(readFileSync(out, 'utf8')).toBe('read: 0\n');
    expect(readExitFile(exitFile)).toEqual({ exitCode: 4, signal: null });
  });

  it('a shell given no script (end of input) runs nothing and exits 0', () => {
    const r = spawnSync(POOLED_SHELL[0], POOLED_SHELL.slice(1), { input: '', env: baseEnv, cwd: '/' });
    expect({ status: r.status, stdout: String(r.stdout), stderr: String(r.stderr) }).toEqual({ status: 0, stdout: '', stderr: '' });
  });

  it('a variable sh cannot name is left to a plain spawn', () => {
    const job = { program: 'true', args: [], cwd: '/', baseEnv, outputFile: path.join(dir, 'o'), exitFile: path.join(dir, 'e') };
    expect(pooledJobScript({ ...job, env: { ...baseEnv, 'NOT-A-NAME': '1' } })).toBeUndefined();
    expect(runPooled(pooledJobScript({ ...job, env: { ...baseEnv } })!, baseEnv)).toBe(0);
    expect(readExitFile(job.exitFile)).toEqual({ exitCode: 0, signal: null });
  });
});

describe('the spawner pool', () => {
  const waitFor = async <T>(what: string, f: () => T | undefined, ms = 20_000, everyMs = 20): Promise<T> => {
    const end = Date.now() + ms;
    for (;;) {
      const v = f();
      if (v !== undefined && v !== false) return v;
      if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, everyMs));
    }
  };

  it('hands out shells known by PID before their job, runs a job only once started, and lets a discarded one go', async () => {
    const spawner = new Spawner(path.join(REPO_ROOT, 'dist', 'process', 'spawner-process.js'), systemClock);
    const env = { PATH: process.env.PATH! };
    spawner.usePool(2, env);
    try {
      const first = await waitFor('a pooled shell', () => spawner.takePooled());
      const second = await waitFor('another pooled shell', () => spawner.takePooled());
      expect(first.pid).not.toBe(second.pid);
      expect(isAlive(first.pid) && isAlive(second.pid)).toBe(true);
      expect(first.pgid).toBe(first.pid);
      const marker = path.join(dir, 'ran');
      const exitFile = path.join(dir, 'pool-exit');
      const script = pooledJobScript({ program: 'sh', args: ['-c', `echo $$ > ${marker}`], cwd: dir, env, baseEnv: env, outputFile: path.join(dir, 'pool.log'), exitFile })!;
      // Waiting: nothing ran yet.
      await new Promise((r) => setTimeout(r, 200));
      expect(existsSync(marker)).toBe(false);
      first.start(script, exitFile);
      expect(shellExit(await first.exited)).toEqual({ exitCode: 0, signal: null });
      expect(existsSync(marker)).toBe(true);
      expect(readExitFile(exitFile)).toEqual({ exitCode: 0, signal: null });
      second.discard();
      expect(await second.exited).toEqual({ exitCode: 0, signal: null });
      // The pool is refilled.
      const third = await waitFor('a refilled pool', () => spawner.takePooled());
      expect([first.pid, second.pid]).not.toContain(third.pid);
      third.discard();
      await third.exited;
    } finally {
      spawner.close();
    }
  });

  it('when the spawner goes away, its waiting shells exit without running anything', async () => {
    const spawner = new Spawner(path.join(REPO_ROOT, 'dist', 'process', 'spawner-process.js'), systemClock);
    // A pool of 8, closed as soon as the first shell is there: the spawner is still handing the
    // others over (each waits for the daemon's acknowledgement), and must go all the same.
    spawner.usePool(8, { PATH: process.env.PATH! });
    const taken = await waitFor('a pooled shell', () => spawner.takePooled(), 20_000, 1);
    spawner.close();
    expect(await taken.exited).toEqual({ exitCode: null, signal: null });
    await waitFor('the shell gone', () => !isAlive(taken.pid));
  });
});
