/**
 * The daemon on a disk that fills up, and then turns read-only, while it starts and ends jobs (a 4 MiB
 * tmpfs workspace): it says so in its log, corrupts no file, and carries on by itself once the disk
 * takes writes again — every run of both sweeps succeeded, exactly once.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { commandPlan, type DaemonHandle, enqueuePlan, groupFile, readJson, startDaemon, stopAllDaemons, waitFor } from '../lib.js';
import { allJobs, consistency, corruptFiles, few, isLive, type Part, sleep } from './common.js';
import { type SmallDisk, smallDisk } from './small-disk.js';

const NAME = 'full / read-only disk under the daemon';
const logFile = (ws: string): string => path.join(ws, '.runforge', 'queue', 'daemon.log');
const RUNS = 12;
/** How long each outage lasts once the daemon has reported it: jobs end and are due to start meanwhile. */
const OUTAGE_MS = 2000;
/** A job that prints (into output.log, on the same disk) and does not mind when the disk refuses it. */
const JOB = ['sh', '-c', 'echo "begin $RUNFORGE_SEED"; sleep 0.4; echo end; true'];

interface Outage {
  name: string;
  code: string;
  breakDisk(): void;
  repair(): void;
}

/** One outage while the daemon works on a fresh sweep; returns the sweep's group id. */
async function outage(disk: SmallDisk, daemon: DaemonHandle, o: Outage, notes: string[]): Promise<{ gid: string; good: boolean }> {
  const startedBefore = daemon.output().split('\n').filter((l) => l.includes('JOB_STARTED')).length;
  const gid = await enqueuePlan(disk.ws, commandPlan(disk.ws, RUNS, JOB, undefined, `${o.name} sweep`));
  // Broken while the daemon is busy with this sweep: it has started a job of it.
  const dead = (): boolean => daemon.proc.exitCode !== null || daemon.proc.signalCode !== null;
  const started = await waitFor('a job of the sweep started', () => dead() || daemon.output().split('\n').filter((l) => l.includes('JOB_STARTED')).length > startedBefore, 60_000).catch(() => false);
  if (!started || dead()) {
    notes.push(`${o.name}: ${dead() ? 'the daemon had died before' : 'no job of the sweep started'}`);
    return { gid, good: false };
  }
  // Said on stderr or in daemon.log (which, on a full disk, gets its lines once there is room again).
  const said = (): number => `${daemon.stderr()}${readFileSync(logFile(disk.ws), 'utf8')}`.split('\n').filter((l) => l.includes(o.code)).length;
  const before = said();
  o.breakDisk();
  const noticed = await waitFor(`the daemon reporting ${o.code}`, () => said() > before, 30_000).catch(() => false);
  await sleep(OUTAGE_MS);
  const corruptMeanwhile = corruptFiles(disk.ws);
  o.repair();
  const done = await waitFor(
    `${o.name} sweep done`,
    () => {
      const jobs = allJobs(disk.ws).filter((j) => j.group_id === gid);
      return jobs.length >= RUNS && !jobs.some(isLive) && readJson(groupFile(disk.ws, gid)).status !== 'running';
    },
    90_000,
  ).catch(() => false);
  notes.push(`${o.name}: daemon reported ${o.code} ${noticed ? 'yes' : 'NO'}, corrupt files during it ${corruptMeanwhile.length ? few(corruptMeanwhile) : 'none'}, resumed ${done ? 'yes' : 'NO'}`);
  return { gid, good: !!noticed && !!done && corruptMeanwhile.length === 0 };
}

export async function daemonOnSmallDisk(): Promise<Part> {
  let disk: SmallDisk;
  try {
    disk = smallDisk('4m');
  } catch (err) {
    return { name: NAME, ok: false, lost: undefined, detail: `could not mount a small file system to fill: ${String(err).split('\n')[0]}` };
  }
  const { ws } = disk;
  const notes: string[] = [];
  try {
    const daemon = startDaemon(ws, ['--max-parallel', '3']);
    await daemon.waitForLine(/DAEMON=STARTED/, 60_000);
    const { gid: full, good: fullGood } = await outage(disk, daemon, { name: 'full', code: 'ENOSPC', breakDisk: disk.fill, repair: disk.free }, notes);
    const { gid: ro, good: roGood } = await outage(disk, daemon, { name: 'read-only', code: 'EROFS', breakDisk: disk.readOnly, repair: disk.writable }, notes);
    const alive = daemon.proc.exitCode === null && daemon.proc.signalCode === null;
    daemon.kill();
    await daemon.exited;
    const log = readFileSync(logFile(ws), 'utf8');
    const clear = (code: string): boolean => new RegExp(`cannot \\w+ \\S+: [a-z -]+ \\(${code}\\)`).test(log);
    const jobs = allJobs(ws);
    const runs = new Set(jobs.filter((j) => j.group_id === full || j.group_id === ro).map((j) => j.run_id));
    const successes = new Map<string, number>();
    for (const j of jobs) if (j.state === 'succeeded') successes.set(j.run_id, (successes.get(j.run_id) ?? 0) + 1);
    const notOnce = [...runs].filter((r) => successes.get(r) !== 1);
    const groups = [full, ro].map((g) => readJson(groupFile(ws, g)).status as string);
    const corrupt = corruptFiles(ws);
    const problems = consistency(ws);
    const errorLines = log.split('\n').filter((l) => l.includes('"level":50')).length;
    const ok =
      alive &&
      clear('ENOSPC') &&
      clear('EROFS') &&
      fullGood &&
      roGood &&
      runs.size === 2 * RUNS &&
      notOnce.length === 0 &&
      groups.every((s) => s === 'completed') &&
      corrupt.length === 0 &&
      problems.length === 0;
    const lost = [...runs].filter((r) => !successes.has(r)).length + (2 * RUNS - runs.size);
    return {
      name: NAME,
      ok,
      lost,
      detail: `${notes.join('; ')}; daemon ${alive ? 'alive' : `DEAD (${daemon.stderr().split('\n').find((l) => /^\w*Error/.test(l))?.slice(0, 160) ?? 'no error line'})`}; daemon.log names the file and ENOSPC: ${clear('ENOSPC')}, EROFS: ${clear('EROFS')} (${errorLines} error lines); ${RUNS * 2 - notOnce.length}/${RUNS * 2} runs succeeded exactly once${notOnce.length ? ` (not: ${few(notOnce.map((r) => `${r} ${jobs.filter((j) => j.run_id === r).map((j) => `${j.state}:${j.error ?? ''}`).join('/')}`), 2)})` : ''}; groups ${groups.join(', ')}; corrupt files ${corrupt.length ? few(corrupt) : 'none'}${problems.length ? `; ${few(problems)}` : ''}`,
    };
  } finally {
    await stopAllDaemons();
    disk.unmount();
  }
}
