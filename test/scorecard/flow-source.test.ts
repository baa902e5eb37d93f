// A flow whose scorecard node points at a trained scorecard.json scores exactly like the modeller's scorer.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadFlowFile, checkFlowFile } from '../../src/cli/flow-files.ts';
import { parseCsv, scoreRow, train } from '../../src/scorecard/index.ts';

const dir = mkdtempSync(join(tmpdir(), 'mj-scsrc-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('scorecard node with a source file', () => {
  it('loads scorecard.json and gives the scorer\'s points, rating and reasons', () => {
    const table = parseCsv(readFileSync('../shared/data/heloc_dataset_v1.csv', 'utf8'), 'heloc');
    const split = parseCsv(readFileSync('../shared/data/heloc_split_seed42.csv', 'utf8'), 'split');
    const { model } = train({ table, target: 'RiskPerformance', bad: 'Bad', split: { file: split }, special: [-9, -8, -7], createdAt: '2026-11-28T00:00:00Z' });
    writeFileSync(join(dir, 'scorecard.json'), JSON.stringify(model));
    const inputs = model.attributes.map((a) => `  ${a.value}: { type: number, required: false }`).join('\n');
    writeFileSync(join(dir, 'flow.yaml'), `id: heloc-score\nversion: 1\ninputs:\n${inputs}\nnodes:
  - { id: card, type: scorecard, source: scorecard.json, reasons: { output: why, count: 3 }, next: done }
  - { id: done, type: outcome, outputs: { score: score, rating: rating, why: why } }
`);
    expect(checkFlowFile(join(dir, 'flow.yaml')).filter((d) => d.severity !== 'warning')).toEqual([]);
    const flow = loadFlowFile(join(dir, 'flow.yaml'));
    const cols = table.columns;
    for (let r = 0; r < 300; r++) {
      const row: Record<string, unknown> = {};
      cols.forEach((c, k) => { if (c !== 'RiskPerformance') row[c] = Number(table.rows[r]![k]); });
      const mine = scoreRow(model, row);
      const app = Object.fromEntries(model.attributes.map((a) => [a.value, row[a.value]]));
      const res = flow.evaluate(app);
      if (!res.ok) throw new Error(res.error.message);
      expect(res.outputs.score).toBe(mine.score);
      expect(res.outputs.rating).toBe(mine.rating);
      expect(res.outputs.why).toEqual(mine.reasons.slice(0, 3).map((x) => x.code));
    }
  });
});
