// Population stability: PSI of the score and CSI of every attribute between the development sample (kept in the
// model) or a given expected population, and a recent one. Bands: < 0.1 stable, 0.1-0.25 watch, > 0.25 act.

import { locateBin } from './bin-match.ts';
import { attributeOutcome } from './scoring.ts';
import type { ModelAttribute, RowScore, ScorecardModel } from './types.ts';

/** An empty share is replaced by this so the logarithm stays finite (the usual convention). */
export const EMPTY_SHARE = 1e-4;

export type StabilityBand = 'stable' | 'watch' | 'act';

export function stabilityBand(index: number): StabilityBand {
  return index < 0.1 ? 'stable' : index <= 0.25 ? 'watch' : 'act';
}

/** PSI = sum (actual% - expected%) * ln(actual% / expected%) over bins, from counts. */
export function psi(expected: number[], actual: number[]): number {
  if (expected.length !== actual.length) throw new Error('psi: expected and actual need the same bins');
  const e = expected.reduce((s, x) => s + x, 0);
  const a = actual.reduce((s, x) => s + x, 0);
  if (e === 0 || a === 0) return Number.NaN;
  let total = 0;
  for (let i = 0; i < expected.length; i++) {
    const pe = Math.max(expected[i]! / e, EMPTY_SHARE);
    const pa = Math.max(actual[i]! / a, EMPTY_SHARE);
    total += (pa - pe) * Math.log(pa / pe);
  }
  return total;
}

export interface StabilityBin {
  label: string;
  expected: number;
  actual: number;
  expectedShare: number;
  actualShare: number;
  /** This bin's term of the index. */
  contribution: number;
}

export interface StabilityReport {
  expectedRows: number;
  actualRows: number;
  score: { psi: number; band: StabilityBand; bins: StabilityBin[] };
  attributes: { name: string; csi: number; band: StabilityBand; /** sum of (actual% - expected%) * points: the average score shift this attribute causes. */ pointsShift: number; bins: StabilityBin[] }[];
}

function binsOf(labels: string[], expected: number[], actual: number[]): StabilityBin[] {
  const e = expected.reduce((s, x) => s + x, 0) || 1;
  const a = actual.reduce((s, x) => s + x, 0) || 1;
  return labels.map((label, i) => {
    const pe = expected[i]! / e;
    const pa = actual[i]! / a;
    const ce = Math.max(pe, EMPTY_SHARE);
    const ca = Math.max(pa, EMPTY_SHARE);
    return { label, expected: expected[i]!, actual: actual[i]!, expectedShare: pe, actualShare: pa, contribution: (ca - ce) * Math.log(ca / ce) };
  });
}

/** Per attribute: labels of its outcomes in a fixed order (bins, special, missing, other) and their points. */
function outcomesOf(model: ScorecardModel) {
  return model.attributes.map((a) => ({
    labels: [...a.bins.map((b) => b.label), ...a.special.map((b) => b.label), 'missing', 'other'],
    points: [...a.bins.map((b) => b.points), ...a.special.map((b) => b.points), a.missing.points, a.other.points],
    devCounts: [...a.bins.map((b) => b.count), ...a.special.map((b) => b.count), a.missing.count, 0],
  }));
}

/** Position of a value's outcome in the order bins, special values, missing, other. */
function outcomeSlot(a: ModelAttribute, raw: unknown): number {
  const loc = locateBin(a, raw);
  if (loc.kind === 'bin') return loc.index;
  if (loc.kind === 'special') return a.bins.length + loc.index;
  return a.bins.length + a.special.length + (loc.kind === 'missing' ? 0 : 1);
}

function scoreBinIndex(model: ScorecardModel, score: number): number {
  const bins = model.monitoring.scoreBins;
  for (let i = 0; i < bins.length; i++) {
    const b = bins[i]!;
    if ((b.min === undefined || score >= b.min) && (b.max === undefined || score < b.max)) return i;
  }
  return bins.length - 1;
}

/** Counts of one population: score bins and, per attribute, its outcomes (labels as in outcomesOf). */
export function populationCounts(model: ScorecardModel, scored: RowScore[]): { score: number[]; attributes: number[][] } {
  const outs = outcomesOf(model);
  const score = model.monitoring.scoreBins.map(() => 0);
  const attributes = outs.map((o) => o.labels.map(() => 0));
  for (const row of scored) {
    score[scoreBinIndex(model, row.score)]!++;
    row.attributes.forEach((ra, j) => {
      attributes[j]![outcomeSlot(model.attributes[j]!, ra.value)]!++;
    });
  }
  return { score, attributes };
}

/**
 * Stability of a recent population (`actual`, already scored with scoreRow/scoreTable) against the development
 * sample recorded in the model, or against `expected` when given.
 */
export function stability(model: ScorecardModel, actual: RowScore[], expected?: RowScore[]): StabilityReport {
  const outs = outcomesOf(model);
  const act = populationCounts(model, actual);
  const exp = expected
    ? populationCounts(model, expected)
    : { score: model.monitoring.scoreBins.map((b) => b.count), attributes: outs.map((o) => o.devCounts) };
  const scoreLabels = model.monitoring.scoreBins.map((b) => (b.min === undefined ? `< ${b.max}` : b.max === undefined ? `>= ${b.min}` : `[${b.min}, ${b.max})`));
  const scorePsi = psi(exp.score, act.score);
  return {
    expectedRows: exp.score.reduce((s, x) => s + x, 0),
    actualRows: actual.length,
    score: { psi: scorePsi, band: stabilityBand(scorePsi), bins: binsOf(scoreLabels, exp.score, act.score) },
    attributes: model.attributes.map((a, j) => {
      const o = outs[j]!;
      const e = exp.attributes[j]!;
      const x = act.attributes[j]!;
      const csi = psi(e, x);
      const bins = binsOf(o.labels, e, x);
      const pointsShift = bins.reduce((s, b, k) => s + (b.actualShare - b.expectedShare) * o.points[k]!, 0);
      return { name: a.name, csi, band: stabilityBand(csi), pointsShift, bins };
    }),
  };
}

/** Kept for callers that only have a raw value per attribute (e.g. a monitoring job over stored inputs). */
export function attributeBinLabel(model: ScorecardModel, attribute: string, raw: unknown): string {
  const a = model.attributes.find((x) => x.name === attribute);
  if (!a) throw new Error(`no attribute '${attribute}' in the scorecard`);
  return attributeOutcome(a, raw).bin;
}
