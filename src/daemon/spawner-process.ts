/**
 * The spawner: a small Node process that starts the daemon's jobs for it (see spawner.ts). It imports
 * node built-ins only, so it stays small — and starting a process costs in proportion to the size of
 * the process that starts it (fork copies its page tables).
 *
 * Messages from the daemon (IPC): `{id, file, args, cwd, env, outputFile}`. Answers:
 * `{kind: 'started', id, pid, startTime}` or `{kind: 'failed', id, message}`, and when the process
 * ends `{kind: 'exit', id, exitCode, signal}`. When the daemon goes away (IPC disconnect) it exits;
 * the jobs it started lead their own sessions and go on.
 */
import { spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';

interface SpawnRequest {
  id: number;
  file: string;
  args: string[];
  cwd: string;
  env: Record<string, string | undefined>;
  outputFile: string;
}

const send = (message: unknown): void => {
  if (process.connected) process.send?.(message);
};

function startTime(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const ticks = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
    return ticks ? `linux:${ticks}` : null;
  } catch {
    return null;
  }
}

process.on('message', (m: SpawnRequest) => {
  let fd: number | undefined;
  try {
    fd = openSync(m.outputFile, 'a');
    const child = spawn(m.file, m.args, { cwd: m.cwd, env: m.env, detached: true, stdio: ['ignore', fd, fd] });
    child.once('error', (err) => send({ kind: 'failed', id: m.id, message: err.message }));
    if (child.pid === undefined) return;
    const pid = child.pid;
    child.once('exit', (exitCode, signal) => send({ kind: 'exit', id: m.id, exitCode, signal }));
    send({ kind: 'started', id: m.id, pid, startTime: startTime(pid) });
  } catch (err) {
    send({ kind: 'failed', id: m.id, message: (err as Error).message });
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
});
process.on('disconnect', () => process.exit(0));
send({ kind: 'ready' });
