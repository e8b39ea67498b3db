#!/usr/bin/env node
/** The `runforge` binary: parse the command line, run one command, map its outcome to an exit code. */
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

process.exitCode = await main(process.argv);
