import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { fromShellStatus, readExitFile } from '../../../src/process/exit-status.js';
import { findProgram } from '../../../src/process/spawn.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'runforge-exit-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const file = (name: string, text: string): string => {
  const f = path.join(dir, name);
  writeFileSync(f, text);
  return f;
};

describe('exit status files', () => {
  it.each([
    ['the sh wrapper: a code', '0\n', { exitCode: 0, signal: null }],
    ['the sh wrapper: a failure', '3\n', { exitCode: 3, signal: null }],
    ['the sh wrapper: 128+N is signal N', '143\n', { exitCode: null, signal: 'SIGTERM' }],
    ['the warm worker: a code', '{"pid":7,"exit_code":1,"signal":null}', { pid: 7, exitCode: 1, signal: null }],
    ['the warm worker: a signal', '{"pid":7,"exit_code":null,"signal":"SIGKILL"}', { pid: 7, exitCode: null, signal: 'SIGKILL' }],
    ['not the warm worker\'s form', '{"exit_code":"0"}', undefined],
  ])('%s', (_name, text, expected) => {
    expect(readExitFile(file(`f${Math.random()}`, text))).toEqual(expected);
  });

  it('a missing or cut-short file is no exit status', () => {
    expect(readExitFile(path.join(dir, 'absent'))).toBeUndefined();
    expect(readExitFile(file('cut', '{"pid":7,"exit_'))).toBeUndefined();
  });

  it('shell statuses above 192 are plain exit codes', () => {
    expect(fromShellStatus(255)).toEqual({ exitCode: 255, signal: null });
  });
});

describe('findProgram', () => {
  it('finds a program on PATH, a path relative to cwd, and nothing for a missing or non-executable one', () => {
    expect(findProgram('sh', '/', '/nonexistent:/bin:/usr/bin')).toMatch(/\/sh$/);
    expect(findProgram('./x.sh', dir, '')).toBeUndefined();
    file('x.sh', '#!/bin/sh\n');
    expect(findProgram('./x.sh', dir, '')).toBeUndefined(); // not executable
    expect(findProgram('definitely-not-a-program-xyz', '/', process.env.PATH)).toBeUndefined();
  });
});
