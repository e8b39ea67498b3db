import { randomBytes } from 'node:crypto';
import { execa } from 'execa';
import { systemClock } from '../../infra/clock.js';
import { startUiServer } from '../../ui/server.js';
import { parseIntFlag, parseSecondsFlag, resolveWorkspace } from '../options.js';
import { err, out } from '../output.js';

export async function uiCommand(opts: { workspace?: string; port: string; open?: boolean; staleAfter: string }): Promise<number> {
  const port = parseIntFlag('--port', opts.port, 0);
  const staleAfterMs = parseSecondsFlag('--stale-after', opts.staleAfter, 0.1);
  const ws = resolveWorkspace(opts.workspace);
  const token = randomBytes(18).toString('base64url');
  const server = await startUiServer(ws, systemClock, { port, token, staleAfterMs });
  out(`RunForge dashboard: ${server.url}`);
  out('Listening on 127.0.0.1 only; the token in the URL is needed to change anything. Ctrl-C stops it.');
  if (opts.open) {
    const opener = process.platform === 'darwin' ? 'open' : 'xdg-open';
    execa(opener, [server.url], { reject: false, stdio: 'ignore', detached: true }).catch(() => err(`Could not run ${opener}; open the URL yourself`));
  }
  await new Promise<void>((resolve) => {
    const stop = (): void => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  await server.close();
  return 0;
}
