import { ExitCode } from '../../infra/errors.js';
import { parseKind, validateFile } from '../../ops/validate.js';
import { err, out, outJson } from '../output.js';

export async function validateCommand(file: string, opts: { kind?: string; json?: boolean; strict?: boolean }): Promise<number> {
  const kind = opts.kind === undefined ? undefined : parseKind(opts.kind);
  const report = await validateFile(file, { kind, strict: opts.strict });
  const valid = report.problems.length === 0;
  const code = valid ? ExitCode.ok : report.kind === 'plan' ? ExitCode.invalidPlan : ExitCode.usage;
  if (opts.json) {
    outJson({ file, kind: report.kind ?? null, valid, problems: report.problems, warnings: report.warnings });
    return code;
  }
  if (valid) {
    for (const warning of report.warnings) err(`Warning: ${warning}`);
    out('OK');
    return code;
  }
  // An invalid file's warnings (often the cause: a misspelt key) stand with its problems on stdout, so
  // stderr keeps its one error line.
  for (const problem of report.problems) out(problem);
  for (const warning of report.warnings) out(`Warning: ${warning}`);
  const what = report.kind ? `a valid ${report.kind}` : 'a RunForge file';
  const n = report.problems.length;
  err(`Error: ${file} is not ${what} (${n} problem${n > 1 ? 's' : ''})`);
  return code;
}
