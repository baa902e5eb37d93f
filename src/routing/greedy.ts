// Serial routing, the practice linear programming replaces: loans in arrival order, each to the cheapest eligible
// funder that still has room. It plans nothing, so it funds negative-margin loans and ignores floors; it is kept
// as the yardstick every routing result is compared with.
import { FundingState, type CompiledProblem } from './model.ts';

export function routeGreedy(cp: CompiledProblem): Int32Array {
  const assign = new Int32Array(cp.n).fill(-1);
  const state = new FundingState(cp);
  for (let i = 0; i < cp.n; i++) {
    // eligFunders is sorted by cost of funds, so the first funder with room is the cheapest.
    for (let k = cp.eligStart[i]!; k < cp.eligStart[i + 1]!; k++) {
      const f = cp.eligFunders[k]!;
      if (state.canAdd(i, f)) {
        state.add(i, f);
        assign[i] = f;
        break;
      }
    }
  }
  return assign;
}
