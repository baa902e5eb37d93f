// Local improvement after disaggregation. Rounding planned volumes to whole loans leaves room unused at funders
// whose eligible loans all went elsewhere (typically regional banks). A move sends such a loan from its funder h
// to the funder f with room, then fills the room freed at h with the best unrouted loans h accepts; it is kept only
// when the margin rises. Every change goes through FundingState, so no constraint can break, and floors are kept.
import { FundingState, type CompiledProblem } from './model.ts';
import { loansByFunder } from './disaggregate.ts';

export interface ImproveOptions {
  /** Upper bound on candidate moves examined (keeps the pass linear on large batches). */
  maxMoves?: number;
}

export function improveByMoves(cp: CompiledProblem, assign: Int32Array, opts: ImproveOptions = {}): number {
  const state = new FundingState(cp);
  for (const pass of [0, 1]) for (let i = 0; i < cp.n; i++) if (assign[i]! >= 0 && cp.highRisk[i] === pass) state.add(i, assign[i]!);
  const byFunder = loansByFunder(cp);
  let minAmount = Number.POSITIVE_INFINITY;
  for (let i = 0; i < cp.n; i++) minAmount = Math.min(minAmount, cp.amount[i]!);
  // Free loans each funder accepts, highest APR first; consumed lazily through a cursor.
  const freeLists: Int32Array[] = [];
  for (let f = 0; f < cp.nFunders; f++) {
    const seg = Array.from(byFunder.loans.subarray(byFunder.start[f]!, byFunder.start[f + 1]!)).filter((i) => assign[i]! < 0 && cp.apr[i]! > cp.cost[f]!);
    seg.sort((x, y) => cp.apr[y]! - cp.apr[x]! || x - y);
    freeLists.push(Int32Array.from(seg));
  }
  // Loans before cursor[h] in freeLists[h] are all routed already.
  const cursor = new Int32Array(cp.nFunders);
  const budget = opts.maxMoves ?? 20_000;
  let examined = 0;
  let gained = 0;
  for (let f = 0; f < cp.nFunders && examined < budget; f++) {
    if (cp.ceiling[f]! - state.volume[f]! < minAmount) continue;
    const cands = byFunder.loans.subarray(byFunder.start[f]!, byFunder.start[f + 1]!);
    for (let c = 0; c < cands.length && examined < budget; c++) {
      const i = cands[c]!;
      const h = assign[i]!;
      if (h < 0 || h === f) continue;
      const a = cp.amount[i]!;
      if (state.volume[f]! + a > cp.ceiling[f]!) continue;
      if (state.volume[h]! - a < cp.floor[h]! || !state.canRemove(i, h)) continue;
      examined++;
      state.remove(i, h);
      if (!state.canAdd(i, f)) {
        state.add(i, h);
        continue;
      }
      state.add(i, f);
      assign[i] = f;
      let gain = a * (cp.cost[h]! - cp.cost[f]!);
      const added: number[] = [];
      const free = freeLists[h]!;
      const from = cursor[h]!;
      while (cursor[h]! < free.length && assign[free[cursor[h]!]!]! >= 0) cursor[h]!++;
      // A bounded window: the best unrouted loans h accepts are near the cursor.
      for (let k = cursor[h]!, end = Math.min(free.length, cursor[h]! + 256); k < end; k++) {
        const j = free[k]!;
        if (assign[j]! >= 0) continue;
        if (cp.ceiling[h]! - state.volume[h]! < minAmount) break;
        if (state.canAdd(j, h)) {
          state.add(j, h);
          assign[j] = h;
          added.push(j);
          gain += cp.amount[j]! * (cp.apr[j]! - cp.cost[h]!);
        }
      }
      if (gain > 0) {
        gained += gain;
        if (cp.ceiling[f]! - state.volume[f]! < minAmount) break;
        continue;
      }
      // Not worth it: undo in reverse order.
      for (const j of added) {
        state.remove(j, h);
        assign[j] = -1;
      }
      if (added.length) cursor[h] = from;
      state.remove(i, f);
      state.add(i, h);
      assign[i] = h;
    }
  }
  return gained;
}
