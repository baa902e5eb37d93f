// Training: the service-level entry point. A table and options in; the scorecard model, validation metrics,
// profile and warnings out. No IO, no clock (createdAt is passed in), no randomness but the seeded split.

import { createHash } from 'node:crypto';
import { MingjianError, type ErrorDetail } from '../kernel/errors.ts';
import { locateBin } from './bin-match.ts';
import { binVariable, type DataColumn } from './binning.ts';
import { evaluateSet, type SetMetrics } from './metrics.ts';
import { profileColumn } from './profile.ts';
import { basePoints, binPoints, scalingConstants } from './scaling.ts';
import { attributeMaxPoints, attributeMinPoints, scoreWith } from './scoring.ts';
import { selectVariables } from './selection.ts';
import { parseSplit, stratifiedSplit, type SetName } from './table.ts';
import {
  DEFAULT_BINNING,
  DEFAULT_SCALING,
  DEFAULT_SELECTION,
  type BinningOptions,
  type ColumnProfile,
  type ModelAttribute,
  type ModelBin,
  type RowScore,
  type ScalingOptions,
  type ScorecardModel,
  type SelectionOptions,
  type Table,
  type VariableBinning,
  type VariableSummary,
} from './types.ts';

export interface TrainOptions {
  table: Table;
  target: string;
  /** The target value that means bad; every other present value is good. */
  bad: string;
  /** Split file content (`row,set`) or a stratified split (default 30% test, seed 42). */
  split?: { file: Table; name?: string } | { testShare?: number; seed?: number };
  /** Out-of-time set: rows whose date is on or after `from` (default: the latest 20% of dates). */
  oot?: { dateColumn: string; from?: string };
  /** Special values for every numeric column (e.g. -9, -8, -7 in bureau data). */
  special?: (string | number)[];
  /** Special values for one column, replacing `special` there. */
  specialByColumn?: Record<string, (string | number)[]>;
  /** Columns never used as predictors (ids, dates, outcomes known only later). */
  exclude?: string[];
  /** Only these columns are candidates (default: all but target, date and excluded). */
  include?: string[];
  binning?: Partial<BinningOptions>;
  selection?: Partial<SelectionOptions>;
  /** L2 penalty of the logistic regression. */
  l2?: number;
  scaling?: Partial<ScalingOptions>;
  name?: string;
  /** ISO timestamp recorded in the model metadata (the caller's clock). */
  createdAt?: string;
  onProgress?: (p: { step: string; done: number; total: number }) => void;
}

export interface TrainResult {
  model: ScorecardModel;
  /** train and test always; oot when a date column was given. */
  metrics: { train: SetMetrics; test?: SetMetrics; oot?: SetMetrics };
  /** The metrics.json document: auc, ks, gini per set. */
  summary: Record<string, { auc: number; ks: number; gini: number; rows: number; bads: number }>;
  profile: ColumnProfile[];
  binning: VariableBinning[];
  /** Scores of every data row, in file order, with the set each row belongs to. */
  scores: { set: SetName; score: number; probability: number; bad: boolean }[];
}

export const DEFAULT_L2 = 1;

function validation(message: string, details?: ErrorDetail[]): MingjianError {
  return new MingjianError('VALIDATION', message, details);
}

