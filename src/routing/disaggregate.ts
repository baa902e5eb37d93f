// From planned volumes to individual loans. Every loan is added through FundingState.canAdd, which checks the
// ceiling, risk share and global ceiling, so no phase can break a constraint; floors are then met by adding or
// moving loans, and the capacity rounding left free is filled with the best remaining loans.
import { FundingState, type CompiledProblem } from './model.ts';
import type { LoanGroups } from './aggregate.ts';

export interface Disaggregated {
  assign: Int32Array;
  /** Minor units still missing below each funder's floor after repair (all zero when floors are met). */
  floorShortfall: Float64Array;
}

export function disaggregate(cp: CompiledProblem, groups: LoanGroups, flows: { group: number; funder: number; volume: number }[]): Disaggregated {
  const assign = new Int32Array(cp.n).fill(-1);
  const state = new FundingState(cp);
  const byGroup = new Map<number, { funder: number; remaining: number }[]>();
  for (const fl of flows) {
    let list = byGroup.get(fl.group);
    if (!list) byGroup.set(fl.group, (list = []));
    list.push({ funder: fl.funder, remaining: fl.volume });
  }
  // Low-risk loans first: they make room under each funder's risk share for the high-risk ones.
  for (const pass of [0, 1]) {
    for (const [g, list] of byGroup) {
      if (groups.highRisk[g] !== pass) continue;
      for (let k = groups.start[g]!; k < groups.start[g + 1]!; k++) {
        const i = groups.members[k]!;
        const a = cp.amount[i]!;
        // Round to the nearest whole loan (take it where at least half of it is still planned), except for a
        // funder still below its floor, where any planned volume takes a whole loan.
        const below = (f: number) => (state.volume[f]! < cp.floor[f]! ? 1 : 0);
        list.sort((x, y) => below(y.funder) - below(x.funder) || y.remaining - x.remaining);
        for (const fl of list) {
          if (fl.remaining <= 0) continue;
          const belowFloor = below(fl.funder) === 1;
          if (fl.remaining < a / 2 && !belowFloor) continue;
          if (state.canAdd(i, fl.funder)) {
            state.add(i, fl.funder);
            assign[i] = fl.funder;
            fl.remaining -= a;
            break;
          }
        }
      }
    }
  }
  const floorShortfall = meetFloors(cp, state, assign);
  fillRemaining(cp, state, assign);
  return { assign, floorShortfall };
}

/** Loans each funder accepts (CSR by funder), built once when floors need repair. */
export function loansByFunder(cp: CompiledProblem): { start: Int32Array; loans: Int32Array } {
  const start = new Int32Array(cp.nFunders + 1);
  for (let k = 0; k < cp.eligFunders.length; k++) start[cp.eligFunders[k]! + 1]!++;
  for (let f = 0; f < cp.nFunders; f++) start[f + 1]! += start[f]!;
  const fill = start.slice(0, cp.nFunders);
  const loans = new Int32Array(cp.eligFunders.length);
  for (let i = 0; i < cp.n; i++) {
    for (let k = cp.eligStart[i]!; k < cp.eligStart[i + 1]!; k++) loans[fill[cp.eligFunders[k]!]!++] = i;
  }
  return { start, loans };
}

/**
 * Brings every funder up to its floor: first with unrouted loans it accepts (best margin first), then by moving
 * loans from funders that stay above their own floors (smallest margin loss first). Returns what is still missing.
 */
export function meetFloors(cp: CompiledProblem, state: FundingState, assign: Int32Array): Float64Array {
  const shortfall = new Float64Array(cp.nFunders);
  let index: { start: Int32Array; loans: Int32Array } | undefined;
  for (let round = 0; round < 2; round++) {
    for (let f = 0; f < cp.nFunders; f++) {
      if (state.volume[f]! >= cp.floor[f]!) continue;
      index ??= loansByFunder(cp);
      const cands = Array.from(index.loans.subarray(index.start[f]!, index.start[f + 1]!));
      const free = cands.filter((i) => assign[i]! < 0).sort((x, y) => cp.apr[y]! - cp.apr[x]! || x - y);
      for (const i of free) {
        if (state.volume[f]! >= cp.floor[f]!) break;
        if (state.canAdd(i, f)) {
          state.add(i, f);
          assign[i] = f;
        }
      }
      if (state.volume[f]! >= cp.floor[f]!) continue;
      // Moving a loan from funder h to f changes the margin by cost_h - cost_f: take from the dearest funders first.
      const taken = cands.filter((i) => assign[i]! >= 0 && assign[i] !== f).sort((x, y) => cp.cost[assign[y]!]! - cp.cost[assign[x]!]! || x - y);
      for (const i of taken) {
        if (state.volume[f]! >= cp.floor[f]!) break;
        const h = assign[i]!;
        const a = cp.amount[i]!;
        if (state.volume[h]! - a < cp.floor[h]! || !state.canRemove(i, h)) continue;
        state.remove(i, h);
        if (state.canAdd(i, f)) {
          state.add(i, f);
          assign[i] = f;
        } else {
          state.add(i, h);
        }
      }
    }
  }
  for (let f = 0; f < cp.nFunders; f++) shortfall[f] = Math.max(0, cp.floor[f]! - state.volume[f]!);
  return shortfall;
}

/** Offers every unrouted positive-margin loan, highest APR first, to its cheapest funder with room. */
export function fillRemaining(cp: CompiledProblem, state: FundingState, assign: Int32Array): void {
  const free: number[] = [];
  for (let i = 0; i < cp.n; i++) if (assign[i]! < 0 && cp.eligStart[i + 1]! > cp.eligStart[i]!) free.push(i);
  free.sort((x, y) => cp.apr[y]! - cp.apr[x]! || x - y);
  // A second pass picks up high-risk loans that the first pass's low-risk additions made room for.
  for (let pass = 0; pass < 2; pass++) {
    for (const i of free) {
      if (assign[i]! >= 0) continue;
      for (let k = cp.eligStart[i]!; k < cp.eligStart[i + 1]!; k++) {
        const f = cp.eligFunders[k]!;
        if (cp.apr[i]! <= cp.cost[f]!) break; // eligFunders is sorted by cost: no later funder has a margin either
        if (state.canAdd(i, f)) {
          state.add(i, f);
          assign[i] = f;
          break;
        }
      }
    }
  }
}

/**
 * Re-adds an assignment loan by loan through canAdd (low-risk loans first, so a feasible assignment comes back
 * unchanged), drops any loan that would break a constraint, then repairs floors and fills freed room. Solver
 * output passes through here, so solver tolerances can never leak a violated constraint into a result.
 */
export function rebuildFeasible(cp: CompiledProblem, proposed: Int32Array): Disaggregated {
  const assign = new Int32Array(cp.n).fill(-1);
  const state = new FundingState(cp);
  for (const pass of [0, 1]) {
    for (let i = 0; i < cp.n; i++) {
      const f = proposed[i]!;
      if (f < 0 || cp.highRisk[i] !== pass || !isEligible(cp, i, f)) continue;
      if (state.canAdd(i, f)) {
        state.add(i, f);
        assign[i] = f;
      }
    }
  }
  const floorShortfall = meetFloors(cp, state, assign);
  fillRemaining(cp, state, assign);
  return { assign, floorShortfall };
}

function isEligible(cp: CompiledProblem, i: number, f: number): boolean {
  for (let k = cp.eligStart[i]!; k < cp.eligStart[i + 1]!; k++) if (cp.eligFunders[k] === f) return true;
  return false;
}
