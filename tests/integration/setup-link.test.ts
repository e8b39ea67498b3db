/**
 * `bash scripts/setup.sh` ends with "Look around: cd … && runforge queue-status": that command must work
 * exactly as printed, in the user's shell, on a machine where nothing named runforge was installed
 * before. Run from a fresh clone of the committed HEAD, with two things left out (not what is tested,
 * and slow or global): the apt/pip step and `npm ci` (node_modules is this checkout's, linked).
 */
import { chmodSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { afterEach, describe, expect, it } from 'vitest';
import { lookAroundCommand } from '../../src/ops/demo.js';
import { CLI, REPO_ROOT } from '../helpers/cli.js';

const NODE_DIR = path.dirname(process.execPath);
const temps: string[] = [];
afterEach(() => {
  for (const dir of temps.splice(0)) rmSync(dir, { recursive: true, force: true });
});
function tempDir(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'runforge-setup-'));
  temps.push(dir);
  return dir;
}

/** Runs `command` the way a user types it into a shell with `PATH`. */
const inShell = (command: string, PATH: string, cwd: string) =>
  execa('sh', ['-c', command], { cwd, env: { PATH, HOME: os.homedir(), LANG: 'C.UTF-8' }, extendEnv: false, reject: false, stdin: 'ignore' });

describe('scripts/setup.sh from a fresh clone', () => {
  it('links runforge, and the command the demo prints last works as printed', async () => {
    const tmp = tempDir();
    const clone = path.join(tmp, 'clone');
    await execa('git', ['clone', '--quiet', REPO_ROOT, clone]);
    symlinkSync(path.join(REPO_ROOT, 'node_modules'), path.join(clone, 'node_modules'));
    writeFileSync(path.join(clone, 'scripts', 'install-system-deps.sh'), 'echo "system packages: left out by the test"\n');
    // npm: `ci` is left out (it would replace the linked node_modules); `run` is the real one.
    const realNpm = (await execa('sh', ['-c', 'command -v npm'])).stdout.trim();
    const stubs = path.join(tmp, 'stubs');
    mkdirSync(stubs);
    writeFileSync(
      path.join(stubs, 'npm'),
      `#!/bin/sh\ncase "$1" in\n  ci) echo "npm ci: left out by the test"; exit 0 ;;\n  run) exec "${realNpm}" "$@" ;;\n  *) echo "unexpected: npm $*" >&2; exit 1 ;;\nesac\n`,
    );
    chmodSync(path.join(stubs, 'npm'), 0o755);

    // The user's PATH: a bin folder of their own on it, nothing named runforge anywhere.
    const bin = path.join(tmp, 'bin');
    const userPath = [bin, NODE_DIR, '/usr/bin', '/bin'].join(':');
    const before = await inShell('command -v runforge', userPath, tmp);
    expect(before.stdout).toBe('');
    expect(before.exitCode).not.toBe(0);
    const setup = await execa('bash', ['scripts/setup.sh'], {
      cwd: clone,
      env: { PATH: `${stubs}:${userPath}`, HOME: os.homedir(), TMPDIR: tmp, RUNFORGE_BIN_DIR: bin, LANG: 'C.UTF-8' },
      extendEnv: false,
      reject: false,
      stdin: 'ignore',
      timeout: 400_000,
    });
    expect(setup.exitCode, `${setup.stdout}\n${setup.stderr}`).toBe(0);
    const lines = setup.stdout.trim().split('\n');
    expect(lines).toContain(`runforge setup: linked ${bin}/runforge -> ${clone}/dist/cli/bin.cjs`);
    expect(lines).toContain('runforge setup: `runforge` is on PATH');
    const last = /^Done in \d+\.\d s\. Look around: (.*)$/.exec(lines.at(-1)!);
    expect(last?.[1]).toMatch(new RegExp(`^cd ${tmp}/runforge-demo-\\w+ && runforge queue-status$`));
    const demoWs = /^cd (\S+) /.exec(last![1]!)![1]!;

    const status = await inShell(last![1]!, userPath, tmp);
    expect(status.exitCode, status.stderr).toBe(0);
    expect(status.stderr).toBe('');
    expect(status.stdout.split('\n')).toEqual(
      expect.arrayContaining([`Workspace: ${demoWs}`, 'Jobs: 0 queued, 0 running, 8 succeeded, 0 failed, 0 canceled (8 total)']),
    );
  }, 600_000);

  it('without the link on PATH, the printed command is node with the absolute path, quoted, and works', async () => {
    const tmp = tempDir();
    const ws = path.join(tmp, "it's a workspace");
    mkdirSync(ws);
    const noRunforge = [NODE_DIR, '/usr/bin', '/bin'].join(':');
    const printed = lookAroundCommand(ws, { PATH: noRunforge });
    expect(printed).toBe(`cd '${tmp}/it'\\''s a workspace' && node ${CLI} queue-status`);
    const r = await inShell(printed, noRunforge, tmp);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout.split('\n')).toContain(`Workspace: ${ws}`);

    // Another runforge found first on PATH (an older install): not this one, so node again.
    const other = path.join(tmp, 'other');
    mkdirSync(other);
    writeFileSync(path.join(other, 'runforge'), '#!/bin/sh\necho "an older runforge"\n');
    chmodSync(path.join(other, 'runforge'), 0o755);
    expect(lookAroundCommand(ws, { PATH: `${other}:${noRunforge}` })).toBe(printed);
  });
});
