import { systemClock } from '../../infra/clock.js';
import { initWorkspace } from '../../ops/init.js';
import { out, outJson } from '../output.js';

/** `runforge init`: scaffolds the workspace; says what it created and what it kept. */
export async function initCommand(opts: { workspace?: string; json?: boolean }): Promise<number> {
  const { ws, created, kept } = await initWorkspace(opts.workspace ?? process.cwd(), systemClock);
  if (opts.json) return (outJson({ workspace: ws.root, created, kept }), 0);
  out(`Workspace: ${ws.root}`);
  for (const f of created) out(`  created ${f}`);
  for (const f of kept) out(`  kept ${f} (exists; not changed)`);
  out(
    created.length === 0
      ? 'Nothing to do: every file is already there.'
      : 'Next: runforge validate plan.json, then runforge daemon and runforge enqueue-sweep --plan plan.json (see RUNFORGE.md)',
  );
  return 0;
}
