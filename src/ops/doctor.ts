/** `runforge doctor`: everything RunForge depends on, each checked, with the fix when it is missing. */
import { detectWithNvidiaSmi } from '../gpu/devices.js';
import { detectWithTorch } from '../gpu/detect.js';
import type { Clock } from '../infra/clock.js';
import { probeDaemonProcess } from '../process/daemon-liveness.js';
import { assessDaemon, STALE_HEARTBEAT_REASON } from '../queue/daemon-health.js';
import { BASE_MODULES, CANDIDATES, configuredPython, probePython, TORCH_MODULE } from '../python-env/find-python.js';
import type { WorkspacePaths } from '../workspace/paths.js';
import type { Store } from '../store/store.js';
import { readDaemonStatus } from '../workspace/daemon-files.js';

export type CheckStatus = 'ok' | 'missing' | 'warn';

export interface Check {
  name: string;
  status: CheckStatus;
  detail: string;
  fix?: string;
}

const INSTALL = 'run `bash scripts/install-system-deps.sh` (Debian: apt python3-sklearn python3-pandas python3-joblib python3-torch) or `pip install -r python/requirements.txt`';

export async function runDoctor(store: Store, ws: WorkspacePaths, env: NodeJS.ProcessEnv, clock: Clock): Promise<Check[]> {
  const checks: Check[] = [];
  const [major, minor] = process.versions.node.split('.').map(Number) as [number, number];
  checks.push(
    major > 20 || (major === 20 && minor >= 19)
      ? { name: 'node', status: 'ok', detail: `Node.js ${process.versions.node}` }
      : { name: 'node', status: 'missing', detail: `Node.js ${process.versions.node} is older than 20.19`, fix: 'install Node.js 20.19 or newer' },
  );

  const modules = [...BASE_MODULES, TORCH_MODULE];
  const configured = await configuredPython(ws, env).catch(() => undefined);
  const candidates = configured ? [configured.python] : CANDIDATES;
  const probes = await Promise.all(candidates.map((c) => probePython(c, modules)));
  const full = probes.find((p) => p.missing?.length === 0);
  const base = probes.find((p) => p.missing !== null && BASE_MODULES.every((m) => !p.missing!.includes(m)));
  const chosen = full ?? base;
  if (chosen) {
    checks.push({ name: 'python', status: 'ok', detail: `${chosen.candidate} → ${chosen.executable} (Python ${chosen.version})${configured ? `, set by ${configured.source}` : ''}` });
  } else {
    const seen = probes.map((p) => (p.missing === null ? `${p.candidate}: not runnable` : `${p.candidate}: lacks ${p.missing.join(', ')}`)).join('; ');
    checks.push({ name: 'python', status: 'missing', detail: `no Python with the trainer's modules (${seen})`, fix: INSTALL });
  }
  const best = chosen ?? probes.find((p) => p.missing !== null);
  for (const m of BASE_MODULES) {
    const has = best?.missing ? !best.missing.includes(m) : false;
    checks.push(has ? { name: m, status: 'ok', detail: `importable by ${best!.candidate}` } : { name: m, status: 'missing', detail: 'not importable', fix: INSTALL });
  }
  const torchOk = !!full;
  checks.push(
    torchOk
      ? { name: 'torch', status: 'ok', detail: `importable by ${full!.candidate}` }
      : { name: 'torch', status: 'warn', detail: 'not importable: the mlp family cannot train', fix: INSTALL },
  );
  const cuda = torchOk ? await detectWithTorch(full!.candidate, env) : [];
  checks.push(
    cuda.length > 0
      ? { name: 'cuda', status: 'ok', detail: `PyTorch sees ${cuda.length} CUDA device(s): ${cuda.map((d) => d.name).join(', ')}` }
      : { name: 'cuda', status: 'warn', detail: 'PyTorch sees no CUDA device: GPU runs use the CPU (gpu_reason=no_gpu_detected)', fix: 'on a GPU machine install a CUDA build of PyTorch and the NVIDIA driver' },
  );
  const smi = await detectWithNvidiaSmi(env);
  checks.push(
    smi.length > 0
      ? { name: 'nvidia-smi', status: 'ok', detail: `${smi.length} device(s): ${smi.map((d) => `${d.index} ${d.name}`).join(', ')}` }
      : { name: 'nvidia-smi', status: 'warn', detail: 'not found or reports no device', fix: 'install the NVIDIA driver (it ships nvidia-smi) on a GPU machine' },
  );

  try {
    const queue = await store.readQueue();
    const groups = await store.listGroups();
    const archived = await store.readArchived(queue);
    const history = archived.length > 0 ? `, history.jsonl valid (${archived.length} archived jobs)` : '';
    checks.push({ name: 'workspace', status: 'ok', detail: `${ws.root}: queue.json valid (${queue.jobs.length} jobs)${history}, ${groups.length} group(s) valid` });
  } catch (err) {
    checks.push({ name: 'workspace', status: 'missing', detail: (err as Error).message, fix: 'repair the file or move it aside (RunForge never overwrites it)' });
  }
  try {
    const status = await readDaemonStatus(ws);
    const health = assessDaemon(status, clock.now(), undefined, status && status.state !== 'stopped' ? probeDaemonProcess(status) : undefined);
    checks.push(
      health.healthy
        ? { name: 'daemon', status: 'ok', detail: `running, PID ${status!.pid}, heartbeat ${health.heartbeatAgeS}s ago` }
        : { name: 'daemon', status: 'warn', detail: health.health === 'stale' ? `${health.reason === STALE_HEARTBEAT_REASON ? 'stale heartbeat' : `dead, ${health.reason}`} (PID ${status!.pid}, ${health.heartbeatAgeS}s ago)` : health.health.replace('_', ' '), fix: 'start one: runforge daemon' },
    );
  } catch (err) {
    checks.push({ name: 'daemon', status: 'missing', detail: (err as Error).message, fix: 'repair or remove .runforge/queue/daemon.json' });
  }
  return checks;
}
