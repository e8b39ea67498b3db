/**
 * RUNFORGE_GPU_DETECT (auto|torch|nvidia-smi|none) through the built CLI. Both sources are stand-ins,
 * so the results are the same on a machine with real GPUs: a "Python" whose PyTorch sees one CUDA
 * device (RUNFORGE_PYTHON, which also notes every time it is asked) and an nvidia-smi on PATH that
 * reports two devices.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseJsonOut, runCli } from '../helpers/cli.js';
import { allDone, FAKE_CUDA_PYTHON, FAKE_GPU_BIN, startDaemon, waitFor } from '../helpers/daemon.js';
import { baseRequest, readJson, tempWorkspace, writeRun } from '../helpers/workspace.js';

/** Both stand-ins, detection set to `mode` (undefined: unset, i.e. auto); torch's calls noted in `log`. */
function bothSources(log: string, mode?: string): Record<string, string> {
  return {
    PATH: `${FAKE_GPU_BIN}:${process.env.PATH}`,
    FAKE_GPUS: '0:16000,1:12000',
    RUNFORGE_PYTHON: FAKE_CUDA_PYTHON,
    FAKE_TORCH_LOG: log,
    RUNFORGE_GPU_DETECT: mode ?? '',
  };
}

const torchAsked = (log: string): boolean => existsSync(log) && readFileSync(log, 'utf8').includes('called');

