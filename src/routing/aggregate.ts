// The aggregated formulation for large batches. Loans accepted by the same funders (same rating class, term,
// region and product eligibility) with the same risk flag, in the same APR band and amount band, form a group;
// the LP decides how much volume of each group goes to each funder. Within an eligibility class, loans differ in
// the LP only by APR, so fine APR bands keep the aggregated LP close to the per-loan relaxation, and amount bands
// keep the volumes easy to fill with whole loans when disaggregating.
import type { CompiledProblem } from './model.ts';
import { ColumnBuilder, layoutSharedRows, pricesFromDuals, sharedEntries, sharedRowBounds, slackColumns, volumeScale, type FunderPrices, type SharedRows } from './lp-build.ts';
import type { Highs } from './highs-runtime.ts';

export interface GroupingOptions {
  /** Width of an APR band (0.01 = one percentage point). */
  aprBand: number;
  /** Ratio between the bounds of an amount band (8 = loans within a factor of eight). */
  amountBandRatio: number;
}

// Measured on the demo batches (1,000 / 10,000 / 100,000 loans): one-point APR bands and amount bands of a factor
// of 8 gave the smallest or near-smallest gap at every size and the fastest LP; finer bands multiply columns
// (half-point bands with a factor of 2 took 2.5x the CPU at 100,000 loans for 0.05 point less gap, and a worse
// gap at 10,000, where smaller groups round worse).
export const DEFAULT_GROUPING: GroupingOptions = { aprBand: 0.01, amountBandRatio: 8 };

export interface LoanGroups {
  count: number;
  /** Loans of group g are members[start[g] .. start[g+1]), highest APR first. */
  start: Int32Array;
  members: Int32Array;
  volume: Float64Array;
  /** Amount-weighted mean APR of the group. */
  aprMean: Float64Array;
  highRisk: Uint8Array;
  /** A member loan, whose eligibility list the whole group shares. */
  representative: Int32Array;
}

export function groupLoans(cp: CompiledProblem, opts: GroupingOptions = DEFAULT_GROUPING): LoanGroups {
  const keyToGroup = new Map<number, number>();
  const groupOf = new Int32Array(cp.n);
  const logRatio = Math.log(opts.amountBandRatio);
  let count = 0;
  for (let i = 0; i < cp.n; i++) {
    const aprB = Math.min(4095, Math.max(0, Math.floor(cp.apr[i]! / opts.aprBand)));
    const amtB = Math.min(127, Math.max(0, Math.floor(Math.log(Math.max(cp.amount[i]!, 1)) / logRatio)));
    const key = (cp.eligClass[i]! * 4096 + aprB) * 128 + amtB;
    let g = keyToGroup.get(key);
    if (g === undefined) {
      g = count++;
      keyToGroup.set(key, g);
    }
    groupOf[i] = g;
  }
  const start = new Int32Array(count + 1);
  for (let i = 0; i < cp.n; i++) start[groupOf[i]! + 1]!++;
  for (let g = 0; g < count; g++) start[g + 1]! += start[g]!;
  const fill = start.slice(0, count);
  const members = new Int32Array(cp.n);
  for (let i = 0; i < cp.n; i++) members[fill[groupOf[i]!]!++] = i;
  const volume = new Float64Array(count);
  const aprMean = new Float64Array(count);
  const highRisk = new Uint8Array(count);
  const representative = new Int32Array(count);
  for (let g = 0; g < count; g++) {
    const seg = members.subarray(start[g]!, start[g + 1]!);
    seg.sort((a, b) => cp.apr[b]! - cp.apr[a]! || a - b);
    let v = 0;
    let w = 0;
    for (const i of seg) {
      v += cp.amount[i]!;
      w += cp.amount[i]! * cp.apr[i]!;
    }
    volume[g] = v;
    aprMean[g] = v > 0 ? w / v : 0;
    highRisk[g] = cp.highRisk[seg[0]!]!;
    representative[g] = seg[0]!;
  }
  return { count, start, members, volume, aprMean, highRisk, representative };
}

