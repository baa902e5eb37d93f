import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { main } from '../main.ts';

const CONFIG = 'src/variables/examples/consumer-loan.variables.yaml';
const FLOW = 'examples/flows/consumer-loan.yaml';

async function run(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const o = vi.spyOn(process.stdout, 'write').mockImplementation((s) => ((out += String(s)), true));
  const e = vi.spyOn(process.stderr, 'write').mockImplementation((s) => ((err += String(s)), true));
  try {
    return { code: await main(argv), out, err };
  } finally {
    o.mockRestore();
    e.mockRestore();
  }
}

describe('mingjian variables', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mingjian-variables-cli-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('checks a configuration and reports the problems of a bad one', async () => {
    const ok = await run('variables', 'check', CONFIG);
    expect(ok.code).toBe(0);
    expect(ok.out).toMatch(/valid -- 21 variables \(5 input, 4 velocity, 12 external\)/);
    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, 'variables:\n  - { name: x, type: integer, source: velocity, owner: o, description: d }\n');
    const res = await run('variables', 'check', bad);
    expect(res.code).toBe(1);
    expect(res.err).toContain('variables[0].velocity: a velocity variable needs its velocity definition');
  });

  it('answers lineage questions about a flow file', async () => {
    const needs = await run('variables', 'needs', CONFIG, '--flow', FLOW, '--json');
    expect(JSON.parse(needs.out)).toMatchObject({ flow: 'consumer-loan', sources: ['creditBureau'] });
    const usage = await run('variables', 'usage', CONFIG, 'deviceId', '--flow', FLOW, '--json');
    expect(JSON.parse(usage.out)).toEqual([{ flow: 'consumer-loan', version: 1, direct: true, via: ['deviceApps1h', 'deviceDistinctIds24h'], nodes: ['antiFraud'] }]);
    const unused = await run('variables', 'unused', CONFIG, '--flow', FLOW, '--json');
    expect(JSON.parse(unused.out)).toEqual(expect.arrayContaining(['idDeclines30d', 'idValid']));
    expect((await run('variables', 'unused', CONFIG)).code).toBe(2);
  });

  it('profiles recorded values against a baseline', async () => {
    const cur = join(dir, 'cur.jsonl');
    const base = join(dir, 'base.jsonl');
    writeFileSync(cur, [1, 2, 3, null].map((v) => JSON.stringify({ variables: { score: v } })).join('\n'));
    writeFileSync(base, [1, 2, 3, 4].map((v) => JSON.stringify({ score: v })).join('\n'));
    const res = await run('variables', 'quality', cur, '--baseline', base, '--json');
    const body = JSON.parse(res.out);
    expect(body.profiles.score).toMatchObject({ count: 4, missing: 1 });
    expect(body.changes.score.missingRateChange).toBe(0.25);
  });
});
