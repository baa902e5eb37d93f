// Routing a batch of loans to funders: picks the method, runs it, checks the result against every constraint,
// and reports the objective against a proven bound and against serial (greedy) routing.
import { compileProblem, type CompiledProblem, type RoutingProblem } from './model.ts';
import { checkAssignment, summarizeAssignment } from './check.ts';
import { routeGreedy } from './greedy.ts';
import { DEFAULT_GROUPING, groupLoans, solveAggregated, type GroupingOptions } from './aggregate.ts';
import { disaggregate, rebuildFeasible } from './disaggregate.ts';
import { dualBound } from './bound.ts';
import { solveMip } from './mip.ts';
import { improveByMoves } from './improve.ts';
import { explainShortFloors, type InfeasibleFloor } from './feasibility.ts';
import { highsRuntime } from './highs-runtime.ts';
import type { FunderPrices } from './lp-build.ts';

export type RoutingMethod = 'auto' | 'lp' | 'mip' | 'greedy';

export interface RouteOptions {
  method?: RoutingMethod;
  /** Seconds the `mip` method may run in all, LP warm start included (default 20; the model build adds a little). */
  timeLimit?: number;
  /** `auto` uses the exact MIP up to this many loans and the aggregated LP above (default 2,000: measured on the demo, the
   *  MIP improves on the LP's assignment within the default 20 s up to about that size, not at 3,000 or 5,000). */
  mipMaxLoans?: number;
  /** Grouping of the aggregated LP (default: one-point APR bands, amount bands of a factor of 8). */
  grouping?: GroupingOptions;
  /** Milliseconds clock used to time the run (the core reads no clock of its own). */
  clock?: () => number;
}

export interface FunderOutcome {
  funderId: string;
  volume: number;
  highRiskVolume: number;
  loans: number;
  floor: number;
  ceiling: number;
}

export interface RouteResult {
  /** `optimal` (proven within 0.01%), `feasible` (every constraint holds), or `infeasible` (some floor short). */
  status: 'optimal' | 'feasible' | 'infeasible';
  method: Exclude<RoutingMethod, 'auto'>;
  /** Funder index per loan (-1 unrouted), in the order of `problem.loans`. */
  assign: Int32Array;
  /** Total margin sum amount x (apr - costOfFunds), minor units. */
  objective: number;
  /** Proven upper bound on the margin of any assignment (null for greedy, which solves no LP). */
  bound: number | null;
  /** (bound - objective) / |bound|. */
  gap: number | null;
  fundedVolume: number;
  fundedLoans: number;
  greedyObjective: number;
  greedyFundedVolume: number;
  seconds: number;
  greedySeconds: number;
  infeasibleFloors: InfeasibleFloor[];
  funders: FunderOutcome[];
  /** Per-unit shadow prices of each funder's quota from the LP, for routing loans online until the next batch. */
  prices: Record<string, number> | null;
  solver: { columns: number; rows: number; groups?: number; nodes?: number; modelStatus?: number; proven?: boolean; improveSeconds?: number };
}

const PROVEN_GAP = 1e-4;

