// Building blocks shared by the aggregated LP and the per-loan MIP: the funder, risk-share and global rows,
// a column-wise (CSC) matrix builder, and volume scaling. Models are passed to HiGHS as sparse arrays, not LP
// text: at 100,000 loans that saves building and parsing tens of megabytes of text.
import type { CompiledProblem } from './model.ts';

/** Objective weight (per scaled unit of volume) of leaving a floor short; far above any margin rate, so floors come first. */
export const FLOOR_PENALTY = 1000;

/** Volumes enter the solver divided by a power of ten near the mean loan amount, keeping coefficients near 1. */
export function volumeScale(cp: CompiledProblem): number {
  let s = 0;
  for (let i = 0; i < cp.n; i++) s += cp.amount[i]!;
  const mean = cp.n ? s / cp.n : 1;
  return 10 ** Math.max(0, Math.round(Math.log10(Math.max(mean, 1))));
}

export interface SharedRows {
  /** Row of funder f: its volume between floor and ceiling. */
  funderRow: Int32Array;
  /** Row of funder f's risk share (high-risk volume - share x volume <= 0), or -1 when it cannot bind. */
  highRiskRow: Int32Array;
  globalRow: number;
  /** Slack column (floor shortfall) of funder f, relative to the first slack column, or -1 when its floor is 0. */
  slackIndex: Int32Array;
  nSlack: number;
  nRows: number;
}

/** Lays out the shared rows after `offset` rows of loan or group rows. */
export function layoutSharedRows(cp: CompiledProblem, offset: number): SharedRows {
  const F = cp.nFunders;
  const funderRow = new Int32Array(F);
  const highRiskRow = new Int32Array(F).fill(-1);
  const slackIndex = new Int32Array(F).fill(-1);
  let r = offset;
  for (let f = 0; f < F; f++) funderRow[f] = r++;
  // A risk-share row only matters when the funder may receive some high-risk loan and caps its share below 1.
  const mayTakeHighRisk = new Uint8Array(F);
  for (let i = 0; i < cp.n; i++) {
    if (!cp.highRisk[i]) continue;
    for (let k = cp.eligStart[i]!; k < cp.eligStart[i + 1]!; k++) mayTakeHighRisk[cp.eligFunders[k]!] = 1;
  }
  for (let f = 0; f < F; f++) if (mayTakeHighRisk[f] && cp.share[f]! < 1) highRiskRow[f] = r++;
  const globalRow = Number.isFinite(cp.globalCeiling) ? r++ : -1;
  let nSlack = 0;
  for (let f = 0; f < F; f++) if (cp.floor[f]! > 0) slackIndex[f] = nSlack++;
  return { funderRow, highRiskRow, globalRow, slackIndex, nSlack, nRows: r };
}

/** Growable CSC matrix with per-column cost and bounds. */
export class ColumnBuilder {
  starts: number[] = [0];
  private idx: Int32Array;
  private val: Float64Array;
  private nnz = 0;
  cost: number[] = [];
  lower: number[] = [];
  upper: number[] = [];
  constructor(capacity = 1024) {
    this.idx = new Int32Array(capacity);
    this.val = new Float64Array(capacity);
  }
  entry(row: number, value: number): void {
    if (this.nnz === this.idx.length) {
      const idx = new Int32Array(this.idx.length * 2);
      idx.set(this.idx);
      this.idx = idx;
      const val = new Float64Array(this.val.length * 2);
      val.set(this.val);
      this.val = val;
    }
    this.idx[this.nnz] = row;
    this.val[this.nnz++] = value;
  }
  /** Closes the column whose entries were just added. */
  endColumn(cost: number, lower: number, upper: number): void {
    this.starts.push(this.nnz);
    this.cost.push(cost);
    this.lower.push(lower);
    this.upper.push(upper);
  }
  get numCols(): number {
    return this.cost.length;
  }
  matrix(numRows: number) {
    return {
      format: 'csc' as const, numRows, numCols: this.numCols, starts: Int32Array.from(this.starts),
      indices: this.idx.subarray(0, this.nnz), values: this.val.subarray(0, this.nnz),
    };
  }
}

/** Adds the shared-row entries of a column carrying `vol` scaled volume of high-risk flag `hr` to funder f. */
export function sharedEntries(cp: CompiledProblem, rows: SharedRows, cb: ColumnBuilder, f: number, vol: number, hr: number): void {
  cb.entry(rows.funderRow[f]!, vol);
  const h = rows.highRiskRow[f]!;
  if (h >= 0) {
    const coef = vol * (hr - cp.share[f]!);
    if (coef !== 0) cb.entry(h, coef);
  }
  if (rows.globalRow >= 0) cb.entry(rows.globalRow, vol);
}

/** Appends the floor-shortfall slack columns (one per funder with a floor). */
export function slackColumns(cp: CompiledProblem, rows: SharedRows, cb: ColumnBuilder, scale: number): void {
  for (let f = 0; f < cp.nFunders; f++) {
    if (rows.slackIndex[f]! < 0) continue;
    cb.entry(rows.funderRow[f]!, 1);
    cb.endColumn(-FLOOR_PENALTY, 0, Math.min(cp.floor[f]!, cp.ceiling[f]!) / scale);
  }
}

/** Bounds of the shared rows: funder volume in [floor, ceiling], risk share <= 0, total <= global ceiling. */
export function sharedRowBounds(cp: CompiledProblem, rows: SharedRows, scale: number, lower: Float64Array, upper: Float64Array): void {
  for (let f = 0; f < cp.nFunders; f++) {
    const r = rows.funderRow[f]!;
    // A floor above the ceiling is reported by the feasibility check; the model keeps the ceiling. The slack shares
    // the row, so a short floor never relaxes the ceiling: volume + slack stays <= ceiling.
    lower[r] = Math.min(cp.floor[f]!, cp.ceiling[f]!) / scale;
    upper[r] = cp.ceiling[f]! / scale;
    const h = rows.highRiskRow[f]!;
    if (h >= 0) {
      lower[h] = Number.NEGATIVE_INFINITY;
      upper[h] = 0;
    }
  }
  if (rows.globalRow >= 0) {
    lower[rows.globalRow] = Number.NEGATIVE_INFINITY;
    upper[rows.globalRow] = cp.globalCeiling / scale;
  }
}

/** Shadow prices of the shared rows, per unit of volume, as the dual bound and the online router use them. */
export interface FunderPrices {
  /** Signed dual of the funder row: positive when the ceiling binds, negative when the floor binds. */
  funder: Float64Array;
  /** Dual of the risk-share row (>= 0). */
  highRisk: Float64Array;
  /** Dual of the global ceiling (>= 0). */
  global: number;
}

export function pricesFromDuals(cp: CompiledProblem, rows: SharedRows, rowDual: Float64Array): FunderPrices {
  const F = cp.nFunders;
  const funder = new Float64Array(F);
  const highRisk = new Float64Array(F);
  for (let f = 0; f < F; f++) {
    funder[f] = rowDual[rows.funderRow[f]!] ?? 0;
    const h = rows.highRiskRow[f]!;
    highRisk[f] = h >= 0 ? Math.max(0, rowDual[h] ?? 0) : 0;
  }
  const global = rows.globalRow >= 0 ? Math.max(0, rowDual[rows.globalRow] ?? 0) : 0;
  return { funder, highRisk, global };
}
