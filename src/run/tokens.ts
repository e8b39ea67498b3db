/** RF tokens (SPEC §6, §9): the exact strings the desktop app and tests parse. One builder each. */

export const groupEnqueuedToken = (groupId: string, runs: number): string => `[RF:GROUP=ENQUEUED ${groupId} runs=${runs}]`;
export const groupPausedToken = (groupId: string): string => `[RF:GROUP=PAUSED ${groupId}]`;
export const groupResumedToken = (groupId: string): string => `[RF:GROUP=RESUMED ${groupId}]`;
export const groupCanceledToken = (groupId: string): string => `[RF:GROUP=CANCELED ${groupId}]`;
export const groupStartToken = (groupId: string, runs: number): string => `[RF:GROUP=START ${groupId} runs=${runs}]`;
export const groupRunToken = (runId: string, index: number, total: number): string =>
  `[RF:GROUP=RUN ${runId} ${index}/${total}]`;
export const groupRunDoneToken = (runId: string, status: string): string => `[RF:GROUP=RUN_DONE ${runId} status=${status}]`;
export const groupCompleteToken = (groupId: string, s: { succeeded: number; failed: number; canceled: number }): string =>
  `[RF:GROUP=COMPLETE ${groupId} succeeded=${s.succeeded} failed=${s.failed} canceled=${s.canceled}]`;
