// Training end to end on the shared German credit and HELOC data: determinism, validation errors, special and
// missing bins, one scoring path for rows and files, and stability against the development sample.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { MingjianError } from '../kernel/errors.ts';
import { parseCsv } from './table.ts';
import { train, type TrainOptions } from './train.ts';
import { scoreRow, scoreTable } from './scoring.ts';
import { stability } from './psi.ts';
import { parseModel } from './model-file.ts';
import { renderReport } from './report.ts';

const DATA = '/work/shared/data';
const german = parseCsv(readFileSync(`${DATA}/german_credit.csv`, 'utf8'));
const germanSplit = parseCsv(readFileSync(`${DATA}/german_split_seed42.csv`, 'utf8'));
const heloc = parseCsv(readFileSync(`${DATA}/heloc_dataset_v1.csv`, 'utf8'));
const helocSplit = parseCsv(readFileSync(`${DATA}/heloc_split_seed42.csv`, 'utf8'));

const germanOptions = (o: Partial<TrainOptions> = {}): TrainOptions => ({ table: german, target: 'creditability', bad: 'bad', split: { file: germanSplit }, createdAt: '2026-01-01T00:00:00Z', ...o });

function errorOf(fn: () => unknown): MingjianError {
  try {
    fn();
  } catch (err) {
    if (err instanceof MingjianError) return err;
    throw err;
  }
  throw new Error('expected a MingjianError');
}

