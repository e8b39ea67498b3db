/**
 * `npm run chaos`: RunForge under abuse. Prints a summary ending with how many jobs were lost (must be 0).
 *  1. kill -9 of the daemon at random moments (>= 20 times) while a 40-run sweep executes, restarting it
 *     each time: every run succeeds exactly once, never twice at the same time, files valid and consistent.
 *  2. 8 CLI processes enqueuing, pausing, resuming, retrying and cancelling at random while the daemon
 *     runs: no lost or duplicated job, no invalid file, every command did its work or said why.
 *  3. >= 200 bad inputs: one-line error, the documented exit code, no stack trace, no file changed.
 *  4. a workspace that is read-only or full during a write: a clear error, the previous file intact.
 */
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { validateDocument } from '../src/contracts/index.js';
import {
  allDone,
  baseRequest,
  commandPlan,
  enqueuePlan,
  groupFile,
  intervals,
  queueFile,
  queueJobs,
  readJson,
  removeTempWorkspaces,
  runCli,
  samplePlan,
  startDaemon,
  stopAllDaemons,
  tempWorkspace,
  timedCommand,
  waitFor,
  writeRun,
} from './lib.js';

interface Part {
  name: string;
  ok: boolean;
  detail: string;
  lost: number;
}
const parts: Part[] = [];
const rand = (n: number): number => Math.floor(Math.random() * n);
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Files valid, and every group's run entries equal to their newest job's state. */
function consistency(ws: string): string[] {
  const problems: string[] = [];
  const queue = readJson(queueFile(ws));
  if (!validateDocument('queue', queue).ok) problems.push('queue.json invalid');
  const ids = queue.jobs.map((j: { job_id: string }) => j.job_id);
  if (new Set(ids).size !== ids.length) problems.push('duplicate job ids');
  const groupsDir = path.join(ws, '.runforge', 'groups');
  for (const gid of readdirSync(groupsDir)) {
    const group = readJson(path.join(groupsDir, gid, 'group.json'));
    if (!validateDocument('group', group).ok) problems.push(`${gid}/group.json invalid`);
    const newest = new Map<string, { attempt: number; state: string }>();
    for (const j of queue.jobs.filter((x: { group_id: string }) => x.group_id === gid)) {
      const seen = newest.get(j.run_id);
      if (!seen || j.attempt >= seen.attempt) newest.set(j.run_id, j);
    }
    for (const run of group.runs) {
      const job = newest.get(run.run_id);
      if (job && job.state !== run.status) problems.push(`${run.run_id}: group says ${run.status}, queue ${job.state}`);
    }
  }
  return problems;
}

