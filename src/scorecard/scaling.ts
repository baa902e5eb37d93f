// Points scaling: score = offset + factor * ln(good:bad odds), factor = PDO / ln 2, offset = base score -
// factor * ln(base odds). With WOE features and logit P(bad) = b0 + sum b_j WOE_j, every bin is worth
// -factor * b_j * WOE rounded to an integer, and the base points -factor * b0 + offset rounded once; the score is
// the sum of these integers, and the probability is read back from that integer score, so what is reported is
// exactly what the flow computes.

import type { ScalingOptions } from './types.ts';

export function scalingConstants(s: ScalingOptions): { factor: number; offset: number } {
  const factor = s.pdo / Math.LN2;
  return { factor, offset: s.baseScore - factor * Math.log(s.baseOdds) };
}

export function binPoints(factor: number, coefficient: number, woe: number): number {
  return roundHalfAway(-factor * coefficient * woe);
}

export function basePoints(factor: number, offset: number, intercept: number): number {
  return roundHalfAway(offset - factor * intercept);
}

/** Probability of bad implied by a score. */
export function probabilityFromScore(score: number, scaling: { factor: number; offset: number }): number {
  const z = (score - scaling.offset) / scaling.factor; // ln(good:bad odds)
  return z >= 0 ? Math.exp(-z) / (1 + Math.exp(-z)) : 1 / (1 + Math.exp(z));
}

/** 0-100, 100 = lowest risk, linear between the lowest and highest possible totals. */
export function ratingFromScore(score: number, range: { min: number; max: number }): number {
  if (range.max <= range.min) return 100;
  const r = Math.round((100 * (score - range.min)) / (range.max - range.min));
  return Math.min(100, Math.max(0, r));
}

/** Rounds .5 away from zero, so +x and -x round to opposite integers (Math.round rounds -2.5 to -2). */
export function roundHalfAway(x: number): number {
  const r = Math.round(Math.abs(x));
  return x < 0 ? -r || 0 : r;
}
