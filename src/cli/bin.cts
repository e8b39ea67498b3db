#!/usr/bin/env node
/**
 * The `runforge` binary. Node 20 has no compile cache (`module.enableCompileCache` came in Node 22),
 * so a command would spend tens of milliseconds finding, parsing and linking a hundred ES modules
 * before doing anything. The build bundles the CLI into one file (dist/runforge.cjs, see
 * scripts/bundle.mjs); this launcher compiles it with V8's code cache (dist/runforge.cjs.cache),
 * which it writes again whenever V8 rejects it (another Node version). Without a bundle (a plain
 * `tsc` build) it loads the ES modules (dist/cli/main.js) directly.
 */
/* eslint-disable @typescript-eslint/no-require-imports -- a CommonJS file by design: it must not pay for the ES module loader */
import fs = require('node:fs');
import path = require('node:path');
import vm = require('node:vm');
import nodeModule = require('node:module');

const bundle = path.join(__dirname, '..', 'runforge.cjs');
const cacheFile = `${bundle}.cache`;

function writeCache(script: vm.Script): void {
  const temp = `${cacheFile}.${process.pid}.tmp`;
  try {
    fs.writeFileSync(temp, script.createCachedData());
    fs.renameSync(temp, cacheFile);
  } catch {
    // A read-only install runs without a cache, only slower.
    fs.rmSync(temp, { force: true });
  }
}

function runBundle(): void {
  // UTF-8, not latin1: the build makes the bundle ASCII (scripts/bundle.mjs), but what it decodes to must
  // not hang on that — latin1 once showed the dashboard's raw UTF-8 as mojibake ('·' as 'Â·'). An
  // all-ASCII file decodes as fast either way.
  const source = fs.readFileSync(bundle, 'utf8');
  let cachedData: Buffer | undefined;
  try {
    cachedData = fs.readFileSync(cacheFile);
  } catch {
    cachedData = undefined;
  }
  const wrapped = `(function (exports, require, module, __filename, __dirname) {${source}\n})`;
  const script = new vm.Script(wrapped, { filename: bundle, cachedData });
  // Written after the command ran: the cache then holds the functions it compiled on the way.
  if (cachedData === undefined || script.cachedDataRejected) process.once('exit', () => writeCache(script));
  const mod = { exports: {} };
  (script.runInThisContext() as (...args: unknown[]) => void)(mod.exports, nodeModule.createRequire(bundle), mod, bundle, path.dirname(bundle));
}

if (fs.existsSync(bundle)) runBundle();
else void import('./main.js');