export function train(options: TrainOptions): TrainResult {
  const { table } = options;
  const progress = options.onProgress ?? (() => {});
  const binningOptions: BinningOptions = { ...DEFAULT_BINNING, ...options.binning, trends: { ...DEFAULT_BINNING.trends, ...options.binning?.trends } };
  const selectionOptions: SelectionOptions = { ...DEFAULT_SELECTION, ...options.selection };
  const scalingOptions: ScalingOptions = { ...DEFAULT_SCALING, ...options.scaling };
  const l2 = options.l2 ?? DEFAULT_L2;
  checkOptions(binningOptions, selectionOptions, scalingOptions, l2);
  const n = table.rows.length;
  if (n === 0) throw validation('the data has no rows');
  const colIndex = new Map(table.columns.map((c, i) => [c, i]));
  const requireColumn = (name: string, what: string) => {
    const i = colIndex.get(name);
    if (i === undefined) throw validation(`${what} column '${name}' is not in the data`, [{ path: name, message: `not found; columns are: ${table.columns.join(', ')}` }]);
    return i;
  };

  // Target.
  const t = requireColumn(options.target, 'target');
  const y = new Uint8Array(n);
  const targetValues = new Map<string, number>();
  const emptyTarget: number[] = [];
  for (let r = 0; r < n; r++) {
    const raw = table.rows[r]![t];
    const v = raw === null || raw === undefined ? '' : raw.trim();
    if (v === '') {
      emptyTarget.push(r);
      continue;
    }
    targetValues.set(v, (targetValues.get(v) ?? 0) + 1);
    y[r] = v === options.bad ? 1 : 0;
  }
  if (emptyTarget.length) {
    throw validation(`target column '${options.target}' is empty in ${emptyTarget.length} row(s)`, emptyTarget.slice(0, 10).map((r) => ({ path: `row ${r}`, line: r + 2, message: `no value for '${options.target}'` })));
  }
  if (!targetValues.has(options.bad)) {
    throw validation(`bad value '${options.bad}' does not occur in target column '${options.target}'`, [
      { path: options.target, message: `values found: ${[...targetValues.keys()].slice(0, 20).map((v) => `'${v}'`).join(', ')}` },
    ]);
  }
  if (targetValues.size < 2) throw validation(`target column '${options.target}' has only the bad value '${options.bad}': no goods to learn from`);

  // Sets.
  let sets: SetName[];
  let splitName: string;
  const eligible = new Array<boolean>(n).fill(true);
  let ootSets: boolean[] | undefined;
  if (options.oot) {
    const d = requireColumn(options.oot.dateColumn, 'date');
    const times = new Float64Array(n);
    const bad: ErrorDetail[] = [];
    for (let r = 0; r < n; r++) {
      const raw = table.rows[r]![d] ?? '';
      const ms = Date.parse(raw);
      if (Number.isNaN(ms) && bad.length < 10) bad.push({ path: `row ${r}`, line: r + 2, message: `'${raw}' in '${options.oot.dateColumn}' is not a date` });
      times[r] = ms;
    }
    if (bad.length) throw validation(`date column '${options.oot.dateColumn}' has values that are not dates`, bad);
    let from: number;
    if (options.oot.from !== undefined) {
      from = Date.parse(options.oot.from);
      if (Number.isNaN(from)) throw validation(`out-of-time start '${options.oot.from}' is not a date`, [{ path: 'oot.from', message: 'expected an ISO date such as 2024-01-01' }]);
    } else {
      const sorted = Float64Array.from(times).sort();
      from = sorted[Math.floor(0.8 * (n - 1))]! + 1;
    }
    ootSets = Array.from(times, (ms) => ms >= from);
    for (let r = 0; r < n; r++) eligible[r] = !ootSets[r];
    if (!eligible.some(Boolean)) throw validation(`every row is on or after the out-of-time start: nothing left to train on`);
  }
  const split = options.split ?? {};
  if ('file' in split) {
    sets = parseSplit(split.file, n, split.name ?? 'split');
    splitName = `file ${split.name ?? 'split'}`;
  } else {
    const testShare = split.testShare ?? 0.3;
    const seed = split.seed ?? 42;
    if (!(testShare >= 0 && testShare < 1)) throw validation(`test share ${testShare} must be in [0, 1)`, [{ path: 'split.testShare', message: 'out of range' }]);
    sets = stratifiedSplit(y, eligible, testShare, seed);
    splitName = `stratified test share ${testShare} seed ${seed}`;
  }
  if (ootSets) for (let r = 0; r < n; r++) if (ootSets[r]) sets[r] = 'oot';
  const trainRows: number[] = [];
  for (let r = 0; r < n; r++) if (sets[r] === 'train') trainRows.push(r);
  const trainY = Uint8Array.from(trainRows, (r) => y[r]!);
  if (!trainY.includes(1) || !trainY.includes(0)) throw validation('the train set needs both goods and bads');

  // Profile and bin the candidates.
  const excluded = new Set([options.target, ...(options.oot ? [options.oot.dateColumn] : []), ...(options.exclude ?? [])]);
  for (const c of options.exclude ?? []) requireColumn(c, 'excluded');
  for (const c of options.include ?? []) requireColumn(c, 'included');
  for (const c of Object.keys(options.specialByColumn ?? {})) requireColumn(c, 'special-value');
  const include = options.include ? new Set(options.include) : undefined;
  const specialFor = (name: string, numeric: boolean) => options.specialByColumn?.[name] ?? (numeric ? options.special ?? [] : []);
  const profile: ColumnProfile[] = [];
  const columns: DataColumn[] = [];
  const notes = new Map<string, string>();
  const warnings: string[] = [];
  for (let c = 0; c < table.columns.length; c++) {
    const name = table.columns[c]!;
    if (excluded.has(name) || (include && !include.has(name))) continue;
    const first = profileColumn(table, c, options.specialByColumn?.[name] ?? options.special ?? []);
    // Global special codes apply to numeric columns only; a categorical column gets them only when named.
    const p = first.profile.type === 'numeric' || options.specialByColumn?.[name] ? first : profileColumn(table, c, []);
    profile.push(p.profile);
    if (p.profile.type === 'categorical' && p.profile.distinct > Math.max(50, 0.2 * n)) {
      notes.set(name, `looks like an identifier or free text (${p.profile.distinct} distinct values); not used`);
      continue;
    }
    if (p.profile.missing === n) {
      notes.set(name, 'every value is missing; not used');
      continue;
    }
    columns.push(p.column);
  }
  if (columns.length === 0) throw validation('no usable predictor columns');

  const binning: VariableBinning[] = [];
  const trainIdx = Int32Array.from(trainRows);
  for (let i = 0; i < columns.length; i++) {
    progress({ step: 'binning', done: i, total: columns.length });
    const col = columns[i]!;
    const b = binVariable(col, y, trainIdx, specialFor(col.name, col.type === 'numeric'), binningOptions);
    binning.push(b);
    warnings.push(...b.warnings);
  }
  progress({ step: 'binning', done: columns.length, total: columns.length });

  // WOE of every training row, through the same bin lookup the scorer uses.
  const candidates = binning.map((b, i) => {
    const col = columns[i]!;
    const set = binSetOf(b);
    const regular = b.bins.filter((x) => x.kind === 'range' || x.kind === 'categories');
    const special = b.bins.filter((x) => x.kind === 'special');
    const missing = b.bins.find((x) => x.kind === 'missing')!;
    const woe = new Float64Array(trainRows.length);
    for (let k = 0; k < trainRows.length; k++) {
      const r = trainRows[k]!;
      const loc = locateBin(set, col.type === 'numeric' ? col.numbers![r] : col.texts![r]);
      woe[k] = loc.kind === 'bin' ? regular[loc.index]!.woe : loc.kind === 'special' ? special[loc.index]!.woe : loc.kind === 'missing' ? missing.woe : b.otherWoe;
    }
    return { name: b.name, iv: b.iv, woe };
  });

  let steps = 0;
  const sel = selectVariables(candidates, trainY, selectionOptions, l2, () => progress({ step: 'selection', done: ++steps, total: 0 }));
  warnings.push(...sel.warnings);
  if (sel.selected.length === 0) {
    // With the binning's own words on each variable: an unmet constraint is often why its IV came out too low.
    const binningWarnings = (name: string) => binning.find((b) => b.name === name)?.warnings ?? [];
    throw validation('no variable passed selection', [...sel.dropped].map(([name, why]) => ({ path: name, message: [why, ...binningWarnings(name).map((w) => w.replace(`${name}: `, ''))].join('; ') })));
  }

  // Points.
  const { factor, offset } = scalingConstants(scalingOptions);
  const byName = new Map(binning.map((b) => [b.name, b]));
  const usedCodes = new Set<string>();
  const attributes: ModelAttribute[] = sel.selected.map((name, i) => {
    const b = byName.get(name)!;
    const coef = sel.fit.coefficients[i]!;
    const toModelBin = (x: VariableBinning['bins'][number]): ModelBin => {
      const mb: ModelBin = { label: x.label, points: binPoints(factor, coef, x.woe), woe: x.woe, count: x.count, bad: x.bad, badRate: x.badRate };
      if (x.min !== undefined) mb.min = x.min;
      if (x.max !== undefined) mb.max = x.max;
      if (x.values) mb.values = [...x.values];
      return mb;
    };
    let code = `SC_${name.toUpperCase().replace(/[^A-Z0-9]+/g, '_').replace(/^_+|_+$/g, '')}`;
    while (usedCodes.has(code)) code += '_';
    usedCodes.add(code);
    return {
      name,
      value: name,
      type: b.type,
      iv: b.iv,
      coefficient: coef,
      stdError: sel.fit.stdErrors[i + 1]!,
      pValue: sel.fit.pValues[i + 1]!,
      bins: b.bins.filter((x) => x.kind === 'range' || x.kind === 'categories').map(toModelBin),
      special: b.bins.filter((x) => x.kind === 'special').map((x) => ({ ...toModelBin(x), values: [...x.values!] })),
      missing: toModelBin(b.bins.find((x) => x.kind === 'missing')!),
      other: { points: binPoints(factor, coef, b.otherWoe), woe: b.otherWoe },
      reasonCode: code,
      reasonMessage: `${name} lowered the score`,
    };
  });
  const base = basePoints(factor, offset, sel.fit.intercept);
  const scoreRange = {
    min: base + attributes.reduce((s, a) => s + attributeMinPoints(a), 0),
    max: base + attributes.reduce((s, a) => s + attributeMaxPoints(a), 0),
  };

  const variables: VariableSummary[] = binning.map((b) => {
    const why = sel.dropped.get(b.name);
    const v: VariableSummary = { name: b.name, type: b.type, iv: b.iv, bins: b.bins.filter((x) => x.kind === 'range' || x.kind === 'categories').length, selected: sel.selected.includes(b.name) };
    if (why) v.note = why;
    return v;
  });
  for (const [name, note] of notes) {
    const p = profile.find((x) => x.name === name)!;
    variables.push({ name, type: p.type, iv: 0, bins: 0, selected: false, note });
  }

  const specialUsed: Record<string, (string | number)[]> = {};
  for (const col of columns) {
    const s = specialFor(col.name, col.type === 'numeric');
    if (s.length) specialUsed[col.name] = s;
  }
  const trainBadRate = trainY.reduce((s, v) => s + v, 0) / trainY.length;
  const model: ScorecardModel = {
    format: 'mingjian.scorecard',
    formatVersion: 1,
    name: options.name ?? 'scorecard',
    target: { column: options.target, bad: options.bad, trainBadRate },
    scaling: { ...scalingOptions, factor, offset },
    intercept: sel.fit.intercept,
    basePoints: base,
    attributes,
    scoreRange,
    monitoring: { scoreBins: [] },
    variables,
    options: { binning: binningOptions, selection: selectionOptions, l2, special: specialUsed },
    regression: { l2, iterations: sel.fit.iterations, converged: sel.fit.converged, logLikelihood: sel.fit.logLikelihood, aic: sel.fit.aic, bic: sel.fit.bic },
    metadata: {
      createdAt: options.createdAt ?? '',
      rows: n,
      trainRows: trainRows.length,
      testRows: sets.filter((s) => s === 'test').length,
      ootRows: sets.filter((s) => s === 'oot').length,
      split: splitName,
      fingerprint: fingerprint(table),
    },
    warnings,
  };
  if (!sel.fit.converged) warnings.push(`logistic regression did not converge in ${sel.fit.iterations} iterations`);

  // Score every row through the scorer the API and the CLI use.
  progress({ step: 'validation', done: 0, total: n });
  const scored: RowScore[] = new Array(n);
  for (let r = 0; r < n; r++) {
    const row = table.rows[r]!;
    scored[r] = scoreWith(model, (field) => row[colIndex.get(field)!]);
    if (r % 5000 === 4999) progress({ step: 'validation', done: r + 1, total: n });
  }
  progress({ step: 'validation', done: n, total: n });
  const trainScores = trainRows.map((r) => scored[r]!.score);
  model.monitoring.scoreBins = scoreBinsFrom(trainScores);

  const metricsOf = (set: SetName): SetMetrics | undefined => {
    const rows: number[] = [];
    for (let r = 0; r < n; r++) if (sets[r] === set) rows.push(r);
    if (rows.length === 0) return undefined;
    return evaluateSet(
      rows.map((r) => scored[r]!.score),
      rows.map((r) => scored[r]!.probability),
      rows.map((r) => y[r]!),
    );
  };
  const metrics: TrainResult['metrics'] = { train: metricsOf('train')! };
  const test = metricsOf('test');
  if (test) metrics.test = test;
  const oot = metricsOf('oot');
  if (oot) metrics.oot = oot;
  const summary: TrainResult['summary'] = {};
  for (const [k, m] of Object.entries(metrics)) summary[k] = { auc: m.auc, ks: m.ks, gini: m.gini, rows: m.rows, bads: m.bads };
  return {
    model,
    metrics,
    summary,
    profile,
    binning,
    scores: scored.map((s, r) => ({ set: sets[r]!, score: s.score, probability: s.probability, bad: y[r] === 1 })),
  };
}

