// Streams a JSONL file of applications (the edge of the offline `fraud rings` command): splits lines itself over
// large chunks, which is several times faster than readline at a million lines, and validates each line.
import { createReadStream } from 'node:fs';
import { parseApplicationLine, type ApplicationRecord } from './application-record.ts';

export async function* readApplicationsJsonl(path: string): AsyncGenerator<ApplicationRecord & { appliedAtMs: number }> {
  const stream = createReadStream(path, { encoding: 'utf8', highWaterMark: 1 << 20 });
  let rest = '';
  let lineNumber = 0;
  for await (const chunk of stream as AsyncIterable<string>) {
    const text = rest + chunk;
    let start = 0;
    let nl = text.indexOf('\n', start);
    while (nl >= 0) {
      lineNumber++;
      const line = text.slice(start, nl);
      if (line.trim() !== '') yield parseApplicationLine(line, lineNumber, path);
      start = nl + 1;
      nl = text.indexOf('\n', start);
    }
    rest = text.slice(start);
  }
  if (rest.trim() !== '') yield parseApplicationLine(rest, lineNumber + 1, path);
}
