// The exact per-loan model: one binary per (loan, eligible funder). Used for batches up to a few thousand loans,
// where integrality bites (a regional funder's quota holds a handful of loans) and the aggregated LP's rounding
// loses too much. Solved by HiGHS branch-and-cut under a time limit, warm-started with the disaggregated LP
// assignment so an incumbent exists from the first node; the proven bound and gap come from HiGHS.
import type { CompiledProblem } from './model.ts';
import { ColumnBuilder, layoutSharedRows, sharedEntries, sharedRowBounds, slackColumns, volumeScale } from './lp-build.ts';
import type { Highs } from './highs-runtime.ts';

export interface MipOptions {
  /** Seconds HiGHS may spend (wall clock). */
  timeLimit: number;
  /** Relative gap at which HiGHS stops as optimal. */
  relativeGap?: number;
}

export interface MipSolution {
  assign: Int32Array;
  /** HiGHS's proven upper bound on the margin (minor units), penalties for short floors included. */
  bound: number;
  /** True when HiGHS proved optimality within the relative gap. */
  optimal: boolean;
  modelStatus: number;
  floorShortfall: Float64Array;
  columns: number;
  rows: number;
  nodes: number;
}

export function solveMip(highs: Highs, cp: CompiledProblem, start: Int32Array, opts: MipOptions): MipSolution {
  const S = volumeScale(cp);
  const rows = layoutSharedRows(cp, cp.n);
  const cb = new ColumnBuilder(Math.max(1024, cp.eligFunders.length * 4));
  const colLoan = new Int32Array(cp.eligFunders.length);
  const colFunder = new Int32Array(cp.eligFunders.length);
  for (let i = 0; i < cp.n; i++) {
    const vol = cp.amount[i]! / S;
    for (let k = cp.eligStart[i]!; k < cp.eligStart[i + 1]!; k++) {
      const f = cp.eligFunders[k]!;
      cb.entry(i, 1);
      sharedEntries(cp, rows, cb, f, vol, cp.highRisk[i]!);
      cb.endColumn(vol * (cp.apr[i]! - cp.cost[f]!), 0, 1);
      colLoan[k] = i;
      colFunder[k] = f;
    }
  }
  const firstSlack = cb.numCols;
  slackColumns(cp, rows, cb, S);
  const rowLower = new Float64Array(rows.nRows);
  const rowUpper = new Float64Array(rows.nRows);
  for (let i = 0; i < cp.n; i++) {
    rowLower[i] = Number.NEGATIVE_INFINITY;
    rowUpper[i] = 1;
  }
  sharedRowBounds(cp, rows, S, rowLower, rowUpper);
  if (firstSlack === 0) {
    // No loan is accepted by any funder: the only assignment routes nothing, and it is optimal.
    const floorShortfall = Float64Array.from(cp.floor);
    return { assign: new Int32Array(cp.n).fill(-1), bound: 0, optimal: true, modelStatus: highs.constants.modelStatus.empty, floorShortfall, columns: 0, rows: rows.nRows, nodes: 0 };
  }
  const integrality = new Int32Array(cb.numCols);
  integrality.fill(highs.constants.variableType.integer, 0, firstSlack);
  const model = highs.createModel({
    numCols: cb.numCols, numRows: rows.nRows, sense: highs.constants.objectiveSense.maximize,
    colCost: cb.cost, colLower: cb.lower, colUpper: cb.upper, rowLower, rowUpper, matrix: cb.matrix(rows.nRows), integrality,
  });
  try {
    model.options.set({ output_flag: false, time_limit: opts.timeLimit, mip_rel_gap: opts.relativeGap ?? 1e-4 });
    // Warm start: the columns of the given assignment, and the floor slack it needs.
    const x = new Float64Array(cb.numCols);
    const vol = new Float64Array(cp.nFunders);
    for (let k = 0; k < cp.eligFunders.length; k++) {
      if (start[colLoan[k]!] === colFunder[k]) {
        x[k] = 1;
        vol[colFunder[k]!]! += cp.amount[colLoan[k]!]!;
      }
    }
    for (let f = 0; f < cp.nFunders; f++) {
      const s = rows.slackIndex[f]!;
      if (s >= 0) x[firstSlack + s] = Math.max(0, Math.min(cp.floor[f]!, cp.ceiling[f]!) - vol[f]!) / S;
    }
    model.setSolution({ colValue: x });
    model.run();
    const status = model.getModelStatus();
    const sol = model.getSolution();
    const hasSolution = Number(model.info.get('primal_solution_status')) === 2;
    const assign = new Int32Array(cp.n).fill(-1);
    if (hasSolution) {
      for (let k = 0; k < cp.eligFunders.length; k++) if (sol.colValue[k]! > 0.5) assign[colLoan[k]!] = colFunder[k]!;
    } else {
      assign.set(start);
    }
    const floorShortfall = new Float64Array(cp.nFunders);
    for (let f = 0; f < cp.nFunders; f++) {
      let v = 0;
      for (let i = 0; i < cp.n; i++) if (assign[i] === f) v += cp.amount[i]!;
      floorShortfall[f] = Math.max(0, cp.floor[f]! - v);
    }
    const dualBound = Number(model.info.get('mip_dual_bound'));
    return {
      assign, bound: dualBound * S, optimal: status === highs.constants.modelStatus.optimal, modelStatus: status, floorShortfall,
      columns: cb.numCols, rows: rows.nRows, nodes: Number(model.info.get('mip_node_count')),
    };
  } finally {
    model.dispose();
  }
}
