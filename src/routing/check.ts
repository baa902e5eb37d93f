// Independent check of an assignment against every constraint of the model. Routers call it before returning
// (a violation is a bug, never a result), and the property tests call it on every random instance.
import { highRiskWithin, type CompiledProblem } from './model.ts';

export type ConstraintKind = 'eligibility' | 'ceiling' | 'floor' | 'highRiskShare' | 'globalCeiling';

export interface Violation {
  constraint: ConstraintKind;
  funderId?: string;
  loanId?: string;
  message: string;
}

export interface AssignmentSummary {
  /** Sum of amount x (apr - costOfFunds) over assigned loans, minor units. */
  objective: number;
  fundedVolume: number;
  fundedLoans: number;
  volumeByFunder: number[];
  highRiskVolumeByFunder: number[];
}

/** `assign[i]` is the funder index of loan i, or -1 when the loan stays unrouted. */
export function summarizeAssignment(cp: CompiledProblem, assign: Int32Array): AssignmentSummary {
  const vol = new Array<number>(cp.nFunders).fill(0);
  const hr = new Array<number>(cp.nFunders).fill(0);
  let objective = 0;
  let funded = 0;
  let count = 0;
  for (let i = 0; i < cp.n; i++) {
    const f = assign[i]!;
    if (f < 0) continue;
    const a = cp.amount[i]!;
    vol[f]! += a;
    if (cp.highRisk[i]) hr[f]! += a;
    objective += a * (cp.apr[i]! - cp.cost[f]!);
    funded += a;
    count++;
  }
  return { objective, fundedVolume: funded, fundedLoans: count, volumeByFunder: vol, highRiskVolumeByFunder: hr };
}

/** Every violated constraint; floors are checked only when `checkFloors` (an infeasible-floor result relaxes them). */
export function checkAssignment(cp: CompiledProblem, assign: Int32Array, checkFloors = true): Violation[] {
  const out: Violation[] = [];
  const { loans, funders } = cp.problem;
  for (let i = 0; i < cp.n; i++) {
    const f = assign[i]!;
    if (f < 0) continue;
    let ok = false;
    for (let k = cp.eligStart[i]!; k < cp.eligStart[i + 1]!; k++) if (cp.eligFunders[k] === f) ok = true;
    if (!ok) out.push({ constraint: 'eligibility', loanId: loans[i]!.loanId, funderId: funders[f]?.funderId, message: `loan ${loans[i]!.loanId} assigned to funder ${funders[f]?.funderId ?? f} which does not accept it` });
  }
  const s = summarizeAssignment(cp, assign);
  for (let f = 0; f < cp.nFunders; f++) {
    const id = funders[f]!.funderId;
    const v = s.volumeByFunder[f]!;
    if (v > cp.ceiling[f]!) out.push({ constraint: 'ceiling', funderId: id, message: `funder ${id} assigned ${v}, above its ceiling ${cp.ceiling[f]}` });
    if (checkFloors && v < cp.floor[f]!) out.push({ constraint: 'floor', funderId: id, message: `funder ${id} assigned ${v}, below its floor ${cp.floor[f]}` });
    if (!highRiskWithin(s.highRiskVolumeByFunder[f]!, v, cp.share[f]!)) {
      out.push({ constraint: 'highRiskShare', funderId: id, message: `funder ${id} high-risk volume ${s.highRiskVolumeByFunder[f]} exceeds ${cp.share[f]} of its volume ${v}` });
    }
  }
  if (s.fundedVolume > cp.globalCeiling) out.push({ constraint: 'globalCeiling', message: `funded volume ${s.fundedVolume} above the global ceiling ${cp.globalCeiling}` });
  return out;
}