function binSetOf(b: VariableBinning) {
  return {
    type: b.type,
    bins: b.bins.filter((x) => x.kind === 'range' || x.kind === 'categories'),
    special: b.bins.filter((x) => x.kind === 'special').map((x) => ({ values: x.values! })),
  };
}

/** Ten score bins cut at the training deciles (distinct cuts only), for PSI against later populations. */
export function scoreBinsFrom(scores: number[]): ScorecardModel['monitoring']['scoreBins'] {
  const sorted = [...scores].sort((a, b) => a - b);
  const n = sorted.length;
  const cuts: number[] = [];
  for (let d = 1; d < 10; d++) {
    const c = sorted[Math.floor((d * n) / 10)]!;
    if (c > sorted[0]! && (cuts.length === 0 || c > cuts[cuts.length - 1]!)) cuts.push(c);
  }
  const bins = [undefined, ...cuts].map((min, i) => {
    const max = cuts[i];
    const count = sorted.filter((s) => (min === undefined || s >= min) && (max === undefined || s < max)).length;
    const bin: { min?: number; max?: number; count: number; share: number } = { count, share: n ? count / n : 0 };
    if (min !== undefined) bin.min = min;
    if (max !== undefined) bin.max = max;
    return bin;
  });
  return bins;
}

/** SHA-256 over the header and every cell, with separators no CSV cell can confuse. */
export function fingerprint(table: Table): ScorecardModel['metadata']['fingerprint'] {
  const h = createHash('sha256');
  h.update(table.columns.join('\u001f'));
  for (const row of table.rows) {
    h.update('\u001e');
    h.update(row.map((v) => (v === null ? '\u0000' : v)).join('\u001f'));
  }
  return { algorithm: 'sha256', digest: h.digest('hex'), rows: table.rows.length, columns: [...table.columns] };
}

