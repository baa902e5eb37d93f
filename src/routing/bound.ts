// An upper bound on the best margin of any assignment, proven by LP duality on the per-loan relaxation.
//
// For any prices d_f (funder row, any sign), r_f >= 0 (risk share) and g >= 0 (global ceiling), setting
//   u_i = amount_i * max(0, max over eligible f of (apr_i - cost_f - d_f - (highRisk_i - share_f) r_f - g))
// gives a feasible solution of the dual of the per-loan LP, so by weak duality
//   bound = sum_i u_i + sum_f (ceiling_f max(d_f, 0) - floor_f max(-d_f, 0)) + globalCeiling g
// is at least the LP optimum, hence at least any integer assignment's margin. The prices come from the aggregated
// LP; the bound is computed loan by loan, so it holds whatever the grouping did.
import type { CompiledProblem } from './model.ts';
import type { FunderPrices } from './lp-build.ts';

/**
 * With `withFloors` false the floor terms are dropped (prices clamped to d_f >= 0): the bound then covers the
 * problem without floors, which is what an infeasible-floor result is measured against.
 */
export function dualBound(cp: CompiledProblem, prices: FunderPrices, withFloors: boolean): number {
  const F = cp.nFunders;
  const d = new Float64Array(F);
  for (let f = 0; f < F; f++) d[f] = withFloors ? prices.funder[f]! : Math.max(0, prices.funder[f]!);
  const g = Number.isFinite(cp.globalCeiling) ? prices.global : 0;
  // Per funder, the part of the reduced rate that does not depend on the loan, for low- and high-risk loans.
  const baseLow = new Float64Array(F);
  const baseHigh = new Float64Array(F);
  for (let f = 0; f < F; f++) {
    baseLow[f] = cp.cost[f]! + d[f]! - cp.share[f]! * prices.highRisk[f]! + g;
    baseHigh[f] = cp.cost[f]! + d[f]! + (1 - cp.share[f]!) * prices.highRisk[f]! + g;
  }
  let bound = 0;
  for (let i = 0; i < cp.n; i++) {
    const base = cp.highRisk[i] ? baseHigh : baseLow;
    let best = 0;
    const apr = cp.apr[i]!;
    for (let k = cp.eligStart[i]!; k < cp.eligStart[i + 1]!; k++) {
      const v = apr - base[cp.eligFunders[k]!]!;
      if (v > best) best = v;
    }
    bound += cp.amount[i]! * best;
  }
  for (let f = 0; f < F; f++) {
    if (d[f]! > 0) bound += cp.ceiling[f]! * d[f]!;
    else if (d[f]! < 0) bound += cp.floor[f]! * d[f]!;
  }
  if (g > 0) bound += cp.globalCeiling * g;
  return bound;
}
