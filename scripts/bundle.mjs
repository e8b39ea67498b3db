/**
 * Bundles the compiled CLI (dist/, from tsc) into one file, dist/runforge.cjs, which the `runforge`
 * launcher (dist/cli/bin.cjs) runs with V8's code cache; then runs one command so that the cache
 * exists from the start. Why: docs/PERFORMANCE.md ("CLI latency"). Part of `npm run build`.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const outfile = path.join(root, 'dist', 'runforge.cjs');
rmSync(`${outfile}.cache`, { force: true });

const common = { bundle: true, platform: 'node', format: 'cjs', target: 'node20', minify: true, charset: 'ascii', logLevel: 'warning' };

// zod is half of everything, and a command only needs it to word the problems of an invalid file
// (valid files pass the compiled validators): it gets a file of its own, loaded on first use.
await build({ ...common, entryPoints: [path.join(root, 'node_modules', 'zod', 'index.js')], outfile: path.join(root, 'dist', 'zod.cjs') });
/** @type {import('esbuild').Plugin} */
const zodApart = {
  name: 'zod-apart',
  setup(b) {
    b.onResolve({ filter: /^zod(\/.*)?$/ }, (args) => {
      if (args.path !== 'zod') throw new Error(`import ${args.path}: only 'zod' itself is bundled apart`);
      return { path: './zod.cjs', external: true };
    });
  },
};

await build({
  ...common,
  entryPoints: [path.join(root, 'dist', 'cli', 'main.js')],
  plugins: [zodApart],
  // proper-lockfile takes graceful-fs as a drop-in fs (it retries on EMFILE); patching fs at load costs
  // a command more than the lock itself, and a command holds a handful of files at most.
  alias: { 'graceful-fs': 'node:fs' },
  outfile,
  sourcemap: 'linked',
  // Modules read `import.meta.url` to find their own place; in one CommonJS file that is the bundle's.
  define: { 'import.meta.url': '__runforge_bundle_url' },
  banner: { js: 'var __runforge_bundle_url = require("node:url").pathToFileURL(__filename).href;' },
});

// Writes dist/runforge.cjs.cache with what a status command compiles.
const ws = mkdtempSync(path.join(os.tmpdir(), 'runforge-build-'));
try {
  execFileSync(process.execPath, [path.join(root, 'dist', 'cli', 'bin.cjs'), 'queue-status', '--workspace', ws], { stdio: 'ignore' });
} finally {
  rmSync(ws, { recursive: true, force: true });
}