export async function routeBatch(problem: RoutingProblem, opts: RouteOptions = {}): Promise<RouteResult> {
  const clock = opts.clock ?? (() => 0);
  const cp = compileProblem(problem);
  const t0 = clock();
  const greedyAssign = routeGreedy(cp);
  const greedy = summarizeAssignment(cp, greedyAssign);
  const greedySeconds = (clock() - t0) / 1000;
  const requested = opts.method ?? 'auto';
  const method: RouteResult['method'] = requested === 'auto' ? (cp.n <= (opts.mipMaxLoans ?? 2000) ? 'mip' : 'lp') : requested;

  const t1 = clock();
  let assign: Int32Array;
  // Bounds on the margin: the LP dual bound with and without floors, and HiGHS's MIP bound (which includes the
  // floor penalties, so it bounds the margin only once an assignment meeting every floor is known to exist).
  let boundWithFloors: number | null = null;
  let boundWithoutFloors: number | null = null;
  let mipBound = Number.POSITIVE_INFINITY;
  let plannedShortfall: ArrayLike<number> = new Float64Array(cp.nFunders);
  let prices: FunderPrices | null = null;
  let proven = false;
  let improveSeconds = 0;
  let solver: RouteResult['solver'] = { columns: 0, rows: 0 };
  if (method === 'greedy') {
    assign = greedyAssign;
  } else {
    const highs = await highsRuntime();
    const grouping = opts.grouping ?? DEFAULT_GROUPING;
    const groups = groupLoans(cp, grouping);
    const agg = solveAggregated(highs, cp, groups);
    prices = agg.prices;
    plannedShortfall = agg.floorShortfall;
    boundWithFloors = dualBound(cp, agg.prices, true);
    boundWithoutFloors = dualBound(cp, agg.prices, false);
    assign = disaggregate(cp, groups, agg.flows).assign;
    const tImprove = clock();
    improveByMoves(cp, assign);
    improveSeconds = (clock() - tImprove) / 1000;
    solver = { columns: agg.columns, rows: agg.rows, groups: groups.count, modelStatus: agg.modelStatus, improveSeconds };
    if (method === 'mip') {
      // The time limit covers the whole run: what the LP and its disaggregation took comes off the MIP's share.
      const elapsed = (clock() - t1) / 1000;
      const mip = solveMip(highs, cp, assign, { timeLimit: Math.max(0.5, (opts.timeLimit ?? 20) - elapsed), relativeGap: PROVEN_GAP });
      const rebuilt = rebuildFeasible(cp, mip.assign);
      assign = better(cp, rebuilt.assign, assign);
      mipBound = mip.bound;
      proven = mip.optimal;
      solver = { columns: mip.columns, rows: mip.rows, nodes: mip.nodes, modelStatus: mip.modelStatus, proven: mip.optimal };
    }
  }
  const seconds = (clock() - t1) / 1000;

  const violations = checkAssignment(cp, assign, false);
  if (violations.length) throw new Error(`routing produced an assignment that breaks a constraint: ${violations[0]!.message}`);
  const s = summarizeAssignment(cp, assign);
  const infeasibleFloors = explainShortFloors(cp, s.volumeByFunder, plannedShortfall, method === 'greedy');
  const bound = boundWithFloors === null || boundWithoutFloors === null ? null
    : infeasibleFloors.length ? boundWithoutFloors : Math.min(boundWithFloors, mipBound);
  const gap = bound === null ? null : Math.max(0, bound - s.objective) / Math.max(Math.abs(bound), 1);
  const status: RouteResult['status'] = infeasibleFloors.length ? 'infeasible' : (proven || (gap !== null && gap <= PROVEN_GAP)) ? 'optimal' : 'feasible';
  const funders = problem.funders;
  const loansPer = new Array<number>(cp.nFunders).fill(0);
  for (let i = 0; i < cp.n; i++) if (assign[i]! >= 0) loansPer[assign[i]!]!++;
  return {
    status, method, assign, objective: s.objective, bound, gap, fundedVolume: s.fundedVolume, fundedLoans: s.fundedLoans,
    greedyObjective: greedy.objective, greedyFundedVolume: greedy.fundedVolume, seconds, greedySeconds, infeasibleFloors,
    funders: funders.map((f, j) => ({
      funderId: f.funderId, volume: s.volumeByFunder[j]!, highRiskVolume: s.highRiskVolumeByFunder[j]!, loans: loansPer[j]!, floor: cp.floor[j]!, ceiling: cp.ceiling[j]!,
    })),
    prices: prices ? Object.fromEntries(funders.map((f, j) => [f.funderId, prices!.funder[j]!])) : null,
    solver,
  };
}

/** The assignment with less floor shortfall, then the higher margin. */
function better(cp: CompiledProblem, a: Int32Array, b: Int32Array): Int32Array {
  const sa = summarizeAssignment(cp, a);
  const sb = summarizeAssignment(cp, b);
  const short = (v: number[]) => v.reduce((acc, x, f) => acc + Math.max(0, cp.floor[f]! - x), 0);
  const da = short(sa.volumeByFunder);
  const db = short(sb.volumeByFunder);
  if (da !== db) return da < db ? a : b;
  return sa.objective >= sb.objective ? a : b;
}

/** Rows of ASSIGN.csv: `loanId,funderId` for every routed loan, in batch order. */
export function assignmentRows(problem: RoutingProblem, assign: Int32Array): { loanId: string; funderId: string }[] {
  const rows: { loanId: string; funderId: string }[] = [];
  for (let i = 0; i < problem.loans.length; i++) {
    const f = assign[i]!;
    if (f >= 0) rows.push({ loanId: problem.loans[i]!.loanId, funderId: problem.funders[f]!.funderId });
  }
  return rows;
}
