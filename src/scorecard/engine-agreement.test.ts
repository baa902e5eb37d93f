// The scorecard the modeller validated is the one the flow runs: a flow built with scorecardToNode, compiled by the
// engine, gives the same score, rating and reason codes as scoreRow on every test row; so does a flow built from
// the PMML export.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { compileFlow } from '../engine/index.ts';
import type { FlowDefinition, InputField, ScorecardNode } from '../engine/types.ts';
import { parseCsv } from './table.ts';
import { train } from './train.ts';
import { scoreRow } from './scoring.ts';
import { scorecardToNode } from './node.ts';
import { pmmlToNode, scorecardToPmml } from './pmml.ts';
import type { ScorecardModel, Table } from './types.ts';

const DATA = '/work/shared/data';

function flowFor(model: ScorecardModel, node: ScorecardNode): FlowDefinition {
  const inputs: Record<string, InputField> = {};
  for (const a of model.attributes) inputs[a.value] = { type: a.type === 'numeric' ? 'number' : 'string', required: false };
  return {
    id: 'scorecard-agreement',
    version: 1,
    inputs,
    nodes: [
      { ...node, next: 'end' },
      { id: 'end', type: 'outcome', decision: 'APPROVE', outputs: { score: 'score', ...(node.rating ? { rating: 'rating' } : {}), ...(node.reasons ? { scoreReasons: 'scoreReasons' } : {}) } },
    ],
  };
}

/** The application a flow receives: numbers typed as numbers, text as text, empty as absent. */
function application(model: ScorecardModel, table: Table, r: number): Record<string, unknown> {
  const app: Record<string, unknown> = {};
  for (const a of model.attributes) {
    const raw = table.rows[r]![table.columns.indexOf(a.value)]!;
    if (raw === '') continue;
    app[a.value] = a.type === 'numeric' ? Number(raw) : raw;
  }
  return app;
}

function compare(table: Table, split: Table, model: ScorecardModel, node: ScorecardNode) {
  const flow = compileFlow(flowFor(model, node));
  let compared = 0;
  for (let r = 0; r < table.rows.length; r++) {
    if (split.rows[r]![1] !== 'test') continue;
    const raw = Object.fromEntries(table.columns.map((c, i) => [c, table.rows[r]![i]]));
    const mine = scoreRow(model, raw);
    const res = flow.evaluate(application(model, table, r));
    if (!res.ok) throw new Error(`row ${r}: ${JSON.stringify(res.error)}`);
    expect(res.outputs.score, `row ${r}`).toBe(mine.score);
    if (node.rating) expect(res.outputs.rating, `row ${r}`).toBe(mine.rating);
    if (node.reasons) expect(res.outputs.scoreReasons, `row ${r}`).toEqual(mine.reasons.slice(0, 4).map((x) => x.code));
    compared++;
  }
  return compared;
}

describe('engine agreement', () => {
  const german = parseCsv(readFileSync(`${DATA}/german_credit.csv`, 'utf8'));
  const germanSplit = parseCsv(readFileSync(`${DATA}/german_split_seed42.csv`, 'utf8'));
  const gModel = train({ table: german, target: 'creditability', bad: 'bad', split: { file: germanSplit } }).model;

  it('German test set: the compiled flow equals scoreRow (score, rating, reasons)', () => {
    expect(compare(german, germanSplit, gModel, scorecardToNode(gModel, { id: 'applicationScore' }))).toBe(300);
  });

  it('German test set: a flow imported from the PMML export gives the same scores', () => {
    const imported = pmmlToNode(scorecardToPmml(gModel), { id: 'fromPmml' });
    expect(imported.attributes!.map((a) => a.name)).toEqual(gModel.attributes.map((a) => a.name));
    expect(compare(german, germanSplit, gModel, imported)).toBe(300);
  });

  it('missing text in a categorical column (\'\', NA, n/a, null, NaN) lands in the missing bin in the flow as in training', () => {
    const col = german.columns.indexOf('purpose');
    const spellings = ['', 'NA', ' n/a ', 'null', 'NaN'];
    const holed: Table = { ...german, rows: german.rows.map((row, r) => (r % 10 === 3 ? row.map((v, i) => (i === col ? spellings[(r / 10) % 5 | 0]! : v)) : row)) };
    const model = train({ table: holed, target: 'creditability', bad: 'bad', split: { file: germanSplit } }).model;
    const purpose = model.attributes.find((a) => a.value === 'purpose')!;
    expect(purpose.missing.points).not.toBe(purpose.other?.points ?? 0);
    const flow = compileFlow(flowFor(model, scorecardToNode(model, { id: 'holed' })));
    let missing = 0;
    for (let r = 0; r < holed.rows.length; r++) {
      const raw = Object.fromEntries(holed.columns.map((c, i) => [c, holed.rows[r]![i]]));
      // The text as the lending app would send it, not dropped: the flow must read it as missing by itself.
      const app = { ...application(model, holed, r), purpose: raw.purpose };
      const res = flow.evaluate(app);
      if (!res.ok) throw new Error(`row ${r}: ${JSON.stringify(res.error)}`);
      expect(res.outputs.score, `row ${r} purpose '${raw.purpose}'`).toBe(scoreRow(model, raw).score);
      if (r % 10 === 3) missing++;
    }
    expect(missing).toBe(100);
  });

  it('HELOC test set (special values -9/-8/-7): the compiled flow equals scoreRow', () => {
    const heloc = parseCsv(readFileSync(`${DATA}/heloc_dataset_v1.csv`, 'utf8'));
    const split = parseCsv(readFileSync(`${DATA}/heloc_split_seed42.csv`, 'utf8'));
    const model = train({ table: heloc, target: 'RiskPerformance', bad: 'Bad', split: { file: split }, special: [-9, -8, -7] }).model;
    expect(compare(heloc, split, model, scorecardToNode(model, { id: 'bureauScore' }))).toBe(3138);
  });
});