function checkOptions(b: BinningOptions, s: SelectionOptions, sc: ScalingOptions, l2: number): void {
  const problems: ErrorDetail[] = [];
  const need = (ok: boolean, path: string, message: string) => {
    if (!ok) problems.push({ path, message });
  };
  need(Number.isInteger(b.maxBins) && b.maxBins >= 1, 'binning.maxBins', 'must be an integer >= 1');
  need(b.prebinning === 'tree' || b.prebinning === 'quantile', 'binning.prebinning', "must be 'tree' or 'quantile'");
  need(Number.isInteger(b.maxPrebins) && b.maxPrebins >= 1, 'binning.maxPrebins', 'must be an integer >= 1');
  need(b.minBinShare >= 0 && b.minBinShare < 1, 'binning.minBinShare', 'must be in [0, 1)');
  need(b.minPrebinShare >= 0 && b.minPrebinShare < 1, 'binning.minPrebinShare', 'must be in [0, 1)');
  need(Number.isInteger(b.minBadCount) && b.minBadCount >= 0, 'binning.minBadCount', 'must be an integer >= 0');
  need(Number.isInteger(b.minGoodCount) && b.minGoodCount >= 0, 'binning.minGoodCount', 'must be an integer >= 0');
  const trends = ['ascending', 'descending', 'auto', 'peak', 'valley', 'none'];
  need(trends.includes(b.trend), 'binning.trend', `must be one of ${trends.join(', ')}`);
  for (const [k, v] of Object.entries(b.trends)) need(trends.includes(v), `binning.trends.${k}`, `must be one of ${trends.join(', ')}`);
  need(s.maxCorrelation > 0 && s.maxCorrelation <= 1, 'selection.maxCorrelation', 'must be in (0, 1]');
  need(s.maxVif >= 1, 'selection.maxVif', 'must be >= 1');
  need(s.stepwise === 'none' || s.stepwise === 'forward', 'selection.stepwise', "must be 'none' or 'forward'");
  need(sc.pdo > 0, 'scaling.pdo', 'must be > 0');
  need(sc.baseOdds > 0, 'scaling.baseOdds', 'must be > 0');
  need(Number.isFinite(sc.baseScore), 'scaling.baseScore', 'must be a number');
  need(l2 >= 0, 'l2', 'must be >= 0');
  if (problems.length) throw new MingjianError('VALIDATION', 'invalid training options', problems);
}
