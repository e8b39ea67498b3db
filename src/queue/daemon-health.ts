/**
 * Is the daemon alive? SPEC §6: healthy only if `state == running` and the heartbeat is younger than
 * 30 s. The port does better where it can look: a caller on the daemon's own machine passes what the
 * daemon's PID says (`DaemonProcessFact`), and a daemon whose process is gone is dead at once.
 */
import { HEARTBEAT_STALE_MS } from '../contracts/constants.js';
import type { DaemonStatus } from '../contracts/daemon.js';
import { parseTimestamp } from '../infra/time.js';

/** `stale`: not healthy although daemon.json says running or stopping; `reason` says why. */
export type DaemonHealth = 'healthy' | 'stopping' | 'stale' | 'stopped' | 'not_running';

/** What the daemon's PID says, looked at on its machine: alive, or why not. */
export type DaemonProcessFact = { alive: true } | { alive: false; reason: string };

/** The heartbeat rule's reason, for a daemon that cannot be looked at. */
export const STALE_HEARTBEAT_REASON = 'heartbeat is stale';

export interface DaemonHealthReport {
  health: DaemonHealth;
  healthy: boolean;
  /** Seconds since the last heartbeat, or null without one. */
  heartbeatAgeS: number | null;
  /** Why a `stale` daemon is not healthy (`process is not running`, `heartbeat is stale`…); else null. */
  reason: string | null;
}

/**
 * `processFact`: undefined when the process cannot be looked at (another machine, or a daemon.json
 * that does not say where it runs): then only the heartbeat's age decides.
 */
export function assessDaemon(
  status: DaemonStatus | undefined,
  nowMs: number,
  staleAfterMs: number = HEARTBEAT_STALE_MS,
  processFact?: DaemonProcessFact,
): DaemonHealthReport {
  if (!status) return { health: 'not_running', healthy: false, heartbeatAgeS: null, reason: null };
  const beat = parseTimestamp(status.last_heartbeat);
  const ageMs = beat === undefined ? Infinity : Math.max(0, nowMs - beat);
  const heartbeatAgeS = Number.isFinite(ageMs) ? Math.round(ageMs / 100) / 10 : null;
  if (status.state === 'stopped') return { health: 'stopped', healthy: false, heartbeatAgeS, reason: null };
  if (processFact && !processFact.alive) return { health: 'stale', healthy: false, heartbeatAgeS, reason: processFact.reason };
  if (ageMs >= staleAfterMs) return { health: 'stale', healthy: false, heartbeatAgeS, reason: STALE_HEARTBEAT_REASON };
  if (status.state === 'stopping') return { health: 'stopping', healthy: false, heartbeatAgeS, reason: null };
  return { health: 'healthy', healthy: true, heartbeatAgeS, reason: null };
}
