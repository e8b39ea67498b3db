/**
 * GPU devices (SPEC §8): the nvidia-smi source of detection (`nvidia-smi --query-gpu=…
 * --format=csv,noheader,nounits`, 10 s timeout; the order of sources is in detect.ts) and device
 * assignment. Assignment is pure: the daemon's own reservations first, free memory second, at most
 * `jobsPerGpu` jobs per device.
 */
import { execa } from 'execa';

export interface GpuDevice {
  index: number;
  uuid: string;
  name: string;
  /** MiB. */
  memory_total_mb: number;
  /** MiB, at detection time. */
  memory_used_mb: number;
  driver_version: string;
  compute_capability: string | null;
  source: 'torch' | 'nvidia-smi';
}

const QUERY = 'index,uuid,name,memory.total,memory.used,driver_version';

/** Parses `nvidia-smi --query-gpu=index,uuid,name,memory.total,memory.used,driver_version` CSV output. */
export function parseNvidiaSmi(text: string): GpuDevice[] {
  const devices: GpuDevice[] = [];
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    const cells = line.split(',').map((c) => c.trim());
    if (cells.length < 6) continue;
    const [index, uuid, name, total, used, driver] = cells as [string, string, string, string, string, string];
    if (!/^\d+$/.test(index)) continue;
    devices.push({
      index: Number(index),
      uuid,
      name,
      memory_total_mb: Number(total) || 0,
      memory_used_mb: Number(used) || 0,
      driver_version: driver,
      compute_capability: null,
      source: 'nvidia-smi',
    });
  }
  return devices;
}

/** Asks nvidia-smi (on PATH) for the devices; none when it is missing, fails or takes over 10 s. */
export async function detectWithNvidiaSmi(env: NodeJS.ProcessEnv = process.env): Promise<GpuDevice[]> {
  try {
    const r = await execa('nvidia-smi', [`--query-gpu=${QUERY}`, '--format=csv,noheader,nounits'], {
      timeout: 10_000,
      reject: false,
      env,
      stdin: 'ignore',
    });
    if (r.exitCode !== 0) return [];
    return parseNvidiaSmi(String(r.stdout));
  } catch {
    return [];
  }
}

export interface DeviceLoad {
  /** Jobs this daemon runs on each device index. */
  reservations: ReadonlyMap<number, number>;
  jobsPerGpu: number;
}

/** Free places on devices under their per-device cap. */
export function deviceCapacity(devices: readonly GpuDevice[], load: DeviceLoad): number {
  return devices.reduce((sum, d) => sum + Math.max(0, load.jobsPerGpu - (load.reservations.get(d.index) ?? 0)), 0);
}

/** The device for the next GPU job: fewest reservations, then most free memory, then lowest index. */
export function pickDevice(devices: readonly GpuDevice[], load: DeviceLoad): GpuDevice | undefined {
  const candidates = devices.filter((d) => (load.reservations.get(d.index) ?? 0) < load.jobsPerGpu);
  candidates.sort(
    (a, b) =>
      (load.reservations.get(a.index) ?? 0) - (load.reservations.get(b.index) ?? 0) ||
      b.memory_total_mb - b.memory_used_mb - (a.memory_total_mb - a.memory_used_mb) ||
      a.index - b.index,
  );
  return candidates[0];
}
