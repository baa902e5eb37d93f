import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';

const REFERENCE = '/work/shared/bench/reference-policy';
const BIN = join(import.meta.dirname, '..', '..', '..', 'bin', 'mingjian');
const dir = mkdtempSync(join(tmpdir(), 'mingjian-import-jdm-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function cli(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', maxBuffer: 256 * 2 ** 20 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('mingjian import-jdm', () => {
  it('writes a flow that `mingjian decide` runs exactly like baseline.mjs on 100,000 applications', async () => {
    const flowFile = join(dir, 'credit-policy.yaml');
    const imported = cli('import-jdm', join(REFERENCE, 'artifacts', 'credit-policy.jdm.json'), '-o', flowFile);
    expect(imported.status).toBe(0);
    expect(imported.stderr).toMatch(/warning: output 'all'/);
    const flow = parse(readFileSync(flowFile, 'utf8'));
    expect(flow).toMatchObject({ id: 'credit-policy', version: 1 });

    const { generateApplications } = (await import(`${REFERENCE}/data.mjs`)) as { generateApplications(n: number, seed: number): Record<string, unknown>[] };
    const { canonical } = (await import(`${REFERENCE}/policy.mjs`)) as { canonical(o: unknown): string };
    const { decide } = (await import(`${REFERENCE}/baseline.mjs`)) as { decide(a: unknown): unknown };
    const apps = generateApplications(100_000, 42);
    const input = join(dir, 'apps.jsonl');
    writeFileSync(input, `${apps.map((a) => JSON.stringify(a)).join('\n')}\n`);
    const decided = cli('decide', '--flow', flowFile, '--input', input);
    expect(decided.stderr).toBe('');
    expect(decided.status).toBe(0);
    const lines = decided.stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(apps.length);
    const mismatches: string[] = [];
    lines.forEach((line, i) => {
      const d = JSON.parse(line);
      const got = canonical({ decision: d.decision, creditLine: d.creditLine, score: d.outputs.score, scoreBand: d.outputs.scoreBand, reasons: d.reasons });
      const expected = canonical(decide(apps[i]));
      if (got !== expected && mismatches.length < 5) mismatches.push(`${i}: ${got} != ${expected}`);
    });
    expect(mismatches).toEqual([]);
  });

  it('fails naming the node it cannot convert, and writes nothing', () => {
    const jdm = join(dir, 'with-function.json');
    writeFileSync(jdm, JSON.stringify({
      nodes: [
        { id: 'in', type: 'inputNode', name: 'request' },
        { id: 'fn', type: 'functionNode', name: 'enrich', content: { source: 'export const handler = async (input) => input;' } },
        { id: 'out', type: 'outputNode', name: 'response' },
      ],
      edges: [{ id: 'a', sourceId: 'in', targetId: 'fn' }, { id: 'b', sourceId: 'fn', targetId: 'out' }],
    }));
    const out = join(dir, 'never.yaml');
    const r = cli('import-jdm', jdm, '-o', out);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/JDM node 'enrich' \(functionNode\) cannot be converted: function nodes run arbitrary JavaScript/);
    expect(() => readFileSync(out)).toThrow();
  });

  it('reports unreadable input and usage errors', () => {
    expect(cli('import-jdm', join(dir, 'missing.json')).stderr).toMatch(/cannot read JDM file/);
    const r = cli('import-jdm');
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/expected exactly one JDM file/);
  });
});
