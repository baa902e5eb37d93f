import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { compileFlow, parseFlowSource } from '../../src/engine/index.ts';

const flowFiles = readdirSync('examples/flows').filter((f) => /\.(ya?ml|json)$/.test(f));

describe('example flows', () => {
  it('every example flow validates with the CLI', () => {
    const out = execFileSync('./bin/mingjian', ['validate', ...flowFiles.map((f) => `examples/flows/${f}`)], { encoding: 'utf8' });
    for (const f of flowFiles) expect(out).toContain(`${f}: valid`);
  });

  it('consumer-loan decides the sample applications with reasons, lines and prices', () => {
    const { definition } = parseFlowSource(readFileSync('examples/flows/consumer-loan.yaml', 'utf8'));
    const flow = compileFlow(definition);
    const apps = readFileSync('examples/applications/consumer-loan.jsonl', 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    const opts = { now: '2026-11-28T00:00:00Z', watchlist: (list: string, v: unknown) => list === 'fraud-devices' && v === 'dev-blocked' };
    const results = apps.map((a) => flow.evaluate(a, opts));
    expect(results.every((r) => r.ok)).toBe(true);
    const [good, , ring] = results as Extract<(typeof results)[number], { ok: true }>[];
    expect(good).toMatchObject({ decision: 'APPROVE', creditLine: 2000000, priceBand: 'P1' });
    expect(ring).toMatchObject({ decision: 'DECLINE', reasons: ['FR04', 'FR05'], outcomeNode: 'fraudDecline' });
    const blocked = flow.evaluate({ ...apps[0], deviceId: 'dev-blocked' }, opts);
    expect(blocked).toMatchObject({ ok: true, decision: 'DECLINE', reasons: ['FR01'] });
    expect(flow.piiPaths).toEqual(['fullName', 'idNumber', 'phone', 'bankCard', 'email', 'contactPhones']);
  });
});