async function killStorm(): Promise<void> {
  const ws = tempWorkspace();
  const gid = await enqueuePlan(ws, commandPlan(ws, 40, timedCommand(0.4)));
  let kills = 0;
  let daemon = startDaemon(ws, ['--max-parallel', '4']);
  const deadline = Date.now() + 240_000;
  while (!allDone(ws, 40)() && Date.now() < deadline) {
    await sleep(150 + rand(500));
    if (kills < 24 && !allDone(ws, 40)()) {
      daemon.kill('SIGKILL');
      await daemon.exited;
      kills++;
      daemon = startDaemon(ws, ['--max-parallel', '4']);
    }
  }
  await waitFor('sweep done', () => {
    const jobs = queueJobs(ws);
    const newest = new Map<string, string>();
    for (const j of jobs) newest.set(j.run_id, j.state);
    return newest.size === 40 && [...newest.values()].every((s) => s !== 'queued' && s !== 'running');
  }, 120_000);
  daemon.kill();
  await daemon.exited;
  const jobs = queueJobs(ws);
  const succeededPerRun = new Map<string, number>();
  for (const j of jobs) if (j.state === 'succeeded') succeededPerRun.set(j.run_id, (succeededPerRun.get(j.run_id) ?? 0) + 1);
  const lost = 40 - succeededPerRun.size;
  const twice = [...succeededPerRun.values()].filter((n) => n > 1).length;
  const list = intervals(ws);
  const byRun = new Map<string, typeof list>();
  for (const i of list) byRun.set(i.run, [...(byRun.get(i.run) ?? []), i]);
  const starts = readFileSync(path.join(ws, 'events.log'), 'utf8').split('\n').filter((l) => l.includes(' start '));
  const startsPerRun = new Map<string, number>();
  for (const l of starts) startsPerRun.set(path.basename(l.split(' ')[0]!), (startsPerRun.get(path.basename(l.split(' ')[0]!)) ?? 0) + 1);
  const concurrentDuplicates = [...startsPerRun.values()].filter((n) => n > 1).length;
  const problems = consistency(ws);
  const group = readJson(groupFile(ws, gid));
  const ok = kills >= 20 && lost === 0 && twice === 0 && concurrentDuplicates === 0 && problems.length === 0 && group.status === 'completed';
  parts.push({
    name: 'kill -9 storm',
    ok,
    lost,
    detail: `${kills} kills of the daemon during a 40-run sweep; ${succeededPerRun.size}/40 runs succeeded, ${twice} succeeded twice, ${concurrentDuplicates} executed more than once; ${jobs.length} jobs in all; group ${group.status}${problems.length ? `; ${problems.slice(0, 3).join(', ')}` : ''}`,
  });
}

async function cliStorm(): Promise<void> {
  const ws = tempWorkspace();
  const gid = await enqueuePlan(ws, commandPlan(ws, 30, ['sh', '-c', 'sleep 0.2; [ $((RUNFORGE_SEED % 4)) -ne 0 ]']));
  for (let p = 0; p < 8; p++) for (let i = 0; i < 6; i++) writeRun(ws, `p${p}-r${i}`, baseRequest({ command: ['sleep', '0.1'] }));
  const daemon = startDaemon(ws, ['--max-parallel', '3']);
  await daemon.waitForLine(/DAEMON=STARTED/);
  const enqueued: string[] = [];
  let unexplained = 0;
  let commands = 0;
  await Promise.all(
    Array.from({ length: 8 }, async (_, p) => {
      for (let i = 0; i < 6; i++) {
        const op = rand(6);
        const args =
          op === 0 || op === 1
            ? ['enqueue-run', '--run-id', `p${p}-r${i}`, '--json']
            : op === 2
              ? ['pause-group', '--group-id', gid]
              : op === 3
                ? ['resume-group', '--group-id', gid]
                : op === 4
                  ? ['retry-failed', '--group-id', gid]
                  : ['cancel-run', '--run-id', `${gid}-run-0${String(1 + rand(30)).padStart(2, '0')}`];
        const r = await runCli(args, { cwd: ws });
        commands++;
        if (r.code === 0 && args[0] === 'enqueue-run') enqueued.push(JSON.parse(r.stdout).job.job_id);
        const explained = r.code === 0 || (r.stderr.trim().split('\n').length === 1 && r.stderr.startsWith('Error: ') && !/\n\s+at /.test(r.stderr));
        if (!explained) unexplained++;
      }
    }),
  );
  await runCli(['resume-group', '--group-id', gid], { cwd: ws });
  await waitFor('quiet', () => queueJobs(ws).every((j) => j.state !== 'queued' && j.state !== 'running'), 120_000);
  daemon.kill();
  await daemon.exited;
  const ids = new Set(queueJobs(ws).map((j) => j.job_id));
  const lost = enqueued.filter((id) => !ids.has(id)).length;
  const problems = consistency(ws);
  parts.push({
    name: '8 CLI processes at random',
    ok: lost === 0 && unexplained === 0 && problems.length === 0,
    lost,
    detail: `${commands} commands, ${enqueued.length} enqueue-run jobs all present: ${lost === 0}; ${unexplained} unexplained failures; ${problems.length ? problems.slice(0, 3).join(', ') : 'files valid and consistent'}`,
  });
}

