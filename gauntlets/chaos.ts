/**
 * `npm run chaos`: RunForge under abuse. Prints a line per part and a summary ending with how many jobs
 * were lost (must be 0); writes test-results/chaos.json `{passed, failed, lost, parts}`. The parts
 * (gauntlets/chaos/):
 *  1. kill-storm.ts — kill -9 of the daemon >= 20 times while a sweep's jobs run, restarting it each time.
 *  2. cli-storm.ts — 8 CLI processes enqueuing, pausing, resuming, retrying and cancelling at random while
 *     the daemon runs; invariants over every job and group of the workspace.
 *  3. bad-inputs.ts — >= 200 bad inputs: one-line error, the documented exit code, no file changed.
 *  4. disk-cli.ts — the CLI on a full or read-only workspace; a sweep that does not fit leaves nothing.
 *  5. disk-daemon.ts — the daemon while its disk fills up and turns read-only: it carries on afterwards.
 *
 * `npx tsx gauntlets/chaos.ts cli full`: only the parts whose names contain one of the words.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { stopAllDaemons, removeTempWorkspaces } from './lib.js';
import { badInputStorm } from './chaos/bad-inputs.js';
import { cliStorm } from './chaos/cli-storm.js';
import type { Part } from './chaos/common.js';
import { cliOnSmallDisk } from './chaos/disk-cli.js';
import { daemonOnSmallDisk } from './chaos/disk-daemon.js';
import { killStorm } from './chaos/kill-storm.js';

const ALL: readonly [string, () => Promise<Part>][] = [
  ['kill -9 storm', killStorm],
  ['8 CLI processes at random', cliStorm],
  ['bad inputs', badInputStorm],
  ['full / read-only workspace (CLI)', cliOnSmallDisk],
  ['full / read-only disk under the daemon', daemonOnSmallDisk],
];

const started = Date.now();
const parts: Part[] = [];
const words = process.argv.slice(2).map((w) => w.toLowerCase());
for (const [name, fn] of ALL.filter(([n]) => words.length === 0 || words.some((w) => n.toLowerCase().includes(w)))) {
  let part: Part;
  try {
    part = await fn();
  } catch (err) {
    // A part that crashed cannot say how many jobs it lost.
    part = { name, ok: false, lost: undefined, detail: `crashed: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}` };
  } finally {
    await stopAllDaemons();
    removeTempWorkspaces();
  }
  parts.push(part);
  console.log(`chaos ${part.ok ? 'PASS' : 'FAIL'} ${part.name}: ${part.detail}`);
}
const failed = parts.filter((p) => !p.ok).length;
const unknown = parts.filter((p) => p.lost === undefined).map((p) => p.name);
const lost = parts.reduce((a, p) => a + (p.lost ?? 0), 0);
console.log(`chaos: ${parts.length - failed}/${parts.length} parts passed in ${((Date.now() - started) / 1000).toFixed(0)} s`);
console.log(unknown.length > 0 ? `jobs lost: unknown (${unknown.join(', ')} crashed); ${lost} in the other parts` : `jobs lost: ${lost}`);
mkdirSync('test-results', { recursive: true });
writeFileSync('test-results/chaos.json', `${JSON.stringify({ passed: parts.length - failed, failed, lost: unknown.length > 0 ? null : lost, parts })}\n`);
console.log(`${parts.length - failed} passed, ${failed} failed`);
process.exit(failed === 0 && lost === 0 && unknown.length === 0 && parts.length > 0 ? 0 : 1);
