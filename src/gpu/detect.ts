/**
 * GPU detection, once per daemon start (SPEC §8): PyTorch (`torch.cuda`) first, then nvidia-smi,
 * else none. The torch probe runs in its own short-lived Python process. `RUNFORGE_GPU_DETECT`
 * narrows it to one source or turns it off (docs/training.md), so tests that stand in a fake
 * nvidia-smi (or want no GPU) give the same results on a machine with a CUDA build of PyTorch.
 */
import { execa } from 'execa';
import { UsageError } from '../infra/errors.js';
import { configuredPython, CANDIDATES } from '../python-env/find-python.js';
import type { WorkspacePaths } from '../workspace/paths.js';
import { detectWithNvidiaSmi, type GpuDevice } from './devices.js';

const TORCH_PROBE = `
import json
try:
    import torch
except Exception:
    print(json.dumps(None)); raise SystemExit(0)
out = []
if torch.cuda.is_available():
    for i in range(torch.cuda.device_count()):
        p = torch.cuda.get_device_properties(i)
        try:
            free, total = torch.cuda.mem_get_info(i)
        except Exception:
            free, total = p.total_memory, p.total_memory
        out.append({"index": i, "uuid": str(getattr(p, "uuid", "")), "name": p.name,
                    "memory_total_mb": total // 1048576, "memory_used_mb": (total - free) // 1048576,
                    "compute_capability": f"{p.major}.{p.minor}"})
print(json.dumps({"devices": out, "driver": torch.version.cuda}))
`;

/** Devices PyTorch sees; empty when torch is missing, has no CUDA, or sees none. */
export async function detectWithTorch(python: string, env: NodeJS.ProcessEnv): Promise<GpuDevice[]> {
  try {
    const r = await execa(python, ['-c', TORCH_PROBE], { reject: false, timeout: 60_000, env, stdin: 'ignore' });
    if (r.exitCode !== 0) return [];
    const info = JSON.parse(String(r.stdout).trim().split('\n').pop() ?? 'null') as {
      devices: Omit<GpuDevice, 'source' | 'driver_version'>[];
      driver: string | null;
    } | null;
    if (!info) return [];
    return info.devices.map((d) => ({ ...d, driver_version: `cuda ${info.driver ?? '?'}`, source: 'torch' as const }));
  } catch {
    return [];
  }
}

/** The environment variable that chooses how GPUs are detected. */
export const GPU_DETECT_ENV = 'RUNFORGE_GPU_DETECT';
/** `auto` (default): torch, then nvidia-smi. `torch` / `nvidia-smi`: only that one. `none`: no GPU. */
export type GpuDetectMode = 'auto' | 'torch' | 'nvidia-smi' | 'none';
const MODES: readonly GpuDetectMode[] = ['auto', 'torch', 'nvidia-smi', 'none'];

/** The detection mode `env` asks for; unset or empty is `auto`. A value outside the four is a usage error. */
export function gpuDetectMode(env: NodeJS.ProcessEnv): GpuDetectMode {
  const value = env[GPU_DETECT_ENV];
  if (value === undefined || value === '') return 'auto';
  if ((MODES as readonly string[]).includes(value)) return value as GpuDetectMode;
  throw new UsageError(`${GPU_DETECT_ENV} must be auto, torch, nvidia-smi or none (got '${value}')`);
}

export interface Detection {
  devices: GpuDevice[];
  source: 'torch' | 'nvidia-smi' | 'none';
  mode: GpuDetectMode;
}

async function detectWithAnyTorch(ws: WorkspacePaths, env: NodeJS.ProcessEnv): Promise<GpuDevice[]> {
  const configured = await configuredPython(ws, env).catch(() => undefined);
  const pythons = configured ? [configured.python] : CANDIDATES.slice(0, 2);
  for (const python of pythons) {
    const devices = await detectWithTorch(python, env);
    if (devices.length > 0) return devices;
  }
  return [];
}

/** Detects the GPUs the way `RUNFORGE_GPU_DETECT` says (throws a UsageError for a bad value). */
export async function detectGpus(ws: WorkspacePaths, env: NodeJS.ProcessEnv): Promise<Detection> {
  const mode = gpuDetectMode(env);
  if (mode === 'auto' || mode === 'torch') {
    const devices = await detectWithAnyTorch(ws, env);
    if (devices.length > 0) return { devices, source: 'torch', mode };
  }
  if (mode === 'auto' || mode === 'nvidia-smi') {
    const devices = await detectWithNvidiaSmi(env);
    if (devices.length > 0) return { devices, source: 'nvidia-smi', mode };
  }
  return { devices: [], source: 'none', mode };
}

/**
 * Detection for a foreground `runforge run` (no daemon decided the device). Under `auto` it asks only
 * nvidia-smi: importing torch would add seconds to every run; the other modes mean what they say.
 */
export async function detectForForegroundRun(ws: WorkspacePaths, env: NodeJS.ProcessEnv): Promise<GpuDevice[]> {
  if (gpuDetectMode(env) === 'auto') return detectWithNvidiaSmi(env);
  return (await detectGpus(ws, env)).devices;
}
