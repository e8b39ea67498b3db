/** Updates the store contract tests make, shared with the writers they run in other processes. */
import type { Job } from '../../src/contracts/queue.js';
import { makeJob } from '../../src/queue/jobs.js';
import type { StateTx } from '../../src/store/store.js';

/** Appends a queued job of `runId` (in `groupId`, if given); returns it. */
export const appendJob =
  (runId: string, groupId: string | null = null) =>
  (tx: StateTx): Job => {
    const job = makeJob({ jobId: tx.newJobId(), runId, groupId, priority: 0, requiresGpu: false, attempt: 1, createdAt: tx.now });
    tx.queue.jobs.push(job);
    return job;
  };
