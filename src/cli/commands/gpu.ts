import { detectGpus, GPU_DETECT_ENV, type GpuDetectMode } from '../../gpu/detect.js';
import { table } from '../format.js';
import { resolveWorkspace } from '../options.js';
import { out, outJson } from '../output.js';

/** Why no GPU was found, in the words of the detection that ran. */
export const NO_GPU: Record<GpuDetectMode, string> = {
  auto: 'PyTorch sees no CUDA device and nvidia-smi is missing or reports none',
  torch: `PyTorch sees no CUDA device; ${GPU_DETECT_ENV}=torch skips nvidia-smi`,
  'nvidia-smi': `nvidia-smi is missing or reports none; ${GPU_DETECT_ENV}=nvidia-smi skips PyTorch`,
  none: `GPU detection is off: ${GPU_DETECT_ENV}=none`,
};

export async function gpuCommand(opts: { workspace?: string; json?: boolean }): Promise<number> {
  const ws = resolveWorkspace(opts.workspace);
  const { devices, source, mode } = await detectGpus(ws, process.env);
  if (opts.json) return (outJson({ mode, source, devices }), 0);
  if (devices.length === 0) {
    out(`No GPU detected (${NO_GPU[mode]}); GPU runs use the CPU with gpu_reason=no_gpu_detected`);
    return 0;
  }
  out(`${devices.length} GPU(s), detected by ${source}:`);
  const rows = [
    ['INDEX', 'NAME', 'MEMORY', 'FREE', 'CAPABILITY', 'DRIVER', 'UUID'],
    ...devices.map((d) => [
      String(d.index),
      d.name,
      `${d.memory_total_mb} MiB`,
      `${d.memory_total_mb - d.memory_used_mb} MiB`,
      d.compute_capability ?? '-',
      d.driver_version,
      d.uuid,
    ]),
  ];
  table(rows).forEach((l) => out(l));
  return 0;
}