/** A digest of the workspace's state (.runforge/ and .ml/), to show a command changed nothing. */
function digest(ws: string): string {
  const h = createHash('sha256');
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir).sort()) {
      const file = path.join(dir, name);
      const s = statSync(file);
      if (s.isDirectory()) walk(file);
      else h.update(file).update(readFileSync(file));
    }
  };
  for (const top of ['.runforge', '.ml']) walk(path.join(ws, top));
  return h.digest('hex');
}

function badInputs(ws: string): { name: string; file?: string; content?: string | Buffer; args: string[]; code: number }[] {
  const plan = samplePlan(ws);
  const request = baseRequest();
  const planText = JSON.stringify(plan);
  const requestText = JSON.stringify(request);
  const cases: { name: string; file?: string; content?: string | Buffer; args: string[]; code: number }[] = [];
  // Truncated plans and requests at many points.
  for (let cut = 0; cut < planText.length; cut += Math.ceil(planText.length / 40)) {
    cases.push({ name: `plan cut at ${cut}`, file: 'bad-plan.json', content: planText.slice(0, cut), args: ['enqueue-sweep', '--plan', 'bad-plan.json'], code: 6 });
  }
  for (let cut = 1; cut < requestText.length; cut += Math.ceil(requestText.length / 30)) {
    cases.push({ name: `request cut at ${cut}`, file: 'bad-request.json', content: requestText.slice(0, cut), args: ['validate', 'bad-request.json', '--kind', 'request'], code: 2 });
  }
  // Wrong types for every field of a plan and of its base request.
  const wrong: unknown[] = [null, 7, 'text', true, [], {}, -1];
  const planFields = ['version', 'kind', 'created_at', 'created_by', 'workspace', 'group', 'base_request', 'strategy', 'execution'];
  for (const f of planFields) for (const v of wrong.slice(0, 5)) {
    if (f === 'workspace' && typeof v === 'string') continue;
    if (f === 'created_by' && typeof v === 'string') continue;
    cases.push({ name: `plan.${f}=${JSON.stringify(v)}`, file: 'bad-plan.json', content: JSON.stringify({ ...plan, [f]: v }), args: ['enqueue-sweep', '--plan', 'bad-plan.json'], code: 6 });
  }
  const requestFields = ['version', 'preset', 'dataset', 'device', 'created_at', 'seed', 'tags', 'command'];
  for (const f of requestFields) for (const v of [null, 'x', 3.5, [1], { a: 1 }]) {
    if (f === 'preset' && v === 'x') continue;
    cases.push({ name: `request.${f}=${JSON.stringify(v)}`, file: 'bad-request.json', content: JSON.stringify({ ...request, [f]: v }), args: ['validate', 'bad-request.json', '--kind', 'request'], code: 2 });
  }
  // Huge numbers, empty files, garbage, deep nesting, unknown kinds.
  for (const n of ['1e400', '-1e400', '99999999999999999999999', '1.5', '0', '-3']) {
    cases.push({ name: `max_parallel ${n}`, file: 'bad-plan.json', content: planText.replace('"max_parallel":2', `"max_parallel":${n}`), args: ['enqueue-sweep', '--plan', 'bad-plan.json'], code: 6 });
  }
  for (const [name, content] of [['empty', ''], ['spaces', '   \n'], ['null', 'null'], ['array', '[]'], ['string', '"plan"'], ['number', '42']] as const) {
    cases.push({ name: `plan ${name}`, file: 'bad-plan.json', content, args: ['enqueue-sweep', '--plan', 'bad-plan.json'], code: 6 });
  }
  for (let i = 0; i < 10; i++) {
    const bytes = Buffer.from(Array.from({ length: 64 + i * 50 }, () => rand(256)));
    cases.push({ name: `binary garbage ${i}`, file: 'bad-plan.json', content: bytes, args: ['enqueue-sweep', '--plan', 'bad-plan.json'], code: 6 });
  }
  for (const depth of [100, 1000, 5000]) {
    const nested = '['.repeat(depth) + ']'.repeat(depth);
    cases.push({ name: `nested ${depth}`, file: 'bad-plan.json', content: `{"version":1,"kind":"sweep_plan","x":${nested}}`, args: ['enqueue-sweep', '--plan', 'bad-plan.json'], code: 6 });
  }
  for (const kind of ['plan', 'queue', 'execution_queue2', 'run_group ', '']) {
    cases.push({ name: `kind ${JSON.stringify(kind)}`, file: 'bad-plan.json', content: JSON.stringify({ ...plan, kind }), args: ['enqueue-sweep', '--plan', 'bad-plan.json'], code: 6 });
  }
  // Ids that try to leave the workspace, and bad flags.
  for (const id of ['../x', '../../etc/passwd', '/etc', '.hidden', '-rf', 'a/b', 'a\\b', '..', '.', 'x'.repeat(200), 'tab\there', 'new\nline']) {
    cases.push({ name: `run id ${JSON.stringify(id)}`, args: ['enqueue-run', '--run-id', id], code: 2 });
    cases.push({ name: `group id ${JSON.stringify(id)}`, args: ['pause-group', '--group-id', id], code: 2 });
  }
  for (const p of ['high', '1.5', '1e3', '', '99999999999999999999']) cases.push({ name: `priority ${JSON.stringify(p)}`, args: ['enqueue-run', '--run-id', 'r', '--priority', p], code: 2 });
  cases.push({ name: 'unknown command', args: ['frobnicate'], code: 2 });
  cases.push({ name: 'unknown flag', args: ['queue-status', '--bogus'], code: 2 });
  cases.push({ name: 'missing plan', args: ['enqueue-sweep', '--plan', 'nowhere.json'], code: 3 });
  return cases;
}

