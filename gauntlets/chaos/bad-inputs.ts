/**
 * Bad inputs: >= 200 malformed plans, requests, ids and flags, 4 at a time. Each must get its documented
 * exit code, exactly one line on stderr, no stack trace, and leave .runforge/ and .ml/ byte-identical.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { baseRequest, enqueuePlan, runCli, samplePlan, tempWorkspace, writeRun } from '../lib.js';
import { digest, type Part, rand } from './common.js';

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

export async function badInputStorm(): Promise<Part> {
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
  return {
    name: 'bad inputs',
    ok: cases.length >= 200 && failures.length === 0,
    lost: 0,
    detail: `${cases.length} bad inputs, ${failures.length} handled wrongly${failures.length ? `: ${failures.slice(0, 3).join(' | ')}` : ''}`,
  };
}
