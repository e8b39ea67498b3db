/**
 * Bundles the compiled CLI (dist/, from tsc) into one file, dist/runforge.cjs, which the `runforge`
 * launcher (dist/cli/bin.cjs) runs with V8's code cache; then runs one command so that the cache
 * exists from the start. Why: docs/PERFORMANCE.md ("CLI latency"). Part of `npm run build`.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, transform } from 'esbuild';

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

const NON_ASCII = /[\u0080-\uffff]/;
/**
 * esbuild escapes non-ASCII text (charset 'ascii') except the raw text of template literals — a
 * String.raw template such as the dashboard page keeps its UTF-8 bytes, because an escape there would
 * change the value. So a module with non-ASCII text outside its comments has its template literals
 * lowered to plain strings (`a${b}` to "a".concat(b), String.raw`…` to String.raw(__template([cooked],
 * [raw]))), which are escaped like any string; the values are the same. The launcher decodes UTF-8
 * either way (correct for any text); an ASCII bundle is what keeps that decode as cheap as latin1's:
 * V8 holds it as a one-byte string (a two-byte one cost a command about 2 ms more to decode and compile).
 * @type {import('esbuild').Plugin}
 */
const asciiTemplates = {
  name: 'ascii-templates',
  setup(b) {
    b.onLoad({ filter: /\.[cm]?js$/ }, async (args) => {
      const text = await readFile(args.path, 'utf8');
      if (!NON_ASCII.test(text)) return undefined;
      const options = { loader: 'js', charset: 'utf8', sourcefile: args.path };
      // esbuild's output keeps no comments: what is left is text in the code.
      if (!NON_ASCII.test((await transform(text, options)).code)) return undefined;
      const lowered = await transform(text, { ...options, supported: { 'template-literal': false } });
      return { contents: lowered.code, loader: 'js' };
    });
  },
};

await build({
  ...common,
  entryPoints: [path.join(root, 'dist', 'cli', 'main.js')],
  plugins: [zodApart, asciiTemplates],
  // proper-lockfile takes graceful-fs as a drop-in fs (it retries on EMFILE); patching fs at load costs
  // a command more than the lock itself, and a command holds a handful of files at most.
  alias: { 'graceful-fs': 'node:fs' },
  outfile,
  sourcemap: 'linked',
  // Modules read `import.meta.url` to find their own place; in one CommonJS file that is the bundle's.
  define: { 'import.meta.url': '__runforge_bundle_url' },
  banner: { js: 'var __runforge_bundle_url = require("node:url").pathToFileURL(__filename).href;' },
});

const stray = NON_ASCII.exec(readFileSync(outfile, 'utf8'));
if (stray) throw new Error(`${outfile} is not ASCII at offset ${stray.index} (${JSON.stringify(stray[0])}): see asciiTemplates`);

// Writes dist/runforge.cjs.cache with what a status command compiles.
const ws = mkdtempSync(path.join(os.tmpdir(), 'runforge-build-'));
try {
  execFileSync(process.execPath, [path.join(root, 'dist', 'cli', 'bin.cjs'), 'queue-status', '--workspace', ws], { stdio: 'ignore' });
} finally {
  rmSync(ws, { recursive: true, force: true });
}
