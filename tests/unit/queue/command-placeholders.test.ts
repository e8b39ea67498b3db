import { describe, expect, it } from 'vitest';
import { PlanSchema } from '../../../src/contracts/plan.js';
import { placeholderProblems, placeholderText, substituteCommand } from '../../../src/queue/command-placeholders.js';
import { checkSweep } from '../../../src/queue/sweep-expansion.js';
import { planDoc } from '../../helpers/plans.js';

const SWEPT = ['model.hyperparameters.lr', 'model.hyperparameters.hidden', 'seed'];
const run = { 'model.hyperparameters.lr': 0.01, 'model.hyperparameters.hidden': 'wide', seed: 3 };

describe('substituteCommand', () => {
  it.each([
    [['--lr', '{lr}'], ['--lr', '0.01']],
    [['--lr={model.hyperparameters.lr}'], ['--lr=0.01']],
    [['--tag', '{hidden}-s{seed}'], ['--tag', 'wide-s3']],
    [['{{lr}}', '--x={{model.hyperparameters.lr}}/{lr}'], ['{lr}', '--x={model.hyperparameters.lr}/0.01']],
    // Any other brace is kept as written: JSON arguments of plans older than placeholders, lone {{ and }}.
    [['{"1":{"loss":-0.3}}', 'a}}b{{c'], ['{"1":{"loss":-0.3}}', 'a}}b{{c']],
    // Not placeholders: empty braces, braces around a non-path, a shell's ${NAME}.
    [['find', '.', '-exec', 'rm', '{}', ';'], ['find', '.', '-exec', 'rm', '{}', ';']],
    [['awk', '{print $1}'], ['awk', '{print $1}']],
    [['sh', '-c', 'echo ${HOME} {lr}'], ['sh', '-c', 'echo ${HOME} 0.01']],
  ])('%j → %j', (command, expected) => {
    expect(substituteCommand(command, run)).toEqual(expected);
  });

  it('writes a string raw and anything else as JSON', () => {
    expect(placeholderText('adam')).toBe('adam');
    expect(placeholderText(1e-5)).toBe('0.00001');
    expect(placeholderText(true)).toBe('true');
    expect(placeholderText(null)).toBe('null');
    expect(placeholderText([64, 32])).toBe('[64,32]');
    expect(substituteCommand(['--sizes={hs}'], { 'model.hyperparameters.hs': [64, 32] })).toEqual(['--sizes=[64,32]']);
  });

  it('refuses a placeholder that names no swept path', () => {
    expect(() => substituteCommand(['--x', '{lrr}'], run)).toThrow('command[1] has an unknown placeholder {lrr}');
  });
});

describe('placeholderProblems', () => {
  it('names an unknown placeholder, what the sweep sets and the closest name', () => {
    expect(placeholderProblems(['python', 't.py', '--lr', '{lrr}'], SWEPT, 'base_request.command')).toEqual([
      'base_request.command[3] has an unknown placeholder {lrr}: the sweep sets model.hyperparameters.lr, model.hyperparameters.hidden, seed; did you mean `{lr}`?',
    ]);
  });

  it('refuses a last segment that ends two swept paths', () => {
    expect(placeholderProblems(['{lr}'], ['a.lr', 'b.lr'], 'base_request.command')).toEqual([
      'base_request.command[0] has an ambiguous placeholder {lr}: it ends 2 swept paths (a.lr, b.lr); write the full path, e.g. {a.lr}',
    ]);
    expect(placeholderProblems(['{a.lr}', '{b.lr}'], ['a.lr', 'b.lr'], 'base_request.command')).toEqual([]);
  });

  it('finds nothing wrong with known placeholders and escaped braces', () => {
    expect(placeholderProblems(['{lr}', '{seed}', '{{nope}}', '{model.hyperparameters.hidden}'], SWEPT, 'c')).toEqual([]);
  });
});

describe('a sweep with placeholders', () => {
  const plan = (command: string[], parameters: unknown[]) =>
    PlanSchema.parse(
      planDoc({ version: 1, dataset: { path: 'd.csv', label_column: 'y' }, device: { type: 'cpu' }, command, created_at: '2026-02-01T21:20:47Z', created_by: 'x@1' }, { type: 'grid', parameters }),
    );
  const stamp = { groupId: 'grp_1', createdAt: '2026-11-25T01:00:00Z', createdBy: 'r@1' };

  it('gives each run its substituted command and records its swept values', () => {
    const { runs, problems } = checkSweep(plan(['python', 't.py', '--lr', '{lr}', '--opt={opt}'], [
      { path: 'model.hyperparameters.lr', values: [0.1, 0.01] },
      { path: 'model.hyperparameters.opt', values: ['adam'] },
    ]), stamp);
    expect(problems).toEqual([]);
    expect(runs.map((r) => r.request.command)).toEqual([
      ['python', 't.py', '--lr', '0.1', '--opt=adam'],
      ['python', 't.py', '--lr', '0.01', '--opt=adam'],
    ]);
    expect(runs.map((r) => r.request.sweep_params)).toEqual([
      { 'model.hyperparameters.lr': 0.1, 'model.hyperparameters.opt': 'adam' },
      { 'model.hyperparameters.lr': 0.01, 'model.hyperparameters.opt': 'adam' },
    ]);
  });

  it('reports an unknown placeholder once, for the plan, and makes no run', () => {
    const { runs, problems } = checkSweep(plan(['python', '{epochs}'], [{ path: 'model.hyperparameters.lr', values: [0.1, 0.01] }]), stamp);
    expect(runs).toEqual([]);
    expect(problems).toEqual(['base_request.command[1] has an unknown placeholder {epochs}: the sweep sets model.hyperparameters.lr']);
  });

  it('checks run by run when the sweep varies the command itself', () => {
    const { problems } = checkSweep(plan(['x'], [
      { path: 'model.hyperparameters.lr', values: [0.1] },
      { path: 'command', values: [['a', '{lr}'], ['b', '{nope}']] },
    ]), stamp);
    expect(problems).toEqual([
      'run 2 of the sweep ({"model.hyperparameters.lr":0.1,"command":["b","{nope}"]}) cannot be made: command[1] has an unknown placeholder {nope}: the sweep sets model.hyperparameters.lr, command',
    ]);
  });
});
