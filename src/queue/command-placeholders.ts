/**
 * Placeholders in a sweep's command (issue 16), pure. In `base_request.command`, `{lr}` (the last
 * segment of a swept path) or `{model.hyperparameters.lr}` (the full path) becomes the run's value:
 * a string as its raw text, anything else (a number, a boolean, null, a list) as its JSON text.
 * `{{lr}}` is the literal text `{lr}`. Every other brace is left as written — braces around anything
 * that is not a dot path (`{}`, `{print $1}`, JSON), a lone `{{` or `}}`, a shell's `${NAME}` — so
 * `find -exec … {}`, `sh -c` scripts and JSON arguments keep working.
 */
import { closestName, didYouMean } from '../contracts/suggest.js';
import { InvalidPlanError } from '../infra/errors.js';

/** One piece of a command argument: literal text, or a placeholder's name. */
type Piece = { text: string } | { name: string };

const NAME = '([A-Za-z0-9_$-]+(?:\\.[A-Za-z0-9_$-]+)*)';
/** `{name}` at the start of the rest of an argument, the name a dot path as a sweep path is (contracts/constants.ts). */
const PLACEHOLDER = new RegExp(`^\\{${NAME}\\}`);
/** `{{name}}`: the literal text `{name}`. */
const ESCAPED = new RegExp(`^\\{\\{${NAME}\\}\\}`);

/**
 * An argument split into literal text and placeholders. Only `{name}` and `{{name}}` are read; every
 * other brace is kept as written, so an argument such as a JSON object (`{"a":{"b":1}}`) that a plan
 * passed before placeholders existed reaches the program unchanged.
 */
function parseArgument(arg: string): Piece[] {
  if (!arg.includes('{')) return [{ text: arg }];
  const pieces: Piece[] = [];
  let text = '';
  let i = 0;
  while (i < arg.length) {
    const rest = arg.slice(i);
    const escaped = arg[i] === '{' ? ESCAPED.exec(rest) : null;
    const match = escaped === null && arg[i] === '{' && arg[i - 1] !== '$' ? PLACEHOLDER.exec(rest) : null;
    if (escaped) {
      text += `{${escaped[1]}}`;
      i += escaped[0].length;
    } else if (match) {
      if (text !== '') pieces.push({ text });
      text = '';
      pieces.push({ name: match[1]! });
      i += match[0].length;
    } else {
      text += arg[i];
      i++;
    }
  }
  if (text !== '') pieces.push({ text });
  return pieces;
}

/** The swept path a placeholder names, or why it names none. */
export function resolvePlaceholder(name: string, sweptPaths: readonly string[]): { path: string } | { problem: string } {
  if (sweptPaths.includes(name)) return { path: name };
  const endingWith = sweptPaths.filter((p) => p.split('.').at(-1) === name);
  if (endingWith.length === 1) return { path: endingWith[0]! };
  if (endingWith.length > 1) {
    return { problem: `has an ambiguous placeholder {${name}}: it ends ${endingWith.length} swept paths (${endingWith.join(', ')}); write the full path, e.g. {${endingWith[0]}}` };
  }
  const known = sweptPaths.flatMap((p) => [p, p.split('.').at(-1)!]);
  const suggestion = closestName(name, known);
  const swept = sweptPaths.length > 0 ? `the sweep sets ${sweptPaths.join(', ')}` : 'the sweep sets nothing';
  return { problem: `has an unknown placeholder {${name}}: ${swept}${didYouMean(suggestion === undefined ? undefined : `{${suggestion}}`)}` };
}

/** One line per placeholder of `command` that names no swept path: `<where>[2] has an unknown placeholder {x}: …`. */
export function placeholderProblems(command: readonly string[], sweptPaths: readonly string[], where: string): string[] {
  const problems: string[] = [];
  command.forEach((arg, i) => {
    for (const piece of parseArgument(arg)) {
      if (!('name' in piece)) continue;
      const resolved = resolvePlaceholder(piece.name, sweptPaths);
      if ('problem' in resolved) problems.push(`${where}[${i}] ${resolved.problem}`);
    }
  });
  return problems;
}

/** A value as it goes into a command: a string raw, anything else as JSON (`0.01`, `true`, `[64,32]`). */
export function placeholderText(value: unknown): string {
  return typeof value === 'string' ? value : (JSON.stringify(value) ?? 'null');
}

/**
 * `command` with each placeholder replaced by the run's value from `overrides` (`{path: value}`) and
 * each `{{name}}` by `{name}`. A placeholder that names no swept path is an InvalidPlanError.
 */
export function substituteCommand(command: readonly string[], overrides: Record<string, unknown>): string[] {
  const paths = Object.keys(overrides);
  return command.map((arg, i) =>
    parseArgument(arg)
      .map((piece) => {
        if ('text' in piece) return piece.text;
        const resolved = resolvePlaceholder(piece.name, paths);
        if ('problem' in resolved) throw new InvalidPlanError(`command[${i}] ${resolved.problem}`);
        return placeholderText(overrides[resolved.path]);
      })
      .join(''),
  );
}
