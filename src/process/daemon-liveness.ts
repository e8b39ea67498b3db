/**
 * Is the daemon that daemon.json describes still alive? On the machine it runs on, its PID answers at
 * once; the heartbeat rule (SPEC §6, 30 s) is only for readers elsewhere, who cannot look.
 */
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import type { DaemonStatus } from '../contracts/daemon.js';
import type { DaemonProcessFact } from '../queue/daemon-health.js';
import { isAlive, processArgv, processStartTime } from './identity.js';

type DaemonHost = NonNullable<DaemonStatus['host']>;

/** True when `argv` is a `runforge … daemon` process. */
export function isDaemonArgv(argv: readonly string[] | null): boolean {
  if (!argv) return false;
  const cli = argv.findIndex((a) => /(^|[\\/])runforge$|[\\/]cli[\\/](main\.(js|ts)|bin\.c?[jt]s)$/.test(a));
  return cli !== -1 && argv[cli + 1] === 'daemon';
}

/** This machine: its hostname and, on Linux, this boot's id (a PID means nothing across a reboot). */
export function thisHost(): DaemonHost {
  let bootId: string | undefined;
  try {
    bootId = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim() || undefined;
  } catch {
    bootId = undefined;
  }
  return { hostname: hostname(), ...(bootId ? { boot_id: bootId } : {}) };
}

/** What a daemon writes about itself into daemon.json, so that readers can check its process. */
export function daemonIdentity(pid: number): Pick<DaemonStatus, 'host' | 'process_start_time'> {
  const startTime = processStartTime(pid);
  return { host: thisHost(), ...(startTime ? { process_start_time: startTime } : {}) };
}

const isSameHost = (a: DaemonHost, b: DaemonHost): boolean =>
  a.hostname === b.hostname && (a.boot_id === undefined || b.boot_id === undefined || a.boot_id === b.boot_id);

/**
 * The liveness of daemon.json's daemon as seen from here; undefined when it cannot be looked at (the
 * daemon runs on another machine, or its daemon.json, from an older RunForge, does not say where).
 */
export function probeDaemonProcess(status: DaemonStatus, here: DaemonHost = thisHost()): DaemonProcessFact | undefined {
  if (!status.host || !isSameHost(status.host, here)) return undefined;
  if (status.pid === process.pid) return { alive: true };
  if (!isAlive(status.pid)) return { alive: false, reason: 'process is not running' };
  // The PID lives on in another process (reused after the daemon died).
  const startTime = processStartTime(status.pid);
  if (status.process_start_time && startTime !== null && startTime !== status.process_start_time) {
    return { alive: false, reason: 'process is not a RunForge daemon' };
  }
  const argv = processArgv(status.pid);
  if (argv !== null && !isDaemonArgv(argv)) return { alive: false, reason: 'process is not a RunForge daemon' };
  return { alive: true };
}
