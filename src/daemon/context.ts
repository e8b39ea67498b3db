/**
 * What the daemon's parts (lock and heartbeat, recovery, the pass, launching, supervision) share: the
 * two seams, the settings, the clock, the log and the events, and a way to ask for a pass.
 */
import type { Executor } from '../executor/executor.js';
import type { Clock } from '../infra/clock.js';
import type { GpuDevice } from '../gpu/devices.js';
import type { TypedEmitter } from '../infra/events.js';
import type { Logger } from '../infra/logger.js';
import type { Store } from '../store/store.js';
import type { WorkspacePaths } from '../workspace/paths.js';
import type { DaemonEvents } from './events.js';
import type { DaemonOptions, DaemonState } from './options.js';

export interface DaemonContext {
  readonly ws: WorkspacePaths;
  readonly store: Store;
  readonly executor: Executor;
  readonly options: DaemonOptions;
  readonly clock: Clock;
  readonly log: Logger;
  readonly events: TypedEmitter<DaemonEvents>;
  readonly pid: number;
  /** The GPUs the executor offers (known once the daemon has started). */
  readonly gpus: readonly GpuDevice[];
  readonly state: DaemonState;
  /** Asks for a scheduling pass (passes never overlap; one asked during a pass follows it). */
  requestPass(): void;
}
