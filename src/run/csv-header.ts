/** The header of a CSV dataset, for a dry run's check of the label column. */
import { createReadStream } from 'node:fs';

/** Splits one CSV line on commas outside quotes (`""` inside quotes is one `"`); cells trimmed. */
function splitCsvLine(line: string): string[] {
  const cells: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (c === '"') {
      if (quoted && line[i + 1] === '"') {
        cell += '"';
        i++;
      } else quoted = !quoted;
    } else if (c === ',' && !quoted) {
      cells.push(cell.trim());
      cell = '';
    } else cell += c;
  }
  cells.push(cell.trim());
  return cells;
}

/** The header of a CSV file (its first line, without a BOM), split on commas outside quotes. */
export async function csvHeader(file: string): Promise<string[]> {
  const stream = createReadStream(file, { encoding: 'utf8', highWaterMark: 64 * 1024 });
  let text = '';
  for await (const chunk of stream) {
    text += chunk as string;
    if (text.includes('\n') || text.length > 1_000_000) break;
  }
  stream.destroy();
  const line = (text.split('\n')[0] ?? '').replace(/\r$/, '').replace(/^\uFEFF/, '');
  return splitCsvLine(line);
}
