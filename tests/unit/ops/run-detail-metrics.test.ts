/** The run page's metric points (dashboard `GET /api/runs/<id>/metrics`): metrics.jsonl's points that have a step. */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readMetricPoints } from '../../../src/ops/run-detail.js';
import { workspacePaths } from '../../../src/workspace/paths.js';

const root = mkdtempSync(path.join(os.tmpdir(), 'runforge-run-detail-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('readMetricPoints (run page)', () => {
  it('the points with a step, in order; a point without a step, a partial line and a bad value are left out', async () => {
    const ws = workspacePaths(root);
    mkdirSync(path.join(ws.runsDir, 'r1'), { recursive: true });
    writeFileSync(
      path.join(ws.runsDir, 'r1', 'metrics.jsonl'),
      '{"step": 1, "name": "loss", "value": 0.5, "time": 1}\n{"name": "accuracy", "value": 0.9}\n{"step": 2, "name": "loss", "value": null}\n{"step": 3, "name": "loss", "value": 0.25, "epoch": 1, "time": 2}\n{"step": 4, "na',
    );
    expect(await readMetricPoints(ws, 'r1')).toEqual([
      { step: 1, name: 'loss', value: 0.5, time: 1 },
      { step: 3, name: 'loss', value: 0.25, epoch: 1, time: 2 },
    ]);
    expect(await readMetricPoints(ws, 'r2')).toEqual([]);
    await expect(readMetricPoints(ws, '../x')).rejects.toThrow();
  });
});
