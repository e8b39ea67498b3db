import { readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { validateDocument } from '../../src/contracts/index.js';
import { runCli } from '../helpers/cli.js';
import { queueFile, readJson, samplePlan, tempWorkspace, writePlan, writeRun } from '../helpers/workspace.js';

describe('concurrent CLI processes', () => {
  it('8 processes enqueuing a 50-run sweep each at the same moment → exactly 400 jobs, unique ids, valid files', async () => {
    const ws = tempWorkspace();
    const values = Array.from({ length: 50 }, (_, i) => i);
    const planPath = writePlan(ws, samplePlan(ws, { strategy: { type: 'grid', parameters: [{ path: 'seed', values }] } }));
    const results = await Promise.all(Array.from({ length: 8 }, () => runCli(['enqueue-sweep', '--plan', planPath], { cwd: ws })));
    for (const r of results) {
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
    }
    const queue = readJson(queueFile(ws));
    expect(validateDocument('queue', queue).ok).toBe(true);
    expect(queue.jobs).toHaveLength(400);
    expect(new Set(queue.jobs.map((j: any) => j.job_id)).size).toBe(400);
    expect(new Set(queue.jobs.map((j: any) => j.run_id)).size).toBe(400);
    const groups = readdirSync(path.join(ws, '.runforge', 'groups'));
    expect(groups).toHaveLength(8);
    for (const gid of groups) {
      const group = readJson(path.join(ws, '.runforge', 'groups', gid, 'group.json'));
      expect(validateDocument('group', group).ok).toBe(true);
      expect(group.summary.total).toBe(50);
      expect(queue.jobs.filter((j: any) => j.group_id === gid)).toHaveLength(50);
    }
  });

  it('8 processes each enqueuing 6 runs one by one, interleaved → 48 jobs, none lost', async () => {
    const ws = tempWorkspace();
    for (let p = 0; p < 8; p++) for (let i = 0; i < 6; i++) writeRun(ws, `p${p}-r${i}`);
    await Promise.all(
      Array.from({ length: 8 }, async (_, p) => {
        for (let i = 0; i < 6; i++) {
          const r = await runCli(['enqueue-run', '--run-id', `p${p}-r${i}`], { cwd: ws });
          expect(r.code).toBe(0);
        }
      }),
    );
    const queue = readJson(queueFile(ws));
    expect(queue.jobs).toHaveLength(48);
    expect(new Set(queue.jobs.map((j: any) => j.job_id)).size).toBe(48);
    expect(new Set(queue.jobs.map((j: any) => j.run_id)).size).toBe(48);
  });

  it('the same run enqueued by 6 processes at once is queued exactly once', async () => {
    const ws = tempWorkspace();
    writeRun(ws, 'contested');
    const results = await Promise.all(Array.from({ length: 6 }, () => runCli(['enqueue-run', '--run-id', 'contested'], { cwd: ws })));
    expect(results.filter((r) => r.code === 0)).toHaveLength(1);
    expect(results.filter((r) => r.code === 1 && r.stderr.includes('is already queued'))).toHaveLength(5);
    expect(readJson(queueFile(ws)).jobs).toHaveLength(1);
  });
});
