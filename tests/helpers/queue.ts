/** Enqueuing through the CLI, as a user does. */
import { parseJsonOut, runCli } from './cli.js';
import { writePlan } from './workspace.js';

/** Writes `plan` into the workspace, runs `enqueue-sweep --json`, returns the group id. */
export async function enqueuePlan(ws: string, plan: Record<string, unknown>): Promise<string> {
  const r = await runCli(['enqueue-sweep', '--plan', writePlan(ws, plan, `plan-${Math.random()}.json`), '--json'], { cwd: ws });
  if (r.code !== 0) throw new Error(`enqueue-sweep failed (exit ${r.code}): ${r.stderr}`);
  return parseJsonOut<{ group_id: string }>(r).group_id;
}
