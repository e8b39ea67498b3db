/** `.runforge/config.json`: optional workspace settings. */
import { z } from 'zod';

export const WorkspaceConfigSchema = z.looseObject({
  /** The Python that runs the built-in trainer (else RUNFORGE_PYTHON, else probing). */
  python: z.string().min(1).optional(),
});
export type WorkspaceConfig = z.infer<typeof WorkspaceConfigSchema>;