async function badInputStorm(): Promise<void> {
  const ws = tempWorkspace();
  writeRun(ws, 'r');
  await enqueuePlan(ws, samplePlan(ws)); // a workspace with state to protect
  const cases = badInputs(ws);
  const failures: string[] = [];
  const queue = 4;
  let next = 0;
  await Promise.all(
    Array.from({ length: queue }, async () => {
      while (next < cases.length) {
        const c = cases[next++]!;
        // Each case gets its own copy of the input file name, so parallel cases do not collide.
        const file = c.file ? c.file.replace('.json', `-${next}.json`) : undefined;
        const args = c.args.map((a) => (a === c.file ? file! : a));
        if (file) writeFileSync(path.join(ws, file), c.content ?? '');
        const before = digest(ws);
        const r = await runCli(args, { cwd: ws });
        const after = digest(ws);
        const lines = r.stderr.trim().split('\n').filter((l) => l !== '' && !l.startsWith('(run with --help'));
        const problems: string[] = [];
        if (r.code !== c.code) problems.push(`exit ${r.code}, expected ${c.code}`);
        if (lines.length !== 1) problems.push(`${lines.length} stderr lines`);
        if (/\n\s+at /.test(r.stderr)) problems.push('stack trace');
        if (before !== after) problems.push('files changed');
        if (problems.length) failures.push(`${c.name}: ${problems.join(', ')} (${r.stderr.trim().slice(0, 120)})`);
      }
    }),
  );
  parts.push({
    name: 'bad inputs',
    ok: cases.length >= 200 && failures.length === 0,
    lost: 0,
    detail: `${cases.length} bad inputs, ${failures.length} handled wrongly${failures.length ? `: ${failures.slice(0, 3).join(' | ')}` : ''}`,
  });
}

