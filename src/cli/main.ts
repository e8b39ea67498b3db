/**
 * The command line's entry: parse the arguments, run one command, map its outcome to an exit code.
 * Started by the `runforge` binary (bin.cts), from the bundle or as ES modules.
 */
import { buildProgram } from './program.js';
import { reportError } from './errors.js';
import { err } from './output.js';

// `runforge history | head`: a reader that went away is not an error.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw error;
  });
}

async function main(argv: string[]): Promise<number> {
  let exitCode = 0;
  const program = buildProgram(async (code) => {
    exitCode = await code;
  });
  try {
    await program.parseAsync(argv);
    return exitCode;
  } catch (error) {
    return reportError(error, err);
  }
}

void main(process.argv).then((code) => {
  process.exitCode = code;
});
