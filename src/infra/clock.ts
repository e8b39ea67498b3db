/**
 * The one source of time. Production code takes a `Clock`; tests pass a `TestClock` and advance it
 * with `tick(ms)`, so heartbeats, staleness and timeouts are tested without sleeping.
 */
export interface Clock {
  /** Milliseconds since the Unix epoch. */
  now(): number;
  /**
   * A monotonic reading in ms (any origin), for measuring how long work takes; wall-clock jumps do not
   * move it. Optional: `monotonicMs(clock)` falls back to `now()`.
   */
  monotonicMs?(): number;
  setTimeout(fn: () => void, ms: number): TimerHandle;
  clearTimeout(handle: TimerHandle): void;
}

export interface TimerHandle {
  readonly id: number | NodeJS.Timeout;
}

/** The clock's monotonic reading, or its `now()` when it has none. */
/** Resolves after `ms` on `clock` (a test clock: when it is advanced that far). */
export const sleep = (clock: Clock, ms: number): Promise<void> => new Promise((resolve) => clock.setTimeout(resolve, ms));

export const monotonicMs = (clock: Clock): number => (clock.monotonicMs ? clock.monotonicMs() : clock.now());

export const systemClock: Clock = {
  now: () => Date.now(),
  monotonicMs: () => performance.now(),
  setTimeout: (fn, ms) => ({ id: setTimeout(fn, ms) }),
  clearTimeout: (handle) => clearTimeout(handle.id as NodeJS.Timeout),
};

/** A manual clock for tests: time only moves when `tick` is called. */
export class TestClock implements Clock {
  private current: number;
  private nextId = 1;
  private timers = new Map<number, { at: number; fn: () => void }>();

  constructor(startMs = Date.UTC(2026, 1, 1, 12, 0, 0)) {
    this.current = startMs;
  }

  now(): number {
    return this.current;
  }

  /** Moves with `tick` only: work measured with it takes no time. */
  monotonicMs(): number {
    return this.current;
  }

  setTimeout(fn: () => void, ms: number): TimerHandle {
    const id = this.nextId++;
    this.timers.set(id, { at: this.current + Math.max(0, ms), fn });
    return { id };
  }

  clearTimeout(handle: TimerHandle): void {
    this.timers.delete(handle.id as number);
  }

  /** Advances time by `ms`, firing due timers in order. */
  tick(ms: number): void {
    const target = this.current + ms;
    for (;;) {
      let dueId: number | undefined;
      let dueAt = Infinity;
      for (const [id, t] of this.timers) {
        if (t.at <= target && t.at < dueAt) {
          dueAt = t.at;
          dueId = id;
        }
      }
      if (dueId === undefined) break;
      const timer = this.timers.get(dueId)!;
      this.timers.delete(dueId);
      this.current = timer.at;
      timer.fn();
    }
    this.current = target;
  }
}