export interface AggregatedSolution {
  /** Volume (minor units) of each group planned for each funder; only positive flows are listed. */
  flows: { group: number; funder: number; volume: number }[];
  /** LP optimum of the aggregated model, minor units (floor penalties excluded). */
  lpObjective: number;
  prices: FunderPrices;
  /** Planned shortfall below each funder's floor (minor units); all zero when the floors can be met. */
  floorShortfall: Float64Array;
  modelStatus: number;
  columns: number;
  rows: number;
}

/** Builds and solves the aggregated LP. */
export function solveAggregated(highs: Highs, cp: CompiledProblem, groups: LoanGroups): AggregatedSolution {
  const S = volumeScale(cp);
  const rows: SharedRows = layoutSharedRows(cp, groups.count);
  const cb = new ColumnBuilder(Math.max(1024, groups.count * 24));
  const colGroup: number[] = [];
  const colFunder: number[] = [];
  for (let g = 0; g < groups.count; g++) {
    const rep = groups.representative[g]!;
    const vol = groups.volume[g]! / S;
    for (let k = cp.eligStart[rep]!; k < cp.eligStart[rep + 1]!; k++) {
      const f = cp.eligFunders[k]!;
      cb.entry(g, 1);
      sharedEntries(cp, rows, cb, f, 1, groups.highRisk[g]!);
      cb.endColumn(groups.aprMean[g]! - cp.cost[f]!, 0, vol);
      colGroup.push(g);
      colFunder.push(f);
    }
  }
  const firstSlack = cb.numCols;
  slackColumns(cp, rows, cb, S);
  const rowLower = new Float64Array(rows.nRows);
  const rowUpper = new Float64Array(rows.nRows);
  for (let g = 0; g < groups.count; g++) {
    rowLower[g] = Number.NEGATIVE_INFINITY;
    rowUpper[g] = groups.volume[g]! / S;
  }
  sharedRowBounds(cp, rows, S, rowLower, rowUpper);
  if (cb.numCols === 0) {
    // No loan is accepted by any funder and no funder has a floor: nothing to solve.
    const zero = new Float64Array(cp.nFunders);
    return { flows: [], lpObjective: 0, prices: { funder: zero, highRisk: zero, global: 0 }, floorShortfall: zero, modelStatus: highs.constants.modelStatus.empty, columns: 0, rows: rows.nRows };
  }
  const model = highs.createModel({
    numCols: cb.numCols, numRows: rows.nRows, sense: highs.constants.objectiveSense.maximize,
    colCost: cb.cost, colLower: cb.lower, colUpper: cb.upper, rowLower, rowUpper, matrix: cb.matrix(rows.nRows),
  });
  try {
    // Measured on the demo batches: this LP gains nothing from presolve, and the serial dual simplex solves it
    // fastest (about a third less CPU at 100,000 loans than the defaults).
    model.options.set({ output_flag: false, presolve: 'off', simplex_strategy: 1 });
    model.run();
    const status = model.getModelStatus();
    if (status !== highs.constants.modelStatus.optimal) {
      // With slack on every floor the LP is always feasible and bounded; anything else is a solver failure.
      throw new Error(`aggregated routing LP ended with HiGHS model status ${status}`);
    }
    const sol = model.getSolution();
    const flows: AggregatedSolution['flows'] = [];
    let lpObjective = 0;
    for (let c = 0; c < firstSlack; c++) {
      const v = sol.colValue[c]!;
      if (v <= 1e-9) continue;
      const g = colGroup[c]!;
      const f = colFunder[c]!;
      flows.push({ group: g, funder: f, volume: v * S });
      lpObjective += v * S * (groups.aprMean[g]! - cp.cost[f]!);
    }
    const floorShortfall = new Float64Array(cp.nFunders);
    for (let f = 0; f < cp.nFunders; f++) {
      const s = rows.slackIndex[f]!;
      if (s >= 0) floorShortfall[f] = Math.max(0, sol.colValue[firstSlack + s]! * S);
    }
    return {
      flows, lpObjective, prices: pricesFromDuals(cp, rows, sol.rowDual), floorShortfall, modelStatus: status,
      columns: cb.numCols, rows: rows.nRows,
    };
  } finally {
    model.dispose();
  }
}
