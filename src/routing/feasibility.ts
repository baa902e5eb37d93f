// Explains floors that cannot be met: which constraint stands in the way and how much the funder can reach.
// A floor short is a result to report, never an exception: the batch is still routed with the floor relaxed by
// the least possible amount.
import type { CompiledProblem } from './model.ts';

export type FloorObstacle =
  /** The floor is above the funder's own ceiling. */
  | 'ceiling'
  /** The batch holds too little volume the funder accepts. */
  | 'eligibleVolume'
  /** Enough volume is eligible, but the risk share caps how much high-risk volume can count towards the floor. */
  | 'highRiskShare'
  /** The floors together exceed the global ceiling. */
  | 'globalCeiling'
  /** Each floor alone could be met, but several funders' floors compete for the same loans. */
  | 'competingFloors'
  /** The volume exists, but no set of whole loans reaches the floor without breaking a ceiling or share. */
  | 'wholeLoans'
  /** Serial routing does not plan for floors; another method may meet it. */
  | 'notPlanned';

export interface InfeasibleFloor {
  /** The constraint that cannot be met, e.g. `floor[F12]`. */
  constraint: string;
  funderId: string;
  floor: number;
  /** What the returned assignment gives the funder (minor units). */
  assigned: number;
  shortfall: number;
  /** Most the funder could receive on its own, ignoring other funders' floors. */
  reachable: number;
  obstacle: FloorObstacle;
  message: string;
}

/** Per funder, the most volume it could take alone: its ceiling, its eligible volume, its risk share, the global ceiling. */
export function reachableVolume(cp: CompiledProblem): { eligible: Float64Array; reachable: Float64Array } {
  const F = cp.nFunders;
  const low = new Float64Array(F);
  const high = new Float64Array(F);
  for (let i = 0; i < cp.n; i++) {
    const target = cp.highRisk[i] ? high : low;
    for (let k = cp.eligStart[i]!; k < cp.eligStart[i + 1]!; k++) target[cp.eligFunders[k]!]! += cp.amount[i]!;
  }
  const eligible = new Float64Array(F);
  const reachable = new Float64Array(F);
  for (let f = 0; f < F; f++) {
    eligible[f] = low[f]! + high[f]!;
    const s = cp.share[f]!;
    // High-risk volume h is allowed while h <= s (low + h), i.e. h <= low s / (1 - s).
    const highAllowed = s >= 1 ? high[f]! : Math.min(high[f]!, (low[f]! * s) / (1 - s));
    reachable[f] = Math.min(cp.ceiling[f]!, low[f]! + highAllowed, cp.globalCeiling);
  }
  return { eligible, reachable };
}

/**
 * Names the obstacle for every funder left short. `plannedShortfall` is the LP's (continuous) shortfall: a funder
 * short only after rounding to whole loans is a `wholeLoans` case.
 */
export function explainShortFloors(cp: CompiledProblem, volumeByFunder: ArrayLike<number>, plannedShortfall: ArrayLike<number>, serial = false): InfeasibleFloor[] {
  const { eligible, reachable } = reachableVolume(cp);
  let floorSum = 0;
  for (let f = 0; f < cp.nFunders; f++) floorSum += cp.floor[f]!;
  const out: InfeasibleFloor[] = [];
  const funders = cp.problem.funders;
  for (let f = 0; f < cp.nFunders; f++) {
    const floor = cp.floor[f]!;
    const assigned = volumeByFunder[f]!;
    if (assigned >= floor) continue;
    const id = funders[f]!.funderId;
    let obstacle: FloorObstacle;
    let why: string;
    if (floor > cp.ceiling[f]!) {
      obstacle = 'ceiling';
      why = `it is above the funder's ceiling ${cp.ceiling[f]}`;
    } else if (floor > eligible[f]!) {
      obstacle = 'eligibleVolume';
      why = `the batch holds only ${eligible[f]} of loans the funder accepts`;
    } else if (floor > reachable[f]! && reachable[f]! < cp.globalCeiling) {
      obstacle = 'highRiskShare';
      why = `with its high-risk share of ${cp.share[f]} at most ${Math.floor(reachable[f]!)} of the eligible loans can be assigned to it`;
    } else if (floorSum > cp.globalCeiling) {
      obstacle = 'globalCeiling';
      why = `the floors add up to ${floorSum}, above the global ceiling ${cp.globalCeiling}`;
    } else if (serial) {
      obstacle = 'notPlanned';
      why = 'serial routing fills funders in arrival order without planning for floors';
    } else if ((plannedShortfall[f] ?? 0) > 1e-6 * Math.max(floor, 1)) {
      obstacle = 'competingFloors';
      why = 'other funders\' floors need the same loans';
    } else {
      obstacle = 'wholeLoans';
      why = 'no combination of whole loans reaches it within the funder\'s ceiling and risk share';
    }
    out.push({
      constraint: `floor[${id}]`, funderId: id, floor, assigned, shortfall: floor - assigned, reachable: Math.floor(reachable[f]!), obstacle,
      message: `floor ${floor} of funder ${id} cannot be met: ${why}; assigned ${assigned}`,
    });
  }
  return out;
}