describe('RUNFORGE_GPU_DETECT', () => {
  it.each<[string | undefined, string, string[], boolean]>([
    [undefined, 'torch', ['Fake CUDA GPU'], true],
    ['auto', 'torch', ['Fake CUDA GPU'], true],
    ['torch', 'torch', ['Fake CUDA GPU'], true],
    ['nvidia-smi', 'nvidia-smi', ['Fake RunForge GPU 0', 'Fake RunForge GPU 1'], false],
    ['none', 'none', [], false],
  ])('%s: `runforge gpu --json` reports source %s', async (mode, source, names, asked) => {
    const ws = tempWorkspace();
    const log = path.join(ws, 'torch-asked.log');
    const r = await runCli(['gpu', '--json'], { cwd: ws, env: bothSources(log, mode) });
    expect(r.code).toBe(0);
    const j = parseJsonOut<{ mode: string; source: string; devices: { name: string; source: string }[] }>(r);
    expect(j.mode).toBe(mode ?? 'auto');
    expect(j.source).toBe(source);
    expect(j.devices.map((d) => d.name)).toEqual(names);
    // `nvidia-smi` and `none` never start the torch probe; the others do.
    expect(torchAsked(log)).toBe(asked);
  });

  it('torch: an nvidia-smi that reports devices is not asked when PyTorch sees none', async () => {
    const ws = tempWorkspace();
    // /bin/false stands in for a Python without torch (the probe fails, as it does without CUDA).
    const env = { ...bothSources(path.join(ws, 'log'), 'torch'), RUNFORGE_PYTHON: '/bin/false' };
    const j = parseJsonOut<{ source: string; devices: unknown[] }>(await runCli(['gpu', '--json'], { cwd: ws, env }));
    expect(j).toEqual({ mode: 'torch', source: 'none', devices: [] });
    const text = await runCli(['gpu'], { cwd: ws, env });
    expect(text.lines).toEqual([
      'No GPU detected (PyTorch sees no CUDA device; RUNFORGE_GPU_DETECT=torch skips nvidia-smi); GPU runs use the CPU with gpu_reason=no_gpu_detected',
    ]);
  });

  it('an invalid value is one line and exit 2, for `gpu`, `run` and at daemon start (no lock taken)', async () => {
    const ws = tempWorkspace();
    const line = "Error: RUNFORGE_GPU_DETECT must be auto, torch, nvidia-smi or none (got 'cuda')";
    const env = { RUNFORGE_GPU_DETECT: 'cuda' };
    const gpu = await runCli(['gpu'], { cwd: ws, env });
    expect([gpu.code, gpu.stderr, gpu.stdout]).toEqual([2, line, '']);
    const dir = writeRun(ws, 'r1', baseRequest({ command: ['true'] }));
    const run = await runCli(['run', '--run-dir', dir], { cwd: ws, env });
    expect([run.code, run.stderr]).toEqual([2, line]);
    expect(existsSync(path.join(dir, 'logs.txt'))).toBe(false);
    const d = startDaemon(ws, [], env);
    expect(await d.exited).toBe(2);
    expect(d.stderr().trim()).toBe(line);
    expect(d.output()).toBe('');
    expect(existsSync(path.join(ws, '.runforge', 'queue', 'daemon.lock'))).toBe(false);
  });

  it('none: the daemon hides the stand-in nvidia-smi; a GPU run goes to the CPU with no_gpu_detected', async () => {
    const ws = tempWorkspace();
    const log = path.join(ws, 'torch-asked.log');
    writeRun(ws, 'wants-gpu', baseRequest({ device: { type: 'gpu' }, command: ['sh', '-c', 'echo "cvd=[$CUDA_VISIBLE_DEVICES]"'] }));
    await runCli(['enqueue-run', '--run-id', 'wants-gpu'], { cwd: ws });
    const d = startDaemon(ws, ['--gpu-slots', '1'], bothSources(log, 'none'));
    await d.waitForLine(/DAEMON=STARTED/);
    expect(d.output()).toContain('[DAEMON] No GPU available (GPU detection is off: RUNFORGE_GPU_DETECT=none)');
    await waitFor('done', allDone(ws, 1));
    const dir = path.join(ws, '.ml', 'runs', 'wants-gpu');
    expect(readJson(path.join(dir, 'result.json')).effective_config.device).toEqual({ type: 'cpu', gpu_reason: 'no_gpu_detected' });
    const logs = readFileSync(path.join(dir, 'logs.txt'), 'utf8');
    expect(logs).toContain('[RF:DEVICE=CPU gpu_reason=no_gpu_detected]');
    expect(logs).toContain('cvd=[]');
    expect(torchAsked(log)).toBe(false);
    d.kill();
    await d.exited;
  });

  it('nvidia-smi: the daemon skips torch and gives a GPU run a stand-in nvidia-smi device', async () => {
    const ws = tempWorkspace();
    const log = path.join(ws, 'torch-asked.log');
    writeRun(ws, 'wants-gpu', baseRequest({ device: { type: 'gpu' }, command: ['sh', '-c', 'echo "cvd=[$CUDA_VISIBLE_DEVICES]"'] }));
    await runCli(['enqueue-run', '--run-id', 'wants-gpu'], { cwd: ws });
    const d = startDaemon(ws, ['--gpu-slots', '1'], bothSources(log, 'nvidia-smi'));
    await d.waitForLine(/DAEMON=STARTED/);
    expect(d.output()).toContain('[DAEMON] GPU available (nvidia-smi):');
    expect(d.output()).toContain('  [1] Fake RunForge GPU 1 (16384 MB)');
    await waitFor('done', allDone(ws, 1));
    const dir = path.join(ws, '.ml', 'runs', 'wants-gpu');
    // Device 0 has the most free memory (16000 MiB against 12000).
    expect(readJson(path.join(dir, 'result.json')).effective_config.device).toEqual({ type: 'gpu', gpu_id: 0 });
    expect(readFileSync(path.join(dir, 'logs.txt'), 'utf8')).toContain('cvd=[0]');
    expect(torchAsked(log)).toBe(false);
    d.kill();
    await d.exited;
  });

  it('a foreground `runforge run` follows it too: none hides the stand-in nvidia-smi', async () => {
    const ws = tempWorkspace();
    const log = path.join(ws, 'torch-asked.log');
    const dir = writeRun(ws, 'fg', baseRequest({ device: { type: 'gpu' }, command: ['true'] }));
    const gpu = await runCli(['run', '--run-dir', dir], { cwd: ws, env: bothSources(log, 'nvidia-smi') });
    expect(gpu.code).toBe(0);
    expect(readJson(path.join(dir, 'result.json')).effective_config.device).toEqual({ type: 'gpu', gpu_id: 0 });
    const none = await runCli(['run', '--run-dir', dir], { cwd: ws, env: bothSources(log, 'none') });
    expect(none.code).toBe(0);
    expect(none.stdout).toContain('[RF:DEVICE=CPU gpu_reason=no_gpu_detected]');
    expect(readJson(path.join(dir, 'result.json')).effective_config.device).toEqual({ type: 'cpu', gpu_reason: 'no_gpu_detected' });
    expect(torchAsked(log)).toBe(false);
  });
});
