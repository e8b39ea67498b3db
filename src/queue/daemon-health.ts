/** Is the daemon alive? SPEC §6: healthy only if `state == running` and the heartbeat is younger than 30 s. */
import { HEARTBEAT_STALE_MS } from '../contracts/constants.js';
import type { DaemonStatus } from '../contracts/daemon.js';
import { parseTimestamp } from '../infra/time.js';

export type DaemonHealth = 'healthy' | 'stopping' | 'stale' | 'stopped' | 'not_running';

export interface DaemonHealthReport {
  health: DaemonHealth;
  healthy: boolean;
  /** Seconds since the last heartbeat, or null without one. */
  heartbeatAgeS: number | null;
}

export function assessDaemon(
  status: DaemonStatus | undefined,
  nowMs: number,
  staleAfterMs: number = HEARTBEAT_STALE_MS,
): DaemonHealthReport {
  if (!status) return { health: 'not_running', healthy: false, heartbeatAgeS: null };
  const beat = parseTimestamp(status.last_heartbeat);
  const ageMs = beat === undefined ? Infinity : Math.max(0, nowMs - beat);
  const heartbeatAgeS = Number.isFinite(ageMs) ? Math.round(ageMs / 100) / 10 : null;
  if (status.state === 'stopped') return { health: 'stopped', healthy: false, heartbeatAgeS };
  if (ageMs >= staleAfterMs) return { health: 'stale', healthy: false, heartbeatAgeS };
  if (status.state === 'stopping') return { health: 'stopping', healthy: false, heartbeatAgeS };
  return { health: 'healthy', healthy: true, heartbeatAgeS };
}
