/**
 * The device a run uses (SPEC §8). The daemon decides and passes its decision in the environment
 * (`RUNFORGE_GPU_ID` when it assigned a GPU, `RUNFORGE_GPU_REASON` when a GPU request runs on the CPU).
 */
import type { RunRequest } from '../contracts/request.js';

export type GpuReason = 'user_requested_cpu' | 'no_gpu_detected' | 'gpu_slot_unavailable';

export interface DeviceDecision {
  type: 'cpu' | 'gpu';
  gpu_reason?: GpuReason;
  gpu_id?: number;
}

export const ENV_GPU_ID = 'RUNFORGE_GPU_ID';
export const ENV_GPU_REASON = 'RUNFORGE_GPU_REASON';
/** Set by the daemon to `1` or `0`: whether the machine has a GPU. Absent: the run decides alone. */
export const ENV_GPU_PRESENT = 'RUNFORGE_GPU_PRESENT';

const REASONS: readonly GpuReason[] = ['user_requested_cpu', 'no_gpu_detected', 'gpu_slot_unavailable'];

/** The decision for a request, given what the daemon (or detection) said in `env`. */
export function decideDevice(request: RunRequest, env: NodeJS.ProcessEnv): DeviceDecision {
  const gpuPresent = env[ENV_GPU_PRESENT] === '1' || env[ENV_GPU_ID] !== undefined;
  // Note: a foreground `runforge run` fills these in from its own detection (execute.ts).
  if (request.device.type === 'cpu') return gpuPresent ? { type: 'cpu', gpu_reason: 'user_requested_cpu' } : { type: 'cpu' };
  const id = env[ENV_GPU_ID];
  if (id !== undefined && /^\d+$/.test(id)) return { type: 'gpu', gpu_id: Number(id) };
  const reason = env[ENV_GPU_REASON] as GpuReason | undefined;
  return { type: 'cpu', gpu_reason: reason && REASONS.includes(reason) ? reason : 'no_gpu_detected' };
}

/** Environment for the training process: one visible device for a GPU run, none for a CPU run. */
export function deviceEnv(device: DeviceDecision): Record<string, string> {
  return {
    RUNFORGE_DEVICE: device.type,
    CUDA_DEVICE_ORDER: 'PCI_BUS_ID',
    CUDA_VISIBLE_DEVICES: device.type === 'gpu' && device.gpu_id !== undefined ? String(device.gpu_id) : '',
  };
}
