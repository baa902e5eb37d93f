import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { generatePopulation } from './population.ts';
import { buildGraph } from './graph-loader.ts';
import { loadGraphParallel } from './parallel-load.ts';
import { detectRings } from './rings.ts';
import { GraphVariableReader } from './graph-variables.ts';

const KEY = Buffer.alloc(32, 4);

describe('parallel JSONL load', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mingjian-pload-'));
  const records = [...generatePopulation({ n: 4000, seed: 2, ringShare: 0.03 }).records()];
  const file = join(dir, 'apps.jsonl');
  // Blank lines and CRLF-free JSONL with a trailing line lacking its newline.
  writeFileSync(file, records.map((r, i) => JSON.stringify(r) + (i === 100 ? '\n' : '')).join('\n'));

  it('builds exactly the graph a sequential load builds, whatever the chunking', async () => {
    const sequential = buildGraph(records, KEY);
    const parallel = await loadGraphParallel(file, KEY, { workers: 2, chunkBytes: 50_000 });
    parallel.compact();
    expect(parallel.appCount).toBe(sequential.appCount);
    expect(parallel.appIds).toEqual(sequential.appIds);
    expect(parallel.identifierCount).toBe(sequential.identifierCount);
    expect(Array.from(parallel.edgeIdent.subarray(0, parallel.edgeCount))).toEqual(Array.from(sequential.edgeIdent.subarray(0, sequential.edgeCount)));
    expect(detectRings(parallel).rings).toEqual(detectRings(sequential).rings);
    const a = new GraphVariableReader(parallel), b = new GraphVariableReader(sequential);
    for (let i = 0; i < 4000; i += 97) expect(a.forStoredApplication(i)).toEqual(b.forStoredApplication(i));
  });

  it('names the line in the whole file when a later chunk holds a bad record', async () => {
    const bad = join(dir, 'bad.jsonl');
    const lines = records.slice(0, 2000).map((r) => JSON.stringify(r));
    lines[1500] = JSON.stringify({ ...records[1500], contactPhones: 'not-an-array' });
    writeFileSync(bad, lines.join('\n') + '\n');
    await expect(loadGraphParallel(bad, KEY, { workers: 2, chunkBytes: 40_000 })).rejects.toThrow('line 1501: invalid application (contactPhones)');
  });

  it('reports a missing file', async () => {
    await expect(loadGraphParallel(join(dir, 'none.jsonl'), KEY)).rejects.toThrow(/cannot read .*ENOENT/);
  });
});
