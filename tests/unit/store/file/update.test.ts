/** updateState's own work per update: one parse, one serialisation, and no stale in-process copy. */
import { existsSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { TestClock } from '../../../../src/infra/clock.js';
import { makeJob } from '../../../../src/queue/jobs.js';
import { workspacePaths } from '../../../../src/workspace/paths.js';
import { stageUpdate, updateState } from '../../../../src/store/file/update.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
function workspace() {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'runforge-store-'));
  dirs.push(dir);
  return workspacePaths(dir);
}
const clock = new TestClock(Date.UTC(2026, 0, 1));
const addJob = (runId: string) => (tx: Parameters<Parameters<typeof updateState>[2]>[0]) => {
  tx.queue.jobs.push(makeJob({ jobId: tx.newJobId(), runId, groupId: null, priority: 0, requiresGpu: false, attempt: 1, createdAt: tx.now }));
};
const runIds = (file: string): string[] => (JSON.parse(readFileSync(file, 'utf8')) as { jobs: { run_id: string }[] }).jobs.map((j) => j.run_id);

describe('updateState', () => {
  it('an update that changes nothing does not rewrite queue.json', async () => {
    const ws = workspace();
    await updateState(ws, clock, addJob('a'));
    const before = readFileSync(ws.queueFile, 'utf8');
    writeFileSync(ws.queueFile, before); // a new mtime, the same bytes
    await updateState(ws, clock, () => undefined);
    expect(readFileSync(ws.queueFile, 'utf8')).toBe(before);
  });

  it('sees a queue.json another process wrote since, even of the same size', async () => {
    const ws = workspace();
    await updateState(ws, clock, addJob('a'));
    const text = readFileSync(ws.queueFile, 'utf8');
    // As every RunForge process writes: a new file renamed over it.
    writeFileSync(`${ws.queueFile}.other`, text.replace('"run_id": "a"', '"run_id": "b"'));
    renameSync(`${ws.queueFile}.other`, ws.queueFile);
    await updateState(ws, clock, addJob('c'));
    expect(runIds(ws.queueFile)).toEqual(['b', 'c']);
  });

  it('sees an edit in place of queue.json, even of the same size', async () => {
    const ws = workspace();
    await updateState(ws, clock, addJob('a'));
    const text = readFileSync(ws.queueFile, 'utf8');
    // Later than a tick of the file clock (1-10 ms; the limit is in docs/architecture.md).
    await new Promise((resolve) => setTimeout(resolve, 30));
    writeFileSync(ws.queueFile, text.replace('"run_id": "a"', '"run_id": "b"'));
    await updateState(ws, clock, addJob('c'));
    expect(runIds(ws.queueFile)).toEqual(['b', 'c']);
  });

  it('an update that throws after changing the queue leaves no trace, on disk or in memory', async () => {
    const ws = workspace();
    await updateState(ws, clock, addJob('a'));
    await expect(
      updateState(ws, clock, (tx) => {
        addJob('lost')(tx);
        tx.queue.jobs[0]!.state = 'failed';
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    await updateState(ws, clock, addJob('b'));
    const jobs = JSON.parse(readFileSync(ws.queueFile, 'utf8')).jobs as { run_id: string; state: string }[];
    expect(jobs.map((j) => [j.run_id, j.state])).toEqual([
      ['a', 'queued'],
      ['b', 'queued'],
    ]);
  });

  it('a corrupt queue.json is still reported after this process wrote it', async () => {
    const ws = workspace();
    await updateState(ws, clock, addJob('a'));
    writeFileSync(ws.queueFile, '{"version": 1');
    await expect(updateState(ws, clock, addJob('b'))).rejects.toThrow(/queue\.json is corrupt/);
    expect(readFileSync(ws.queueFile, 'utf8')).toBe('{"version": 1');
  });

  it('updates staged one after another while earlier ones are still being written lose nothing, in any rhythm', async () => {
    const ws = workspace();
    const pending: Promise<void>[] = [];
    const expected: string[] = [];
    // Like the daemon: the next update starts as soon as the previous one is staged, sometimes after it
    // is written (so chains of updates end and new ones start, at every point of their writing).
    for (let i = 0; i < 240; i++) {
      const { written } = await stageUpdate(ws, clock, addJob(`r${i}`));
      expected.push(`r${i}`);
      pending.push(written);
      if (i % 2 === 0) {
        // Right after the write, a few microtask turns later each time: the moment a chain ends.
        await written;
        for (let turn = 0; turn < (i / 2) % 8; turn++) await Promise.resolve();
      } else if (i % 5 === 1) await new Promise((resolve) => setImmediate(resolve));
      else if (i % 11 === 3) await new Promise((resolve) => setTimeout(resolve, 1));
    }
    await Promise.all(pending);
    expect(runIds(ws.queueFile)).toEqual(expected);
    // And a plain update after them all starts from all of them.
    await updateState(ws, clock, addJob('last'));
    expect(runIds(ws.queueFile)).toEqual([...expected, 'last']);
  });

  it('an update that waits for another file is written only once that file is, and not at all if it fails', async () => {
    const ws = workspace();
    let release!: () => void;
    const other = new Promise<void>((resolve) => (release = resolve));
    const { written } = await stageUpdate(ws, clock, (tx) => {
      addJob('waits')(tx);
      tx.waitFor(other);
    });
    let done = false;
    void written.then(() => (done = true));
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(done).toBe(false);
    expect(existsSync(ws.queueFile)).toBe(false);
    release();
    await written;
    expect(runIds(ws.queueFile)).toEqual(['waits']);

    const failing = stageUpdate(ws, clock, (tx) => {
      addJob('never')(tx);
      tx.waitFor(Promise.reject(new Error('result.json could not be written')));
    });
    await expect((await failing).written).rejects.toThrow('result.json could not be written');
    expect(runIds(ws.queueFile)).toEqual(['waits']);
    // The next update starts from the files, without the one that failed.
    await updateState(ws, clock, addJob('after'));
    expect(runIds(ws.queueFile)).toEqual(['waits', 'after']);
  });

  it('once written, an update is on disk: each staged update lands in order', async () => {
    const ws = workspace();
    const onDisk: Promise<number>[] = [];
    for (let i = 0; i < 40; i++) {
      const { written } = await stageUpdate(ws, clock, addJob(`r${i}`));
      onDisk.push(written.then(() => runIds(ws.queueFile).length));
      if (i % 9 === 0) await written;
    }
    const lengths = await Promise.all(onDisk);
    lengths.forEach((n, i) => expect(n, `jobs on disk once update ${i} was written`).toBeGreaterThanOrEqual(i + 1));
    expect(runIds(ws.queueFile)).toHaveLength(40);
  });
});
