/**
 * GPU detection, once per daemon start (SPEC §8): PyTorch (`torch.cuda`) first, then nvidia-smi,
 * else none. The torch probe runs in its own short-lived Python process.
 */
import { execa } from 'execa';
import { configuredPython, CANDIDATES } from '../run/python.js';
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

export interface Detection {
  devices: GpuDevice[];
  source: 'torch' | 'nvidia-smi' | 'none';
}

export async function detectGpus(ws: WorkspacePaths, env: NodeJS.ProcessEnv): Promise<Detection> {
  const configured = await configuredPython(ws, env).catch(() => undefined);
  const pythons = configured ? [configured.python] : CANDIDATES.slice(0, 2);
  for (const python of pythons) {
    const devices = await detectWithTorch(python, env);
    if (devices.length > 0) return { devices, source: 'torch' };
  }
  const devices = await detectWithNvidiaSmi(env);
  return devices.length > 0 ? { devices, source: 'nvidia-smi' } : { devices: [], source: 'none' };
}
