// Scoring: the single code path behind the API (one row), the CLI (a file) and validation (train/test/OOT).
// Each of them hands scoreWith a way to read a field; the binning, points and reasons logic exists only here.

import { MingjianError } from '../kernel/errors.ts';
import { locateBin } from './bin-match.ts';
import { probabilityFromScore, ratingFromScore } from './scaling.ts';
import type { ModelAttribute, RowScore, ScorecardModel, Table } from './types.ts';

export interface AttributeOutcome {
  points: number;
  bin: string;
}

export function attributeOutcome(attr: ModelAttribute, raw: unknown): AttributeOutcome {
  const loc = locateBin(attr, raw);
  switch (loc.kind) {
    case 'missing':
      return { points: attr.missing.points, bin: 'missing' };
    case 'special':
      return { points: attr.special[loc.index]!.points, bin: attr.special[loc.index]!.label };
    case 'bin':
      return { points: attr.bins[loc.index]!.points, bin: attr.bins[loc.index]!.label };
    case 'other':
      return { points: attr.other.points, bin: 'other' };
  }
}

/** Most points the attribute can give (bins, special values, missing, other): points lost are measured from here. */
export function attributeMaxPoints(attr: ModelAttribute): number {
  let m = Math.max(attr.missing.points, attr.other.points);
  for (const b of attr.bins) if (b.points > m) m = b.points;
  for (const b of attr.special) if (b.points > m) m = b.points;
  return m;
}

export function attributeMinPoints(attr: ModelAttribute): number {
  return Math.min(attr.missing.points, attr.other.points, ...attr.bins.map((b) => b.points), ...attr.special.map((b) => b.points));
}

/** Scores one row given a field reader. */
export function scoreWith(model: ScorecardModel, read: (field: string) => unknown): RowScore {
  let score = model.basePoints;
  const attributes: RowScore['attributes'] = [];
  for (const attr of model.attributes) {
    const value = read(attr.value);
    const o = attributeOutcome(attr, value);
    score += o.points;
    attributes.push({ name: attr.name, value: value === undefined ? null : value, bin: o.bin, points: o.points, pointsLost: attributeMaxPoints(attr) - o.points });
  }
  const reasons = model.attributes
    .map((attr, i) => ({ attr, lost: attributes[i]!.pointsLost, i }))
    .filter((r) => r.lost > 0)
    .sort((a, b) => b.lost - a.lost || a.i - b.i)
    .map((r) => ({ code: r.attr.reasonCode, attribute: r.attr.name, pointsLost: r.lost, message: r.attr.reasonMessage }));
  return {
    score,
    probability: probabilityFromScore(score, model.scaling),
    rating: ratingFromScore(score, model.scoreRange),
    attributes,
    reasons,
  };
}

/** Reads `a` or a dotted path `a.b` from a JSON object. */
export function readField(row: Record<string, unknown>, path: string): unknown {
  if (path in row) return row[path];
  let cur: unknown = row;
  for (const part of path.split('.')) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[part];
  }
  return cur;
}

/** Scores one application (API). */
export function scoreRow(model: ScorecardModel, row: Record<string, unknown>): RowScore {
  return scoreWith(model, (field) => readField(row, field));
}

/** Scores every row of a table (CLI, validation) through the same scoreWith; throws naming the attributes the table lacks. */
export function scoreTable(model: ScorecardModel, table: Table, onRow?: (index: number, result: RowScore) => void): RowScore[] {
  const index = new Map(table.columns.map((c, i) => [c, i]));
  const missing = model.attributes.filter((a) => !index.has(a.value)).map((a) => a.value);
  if (missing.length) {
    throw new MingjianError('VALIDATION', `the data lacks ${missing.length} column(s) the scorecard uses`, missing.map((m) => ({ path: m, message: 'column used by the scorecard is not in the data' })));
  }
  const results: RowScore[] = [];
  for (let r = 0; r < table.rows.length; r++) {
    const row = table.rows[r]!;
    const res = scoreWith(model, (field) => row[index.get(field)!]);
    if (onRow) onRow(r, res);
    else results.push(res);
  }
  return results;
}
