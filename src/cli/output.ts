/** Writing to the terminal: the CLI layer is the only one that prints. */
export const out = (line = ''): void => {
  process.stdout.write(`${line}\n`);
};

export const err = (line: string): void => {
  process.stderr.write(`${line}\n`);
};

/** Clean JSON on stdout and nothing else (`--json`). */
export const outJson = (value: unknown): void => {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
};

/**
 * A progress line on stderr that redraws itself, only when stderr is a terminal (so scripts, pipes
 * and --json output never see it). Returns undefined when there is no terminal.
 */
export function terminalProgress(label: string): ((done: number, total: number) => void) | undefined {
  if (!process.stderr.isTTY) return undefined;
  return (done, total) => {
    process.stderr.write(`\r${label} ${done}/${total}${done === total ? '\n' : ''}`);
  };
}
