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
