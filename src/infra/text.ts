/** User input shown back in a message: control characters escaped, long values shortened. */
export function quote(value: string, max = 80): string {
  const escaped = JSON.stringify(value).slice(1, -1).replace(/'/g, "\\'");
  return `'${escaped.length > max ? `${escaped.slice(0, max)}…` : escaped}'`;
}

/** Keeps a message on one line, whatever was interpolated into it. */
export function oneLine(message: string): string {
  // eslint-disable-next-line no-control-regex -- control characters are exactly what is replaced
  return message.replace(/\r?\n/g, '\\n').replace(/[\u0000-\u0008\u000b-\u001f\u007f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
