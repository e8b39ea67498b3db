/**
 * `npm run gauntlets [-- G3 G7]`: runs the named gauntlets (all by default), one at a time, printing
 * `G<n> PASS <evidence>` or `G<n> FAIL <reason> | <evidence>`; exit 0 only if all pass.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { GAUNTLETS } from './gauntlets.js';
import { closeBrowsersAndServers, removeTempWorkspaces, stopAllDaemons } from './lib.js';

const wanted = process.argv.slice(2).map((a) => a.toUpperCase());
const unknown = wanted.filter((w) => !GAUNTLETS.some((g) => g.id === w));
if (unknown.length > 0) {
  console.error(`Unknown gauntlet(s): ${unknown.join(', ')} (have ${GAUNTLETS.map((g) => g.id).join(', ')})`);
  process.exit(2);
}
const selected = wanted.length === 0 ? GAUNTLETS : GAUNTLETS.filter((g) => wanted.includes(g.id));
console.log(`RunForge gauntlets on ${os.cpus().length} cores, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.versions.node}, ${os.type()} ${os.release()}`);
let failed = 0;
const results: string[] = [];
for (const g of selected) {
  const started = Date.now();
  let line: string;
  try {
    const r = await Promise.race([
      g.run(),
      new Promise<never>((_, reject) => setTimeout(() => reject(new Error('timed out after 180 s')), 180_000).unref()),
    ]);
    line = r.pass ? `${g.id} PASS ${r.evidence}` : `${g.id} FAIL ${r.reason} | ${r.evidence}`;
    if (!r.pass) failed++;
  } catch (err) {
    failed++;
    line = `${g.id} FAIL ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`;
  } finally {
    await stopAllDaemons();
    await closeBrowsersAndServers();
    removeTempWorkspaces();
  }
  line = `${line} (${((Date.now() - started) / 1000).toFixed(1)} s)`;
  results.push(line);
  console.log(line);
}
mkdirSync('test-results', { recursive: true });
writeFileSync('test-results/gauntlets.json', `${JSON.stringify({ passed: selected.length - failed, failed, lines: results })}\n`);
console.log(`${selected.length - failed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
