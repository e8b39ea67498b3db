/**
 * The CLI on a full or read-only workspace (a 256 KiB tmpfs): a clear one-line error, exit 1, the
 * previous files intact, and a sweep that did not fit leaves nothing half made (run folders without
 * request.json, a group naming runs that are not there), enqueued or run directly.
 */
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { enqueuePlan, queueFile, runCli, samplePlan, tempWorkspace } from '../lib.js';
import { few, type Part } from './common.js';
import { halfMade, type SmallDisk, smallDisk } from './small-disk.js';

const NAME = 'full / read-only workspace (CLI)';

export async function cliOnSmallDisk(): Promise<Part> {
  let disk: SmallDisk;
  try {
    disk = smallDisk('256k');
  } catch (err) {
    return { name: NAME, ok: false, lost: 0, detail: `could not mount a small file system to fill: ${String(err).split('\n')[0]}` };
  }
  const { ws } = disk;
  const details: string[] = [];
  let ok = true;
  try {
    await enqueuePlan(ws, samplePlan(ws));
    const intact = readFileSync(queueFile(ws), 'utf8');
    const sameQueue = (): boolean => readFileSync(queueFile(ws), 'utf8') === intact;
    // A sweep too big for the disk, enqueued and then run directly.
    const big = samplePlan(ws, { strategy: { type: 'grid', parameters: [{ path: 'seed', values: Array.from({ length: 2000 }, (_, i) => i) }] } });
    const bigPlan = path.join(tempWorkspace(), 'big.json');
    writeFileSync(bigPlan, JSON.stringify(big));
    for (const [mode, args] of [
      ['enqueued', ['enqueue-sweep', '--plan', bigPlan, '--workspace', ws]],
      ['direct', ['sweep', '--plan', bigPlan, '--workspace', ws]],
    ] as const) {
      const full = await runCli(args);
      const line = full.stderr.trim();
      const leftovers = halfMade(ws);
      const good = full.code === 1 && /no space left on device \(ENOSPC\)/.test(line) && line.split('\n').length === 1 && sameQueue() && leftovers.length === 0;
      details.push(`full, ${mode} sweep: exit ${full.code} "${line.slice(0, 100)}", queue.json intact ${sameQueue()}, ${leftovers.length ? few(leftovers) : 'nothing half made'}`);
      ok &&= good;
    }
    disk.readOnly();
    const gid = readdirSync(path.join(ws, '.runforge', 'groups'))[0]!;
    const ro = await runCli(['pause-group', '--group-id', gid, '--workspace', ws]);
    const roLine = ro.stderr.trim();
    const status = await runCli(['queue-status', '--json', '--workspace', ws]);
    const roOk = ro.code === 1 && /read-only file system \(EROFS\)/.test(roLine) && roLine.split('\n').length === 1 && sameQueue() && status.code === 0;
    details.push(`read-only: exit ${ro.code} "${roLine.slice(0, 100)}", queue.json intact ${sameQueue()}, queue-status still works: ${status.code === 0}`);
    ok &&= roOk;
  } finally {
    disk.unmount();
  }
  return { name: NAME, ok, lost: 0, detail: details.join('; ') };
}
