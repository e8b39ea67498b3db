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
export type Stage = 'STARTING' | 'LOADING_DATASET' | 'TRAINING' | 'EVALUATING' | 'WRITING_ARTIFACTS' | 'COMPLETED' | 'FAILED';

export const stageToken = (stage: Stage): string => `[RF:STAGE=${stage}]`;
export const deviceToken = (device: { type: 'cpu' | 'gpu'; gpu_reason?: string | null }): string =>
  device.type === 'gpu' ? '[RF:DEVICE=GPU]' : device.gpu_reason ? `[RF:DEVICE=CPU gpu_reason=${device.gpu_reason}]` : '[RF:DEVICE=CPU]';

export const daemonStartedToken = (pid: number, maxParallel: number, gpuSlots: number): string =>
  `[RF:DAEMON=STARTED pid=${pid} max_parallel=${maxParallel} gpu_slots=${gpuSlots}]`;
export const daemonStoppedToken = (pid: number): string => `[RF:DAEMON=STOPPED pid=${pid}]`;
export const jobStartedToken = (jobId: string, runId: string, gpu: boolean): string =>
  `[RF:QUEUE=JOB_STARTED ${jobId} run_id=${runId}${gpu ? ' gpu=true' : ''}]`;
export const jobDoneToken = (jobId: string, runId: string, state: string): string =>
  `[RF:QUEUE=JOB_DONE ${jobId} run_id=${runId} status=${state}]`;
