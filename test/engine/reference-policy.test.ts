// The reference policy flow must equal the hand-written oracle (shared/bench/reference-policy/baseline.mjs)
// on every one of generateApplications(100000, 42), both in-process and through `mingjian decide`.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compileFlow, parseFlowSource } from '../../src/engine/index.ts';
// @ts-expect-error plain JavaScript from the shared folder
import { generateApplications } from '../../../shared/bench/reference-policy/data.mjs';
// @ts-expect-error plain JavaScript from the shared folder
import { decide } from '../../../shared/bench/reference-policy/baseline.mjs';
// @ts-expect-error plain JavaScript from the shared folder
import { canonical } from '../../../shared/bench/reference-policy/policy.mjs';

type App = Record<string, unknown>;
const apps = generateApplications(100000, 42) as App[];
const flowPath = 'examples/flows/reference-policy.yaml';

function asBaseline(r: { decision: string; creditLine: unknown; reasons: string[]; outputs?: Record<string, unknown>; score?: unknown; scoreBand?: unknown }) {
  return { decision: r.decision, creditLine: r.creditLine, score: r.outputs?.score ?? r.score, scoreBand: r.outputs?.scoreBand ?? r.scoreBand, reasons: r.reasons };
}

describe('reference policy', () => {
  it('compiled flow equals baseline.mjs on 100,000 generated applications', () => {
    const { definition, sourceMap } = parseFlowSource(readFileSync(flowPath, 'utf8'), flowPath);
    const flow = compileFlow(definition, { sourceMap });
    let agree = 0;
    const mismatches: string[] = [];
    for (const a of apps) {
      const r = flow.evaluate(a);
      if (!r.ok) { mismatches.push(`${a.applicationId}: ${r.error.message}`); continue; }
      const ours = canonical(asBaseline(r)), theirs = canonical(decide(a));
      if (ours === theirs) agree++;
      else if (mismatches.length < 5) mismatches.push(`${a.applicationId}: ${ours} != ${theirs}`);
    }
    expect(mismatches).toEqual([]);
    expect(agree).toBe(100000);
  });

  it('`mingjian decide` on the flow file equals baseline.mjs on 100,000 applications', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mj-ref-'));
    try {
      const input = join(dir, 'apps.jsonl');
      writeFileSync(input, apps.map((a) => JSON.stringify(a)).join('\n') + '\n');
      const out = execFileSync('./bin/mingjian', ['decide', '--flow', flowPath, '--input', input], { maxBuffer: 1 << 28, encoding: 'utf8' });
      const lines = out.trimEnd().split('\n');
      expect(lines).toHaveLength(100000);
      let agree = 0;
      lines.forEach((line, i) => {
        if (canonical(asBaseline(JSON.parse(line))) === canonical(decide(apps[i]))) agree++;
      });
      expect(agree).toBe(100000);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
