/**
 * What every gauntlet uses: the built CLI run as separate processes, real daemons, temp workspaces —
 * the same helpers as the integration tests (tests/helpers), without the test runner.
 */
export { runCli, parseJsonOut, CLI } from '../tests/helpers/cli.js';
export { startDaemon, stopAllDaemons, waitFor, queueJobs, allDone, withFakeGpus, type DaemonHandle } from '../tests/helpers/daemon.js';
export {
  tempWorkspace,
  removeTempWorkspaces,
  baseRequest,
  commandPlan,
  timedCommand,
  intervals,
  maxConcurrency,
  readJson,
  writeRun,
  writePlan,
  samplePlan,
  groupFile,
  queueFile,
} from '../tests/helpers/workspace.js';
export { enqueuePlan } from '../tests/helpers/queue.js';
export { openBrowser, startUi, closeBrowsersAndServers, screenshot } from '../tests/helpers/browser.js';

export interface GauntletResult {
  pass: boolean;
  /** What was observed: sampled concurrency, start order, states. */
  evidence: string;
  /** Why it failed. */
  reason?: string;
}

export interface Gauntlet {
  id: string;
  title: string;
  run(): Promise<GauntletResult>;
}

/** Collects checks; the first failed one is the reason. */
export class Checks {
  private failures: string[] = [];
  readonly evidence: string[] = [];
  check(ok: boolean, what: string): void {
    if (!ok) this.failures.push(what);
  }
  note(line: string): void {
    this.evidence.push(line);
  }
  result(): GauntletResult {
    return this.failures.length === 0
      ? { pass: true, evidence: this.evidence.join('; ') }
      : { pass: false, evidence: this.evidence.join('; '), reason: this.failures.join('; ') };
  }
}

/** Samples `sample()` every `everyMs` until `stop()` is true; returns the samples. */
export async function sampleWhile<T>(sample: () => T, stop: () => boolean, everyMs = 50, timeoutMs = 120_000): Promise<T[]> {
  const out: T[] = [];
  const deadline = Date.now() + timeoutMs;
  while (!stop() && Date.now() < deadline) {
    try {
      out.push(sample());
    } catch {
      // the file was being replaced
    }
    await new Promise((r) => setTimeout(r, everyMs));
  }
  return out;
}
