/**
 * The local executor (src/executor/local/) against the Executor contract, built as the daemon builds
 * it: real processes, the spawner and its pooled shells from dist/ (the suite's global setup builds it
 * unless RUNFORGE_SKIP_BUILD=1), GPUs from nvidia-smi on the executor's PATH.
 */
import type { Executor } from '../../src/executor/executor.js';
import { LocalExecutor } from '../../src/executor/local/local-executor.js';
import { detectWithNvidiaSmi } from '../../src/gpu/devices.js';
import { systemClock } from '../../src/infra/clock.js';
import { silentLogger } from '../../src/infra/logger.js';
import { workspacePaths } from '../../src/workspace/paths.js';
import { tempWorkspace } from '../helpers/workspace.js';
import { describeExecutorContract, type ExecutorFactoryOptions, type ExecutorUnderTest } from './executor.contract.js';

function localExecutor(options: ExecutorFactoryOptions): ExecutorUnderTest {
  const dir = tempWorkspace();
  const make = (): Executor =>
    new LocalExecutor({
      ws: workspacePaths(dir),
      clock: systemClock,
      log: silentLogger(),
      env: options.env,
      maxParallel: 4,
      // The suite runs users' commands only: the warm worker is for the built-in trainer.
      warmTrainer: false,
      trainerPython: () => Promise.reject(new Error('the executor contract runs no trainer')),
      detectGpus: () => detectWithNvidiaSmi(options.env),
    });
  const made: Executor[] = [];
  const track = (e: Executor): Executor => (made.push(e), e);
  return {
    executor: track(make()),
    reopen: () => track(make()),
    dispose: async () => {
      // The workspace itself goes with the test's temp folders (tests/helpers/setup.ts).
      await Promise.all(made.splice(0).map((e) => e.close()));
    },
    dir,
  };
}

describeExecutorContract('local (pooled shells, warm worker, spawn)', localExecutor);
