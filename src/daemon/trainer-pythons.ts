/** Which Python can train (with or without torch), found once a minute at most: finding it starts Pythons. */
import type { Clock } from '../infra/clock.js';
import { findTrainerPython } from '../python-env/find-python.js';
import type { WorkspacePaths } from '../workspace/paths.js';

/** How long the daemon trusts its answer to "which Python can train", ms. */
const PYTHON_CACHE_MS = 60_000;

export class TrainerPythons {
  private readonly known = new Map<boolean, { at: number; python: Promise<string> }>();

  constructor(
    private readonly ws: WorkspacePaths,
    private readonly env: NodeJS.ProcessEnv,
    private readonly clock: Clock,
  ) {}

  find(needTorch: boolean): Promise<string> {
    const known = this.known.get(needTorch);
    if (known && this.clock.now() - known.at < PYTHON_CACHE_MS) return known.python;
    const python = findTrainerPython(this.ws, this.env, needTorch);
    this.known.set(needTorch, { at: this.clock.now(), python });
    python.catch(() => this.known.delete(needTorch));
    return python;
  }
}
