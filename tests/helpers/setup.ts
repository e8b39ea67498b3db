/** Clean-up after every test: daemons, browsers, dashboard servers, temp workspaces. */
import { afterEach } from 'vitest';
import { closeBrowsersAndServers } from './browser.js';
import { stopAllDaemons } from './daemon.js';
import { removeTempWorkspaces } from './workspace.js';

afterEach(async () => {
  await stopAllDaemons();
  await closeBrowsersAndServers();
  removeTempWorkspaces();
});