async function fullAndReadOnly(): Promise<void> {
  const base = tempWorkspace();
  const ws = path.join(base, 'mnt');
  mkdirSync(ws);
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=256k', 'tmpfs', ws]);
  } catch (err) {
    parts.push({ name: 'full / read-only workspace', ok: false, lost: 0, detail: `could not mount a small file system to fill: ${String(err).split('\n')[0]}` });
    return;
  }
  const details: string[] = [];
  let ok = true;
  try {
    await enqueuePlan(ws, samplePlan(ws));
    const intact = readFileSync(queueFile(ws), 'utf8');
    // Fill the disk with a sweep too big for it.
    const big = samplePlan(ws, { strategy: { type: 'grid', parameters: [{ path: 'seed', values: Array.from({ length: 2000 }, (_, i) => i) }] } });
    writeFileSync(path.join(base, 'big.json'), JSON.stringify(big));
    const full = await runCli(['enqueue-sweep', '--plan', path.join(base, 'big.json'), '--workspace', ws]);
    const fullLine = full.stderr.trim();
    const fullOk = full.code === 1 && /no space left on device \(ENOSPC\)/.test(fullLine) && fullLine.split('\n').length === 1 && readFileSync(queueFile(ws), 'utf8') === intact;
    details.push(`full: exit ${full.code} "${fullLine.slice(0, 110)}", queue.json intact ${readFileSync(queueFile(ws), 'utf8') === intact}`);
    ok &&= fullOk;
    execFileSync('mount', ['-o', 'remount,ro', ws]);
    const ro = await runCli(['pause-group', '--group-id', readdirSync(path.join(ws, '.runforge', 'groups'))[0]!, '--workspace', ws]);
    const roLine = ro.stderr.trim();
    const status = await runCli(['queue-status', '--json', '--workspace', ws]);
    const roOk = ro.code === 1 && /read-only file system \(EROFS\)/.test(roLine) && roLine.split('\n').length === 1 && readFileSync(queueFile(ws), 'utf8') === intact && status.code === 0;
    details.push(`read-only: exit ${ro.code} "${roLine.slice(0, 110)}", queue.json intact, queue-status still works: ${status.code === 0}`);
    ok &&= roOk;
  } finally {
    try {
      execFileSync('umount', [ws]);
    } catch {
      // already gone
    }
  }
  parts.push({ name: 'full / read-only workspace', ok, lost: 0, detail: details.join('; ') });
}

const started = Date.now();
const ALL = [
  ['kill -9 storm', killStorm],
  ['8 CLI processes at random', cliStorm],
  ['bad inputs', badInputStorm],
  ['full / read-only workspace', fullAndReadOnly],
] as const;
// `npm run chaos -- bad full`: only the parts whose names contain one of the words.
const words = process.argv.slice(2).map((w) => w.toLowerCase());
for (const [name, fn] of ALL.filter(([n]) => words.length === 0 || words.some((w) => n.includes(w)))) {
  try {
    await fn();
  } catch (err) {
    parts.push({ name, ok: false, lost: 0, detail: `crashed: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}` });
  } finally {
    await stopAllDaemons();
    removeTempWorkspaces();
  }
  const p = parts.at(-1)!;
  console.log(`chaos ${p.ok ? 'PASS' : 'FAIL'} ${p.name}: ${p.detail}`);
}
const lost = parts.reduce((a, p) => a + p.lost, 0);
const failed = parts.filter((p) => !p.ok).length;
console.log(`chaos: ${parts.length - failed}/${parts.length} parts passed in ${((Date.now() - started) / 1000).toFixed(0)} s`);
console.log(`jobs lost: ${lost}`);
mkdirSync('test-results', { recursive: true });
writeFileSync('test-results/chaos.json', `${JSON.stringify({ passed: parts.length - failed, failed, lost, parts })}\n`);
console.log(`${parts.length - failed} passed, ${failed} failed`);
process.exit(failed === 0 && lost === 0 ? 0 : 1);