describe('train on German credit', () => {
  const result = train(germanOptions());
  const model = result.model;

  it('builds a scorecard with metrics on train and test', () => {
    expect(model.attributes.length).toBeGreaterThan(5);
    expect(Object.keys(result.summary)).toEqual(['train', 'test']);
    expect(result.summary.train!.rows).toBe(700);
    expect(result.summary.test!.rows).toBe(300);
    expect(result.summary.test!.auc).toBeGreaterThan(0.75);
    expect(result.summary.test!.gini).toBeCloseTo(2 * result.summary.test!.auc - 1, 12);
    expect(model.metadata.fingerprint.digest).toMatch(/^[0-9a-f]{64}$/);
    for (const a of model.attributes) expect(a.coefficient).toBeLessThan(0);
  });

  it('is deterministic: the same data gives the same model, byte for byte', () => {
    expect(JSON.stringify(train(germanOptions()).model)).toBe(JSON.stringify(model));
  });

  it('the total is base points plus one integer per attribute and reproduces the reported metrics', () => {
    const r = scoreRow(model, Object.fromEntries(german.columns.map((c, i) => [c, german.rows[0]![i]])));
    expect(r.score).toBe(model.basePoints + r.attributes.reduce((s, a) => s + a.points, 0));
    expect(result.scores[0]!.score).toBe(r.score);
  });

  it('single-row scoring and file scoring agree on every row, with text or typed values', () => {
    const batch = scoreTable(model, german);
    german.rows.forEach((row, i) => {
      const text = Object.fromEntries(german.columns.map((c, k) => [c, row[k]]));
      const typed = Object.fromEntries(german.columns.map((c, k) => [c, /^-?\d+(\.\d+)?$/.test(row[k]!) ? Number(row[k]) : row[k]]));
      expect(scoreRow(model, text)).toEqual(batch[i]);
      expect(scoreRow(model, typed).score).toBe(batch[i]!.score);
    });
  });

  it('reasons are the attributes that lost most points, most first', () => {
    const r = scoreTable(model, german)[1]!;
    const lost = r.reasons.map((x) => x.pointsLost);
    expect([...lost].sort((a, b) => b - a)).toEqual(lost);
    for (const x of r.reasons) expect(x.pointsLost).toBeGreaterThan(0);
  });

  it('an unseen category and a missing value get the other and missing points', () => {
    const row = Object.fromEntries(german.columns.map((c, i) => [c, german.rows[0]![i]]));
    const cat = model.attributes.find((a) => a.type === 'categorical')!;
    const num = model.attributes.find((a) => a.type === 'numeric')!;
    const r = scoreRow(model, { ...row, [cat.name]: 'never seen before', [num.name]: null });
    expect(r.attributes.find((a) => a.name === cat.name)).toMatchObject({ bin: 'other', points: cat.other.points });
    expect(r.attributes.find((a) => a.name === num.name)).toMatchObject({ bin: 'missing', points: num.missing.points });
  });

  it('the development sample is stable against itself', () => {
    const trainRows = { columns: german.columns, rows: german.rows.filter((_, i) => germanSplit.rows[i]![1] === 'train') };
    const rep = stability(model, scoreTable(model, trainRows));
    expect(rep.score.psi).toBeCloseTo(0, 12);
    expect(rep.score.band).toBe('stable');
    for (const a of rep.attributes) expect(a.csi).toBeCloseTo(0, 12);
  });

  it('round-trips through JSON and renders a self-contained report', () => {
    expect(parseModel(JSON.stringify(model))).toEqual(JSON.parse(JSON.stringify(model)));
    const html = renderReport(result);
    expect(html).toContain('<svg');
    expect(html).toContain('WOE per bin: status_of_existing_checking_account');
    expect(html).not.toMatch(/<script|<link|src="http/);
  });

  it('splits stratified by seed when no split file is given, and sets aside an out-of-time set by date', () => {
    const a = train(germanOptions({ split: { testShare: 0.3, seed: 7 } }));
    expect(a.summary.test!.rows).toBe(300);
    expect(a.summary.test!.bads).toBe(90);
    const withDate = { columns: [...german.columns, 'applied'], rows: german.rows.map((r, i) => [...r, `2024-${String(1 + (i % 12)).padStart(2, '0')}-15`]) };
    const o = train({ table: withDate, target: 'creditability', bad: 'bad', oot: { dateColumn: 'applied', from: '2024-11-01' } });
    expect(o.summary.oot!.rows).toBe(german.rows.filter((_, i) => i % 12 >= 10).length);
    expect(o.model.attributes.map((x) => x.name)).not.toContain('applied');
    expect(renderReport(o)).toContain('Gains and lift by decile: oot');
    // Options read back from scorecard.json (Infinity became null) train the same model.
    const again = train({ table: withDate, target: 'creditability', bad: 'bad', oot: { dateColumn: 'applied', from: '2024-11-01' }, ...JSON.parse(JSON.stringify({ selection: o.model.options.selection, binning: o.model.options.binning, l2: o.model.options.l2 })) });
    expect(again.model.attributes).toEqual(o.model.attributes);
  });
});

describe('variable selection', () => {
  it('drops the weaker of two correlated variables and says why', () => {
    const d = german.columns.indexOf('duration_in_month');
    const withCopy = { columns: [...german.columns, 'duration_copy'], rows: german.rows.map((r) => [...r, String(Number(r[d]) + 0.5)]) };
    const r = train(germanOptions({ table: withCopy }));
    const names = r.model.attributes.map((a) => a.name);
    expect(names.filter((n) => n === 'duration_in_month' || n === 'duration_copy')).toHaveLength(1);
    const dropped = r.model.variables.find((v) => (v.name === 'duration_copy' || v.name === 'duration_in_month') && !v.selected)!;
    expect(dropped.note).toMatch(/WOE correlation 1\.000 with duration_(in_month|copy)/);
  });
  it('forward stepwise keeps a subset chosen by BIC and notes the rest', () => {
    const r = train(germanOptions({ selection: { stepwise: 'forward' } }));
    const all = train(germanOptions());
    expect(r.model.attributes.length).toBeLessThan(all.model.attributes.length);
    expect(r.model.variables.some((v) => v.note === 'not chosen by forward stepwise (no BIC gain)')).toBe(true);
  });
  it('drops variables below the IV threshold', () => {
    const r = train(germanOptions({ selection: { minIv: 0.1 } }));
    for (const a of r.model.attributes) expect(a.iv).toBeGreaterThanOrEqual(0.1);
    expect(r.model.variables.find((v) => v.name === 'telephone')!.note).toMatch(/below 0.1/);
  });
});

describe('training input validation', () => {
  it('names the unmet binning constraint of each variable when none passes selection', () => {
    const e = errorOf(() => train(germanOptions({ binning: { minBadCount: 300 } })));
    expect(e.message).toBe('no variable passed selection');
    const duration = e.details!.find((d) => d.path === 'duration_in_month')!;
    expect(duration.message).toMatch(/IV 0\.000 below .*no binning meets the constraints \(only 210 bads .* min bad count 300\)/);
  });

  it('names a missing target column', () => {
    const e = errorOf(() => train(germanOptions({ target: 'default_flag' })));
    expect(e.code).toBe('VALIDATION');
    expect(e.message).toContain("target column 'default_flag' is not in the data");
  });
  it('names a bad value that does not occur and lists the values found', () => {
    const e = errorOf(() => train(germanOptions({ bad: 'Bad' })));
    expect(e.message).toContain("bad value 'Bad' does not occur in target column 'creditability'");
    expect(e.details![0]!.message).toContain("'good'");
  });
  it('rejects a split file whose rows do not match the data, naming the line', () => {
    const short = { columns: germanSplit.columns, rows: germanSplit.rows.slice(0, 990) };
    expect(errorOf(() => train(germanOptions({ split: { file: short } }))).details![0]!.message).toMatch(/10 data row\(s\) not in the split file, first: 990/);
    const wrong = { columns: germanSplit.columns, rows: germanSplit.rows.map((r, i) => (i === 4 ? [r[0]!, 'validation'] : r)) };
    const e = errorOf(() => train(germanOptions({ split: { file: wrong } })));
    expect(e.details![0]).toMatchObject({ line: 6, message: "set 'validation' must be 'train' or 'test'" });
    const beyond = { columns: germanSplit.columns, rows: [...germanSplit.rows, ['1000', 'test']] };
    expect(errorOf(() => train(germanOptions({ split: { file: beyond } }))).details![0]!.message).toContain('row 1000 does not exist');
  });
  it('names empty target cells by row', () => {
    const rows = german.rows.map((r, i) => (i === 3 ? r.map((v, k) => (german.columns[k] === 'creditability' ? '' : v)) : r));
    const e = errorOf(() => train(germanOptions({ table: { columns: german.columns, rows } })));
    expect(e.details![0]).toMatchObject({ path: 'row 3' });
  });
  it('rejects impossible options with a path', () => {
    const e = errorOf(() => train(germanOptions({ binning: { maxBins: 0 } })));
    expect(e.details![0]!.path).toBe('binning.maxBins');
  });
});

describe('train on HELOC with special values', () => {
  const result = train({ table: heloc, target: 'RiskPerformance', bad: 'Bad', split: { file: helocSplit }, special: [-9, -8, -7] });
  const model = result.model;

  it('keeps every declared special value in its own bin', () => {
    for (const a of model.attributes) expect(a.special.map((s) => s.values[0])).toEqual([-9, -8, -7]);
    const ext = model.attributes.find((a) => a.name === 'ExternalRiskEstimate')!;
    const nine = ext.special.find((s) => s.values[0] === -9)!;
    expect(nine.count).toBeGreaterThan(300);
    for (const b of ext.bins) expect(b.min === undefined || b.min >= 0).toBe(true);
  });

  it('a -9 scores its special points, not the lowest value range', () => {
    const ext = model.attributes.find((a) => a.name === 'ExternalRiskEstimate')!;
    const row = Object.fromEntries(heloc.columns.map((c, i) => [c, heloc.rows[0]![i]]));
    const r = scoreRow(model, { ...row, ExternalRiskEstimate: -9 });
    expect(r.attributes.find((a) => a.name === 'ExternalRiskEstimate')).toMatchObject({ bin: 'special -9', points: ext.special[0]!.points });
    const m = scoreRow(model, { ...row, ExternalRiskEstimate: '' });
    expect(m.attributes.find((a) => a.name === 'ExternalRiskEstimate')).toMatchObject({ bin: 'missing', points: ext.missing.points });
  });

  it('beats the equal-frequency yardstick on the test set', () => {
    expect(result.summary.test!.auc).toBeGreaterThan(0.7939);
  });
});
