// The routing model: loans waiting for a funder, funding partners with quotas and risk appetite, and the
// compiled form every solver works on (typed arrays, eligibility lists sorted by cost of funds).
// Amounts are integer minor units; rates (APR, cost of funds, shares) are plain decimals.

export const RATINGS = ['A', 'B', 'C', 'D', 'E'] as const;
export type Rating = (typeof RATINGS)[number];

/** Ratings D and E are high-risk: funders cap their share of those in what they fund. */
export function isHighRisk(rating: Rating): boolean {
  return rating === 'D' || rating === 'E';
}

/** A booked loan waiting to be routed. */
export interface RoutingLoan {
  loanId: string;
  /** Principal in integer minor units. */
  amount: number;
  rating: Rating;
  termMonths: number;
  /** Annual percentage rate as a decimal (0.18). */
  apr: number;
  region: string;
  product: string;
}

/** A funding partner. `*` in regions or products accepts any value. */
export interface Funder {
  funderId: string;
  name?: string;
  /** Most the funder takes in one day (minor units). */
  dailyCeiling: number;
  /** Least the funder has committed to take in one day (minor units). */
  dailyFloor: number;
  /** Monthly quota; with `monthToDateVolume` it caps today's ceiling, and with `daysLeftInMonth` it raises today's floor. */
  monthlyCeiling?: number;
  monthlyFloor?: number;
  /** Volume already funded this month before this batch (minor units). */
  monthToDateVolume?: number;
  terms: number[];
  /** Worst rating the funder accepts. */
  minRating: Rating;
  /** Largest share (0..1) of high-risk volume in what the funder is assigned. */
  maxHighRiskShare: number;
  regions: string[];
  products: string[];
  /** Annual cost of funds as a decimal (0.08). */
  costOfFunds: number;
}

export interface RoutingProblem {
  loans: RoutingLoan[];
  funders: Funder[];
  /** Most the whole batch may fund (minor units); absent means unlimited. */
  globalCeiling?: number;
  /** Days left in the month including today; lets monthly floors raise today's floors. */
  daysLeftInMonth?: number;
}

const RATING_RANK: Record<Rating, number> = { A: 0, B: 1, C: 2, D: 3, E: 4 };

export function ratingRank(r: Rating): number {
  return RATING_RANK[r];
}

/** Whether a funder accepts a loan: listed term, rating no worse than its minimum, region and product match. */
export function accepts(f: Funder, loan: Pick<RoutingLoan, 'rating' | 'termMonths' | 'region' | 'product'>): boolean {
  return (
    f.terms.includes(loan.termMonths) &&
    RATING_RANK[loan.rating] <= RATING_RANK[f.minRating] &&
    (f.regions.includes('*') || f.regions.includes(loan.region)) &&
    (f.products.includes('*') || f.products.includes(loan.product))
  );
}

/** Annual margin of funding `loan` by `f`, in minor units (a fraction of a minor unit is kept: it is a rate, not a payment). */
export function margin(amount: number, apr: number, costOfFunds: number): number {
  return amount * (apr - costOfFunds);
}

/** Today's quota of a funder once its monthly quota and month-to-date volume are taken into account. */
export function effectiveQuota(f: Funder, daysLeftInMonth?: number): { ceiling: number; floor: number } {
  const mtd = f.monthToDateVolume ?? 0;
  let ceiling = f.dailyCeiling;
  if (f.monthlyCeiling !== undefined) ceiling = Math.max(0, Math.min(ceiling, f.monthlyCeiling - mtd));
  let floor = f.dailyFloor;
  if (f.monthlyFloor !== undefined && daysLeftInMonth !== undefined && daysLeftInMonth >= 1) {
    // What must be funded today so the monthly floor stays reachable with the daily ceilings still to come.
    floor = Math.max(floor, f.monthlyFloor - mtd - (daysLeftInMonth - 1) * f.dailyCeiling);
  }
  return { ceiling, floor };
}

/**
 * The problem in the form the solvers use. Loan i may go to funders eligFunders[eligStart[i] .. eligStart[i+1]),
 * sorted by cost of funds (cheapest first, then by input order), so "cheapest eligible funder" is the first that has room.
 */
export interface CompiledProblem {
  problem: RoutingProblem;
  n: number;
  nFunders: number;
  amount: Float64Array;
  apr: Float64Array;
  highRisk: Uint8Array;
  eligStart: Int32Array;
  eligFunders: Int32Array;
  /** Eligibility class of each loan: loans in one class are accepted by exactly the same funders. */
  eligClass: Int32Array;
  nClasses: number;
  ceiling: Float64Array;
  floor: Float64Array;
  share: Float64Array;
  cost: Float64Array;
  globalCeiling: number;
}

export function compileProblem(problem: RoutingProblem): CompiledProblem {
  const { loans, funders } = problem;
  const n = loans.length;
  const F = funders.length;
  const order = funders.map((_, j) => j).sort((a, b) => funders[a]!.costOfFunds - funders[b]!.costOfFunds || a - b);
  const amount = new Float64Array(n);
  const apr = new Float64Array(n);
  const highRisk = new Uint8Array(n);
  const eligStart = new Int32Array(n + 1);
  const eligClass = new Int32Array(n);
  // Eligibility depends only on (rating, term, region, product): compute it once per distinct combination,
  // then merge combinations that end up with the same funder list into one class.
  const byKey = new Map<string, number>();
  const bySignature = new Map<string, number>();
  const classLists: number[][] = [];
  const loanClass = new Int32Array(n);
  let pairs = 0;
  for (let i = 0; i < n; i++) {
    const l = loans[i]!;
    amount[i] = l.amount;
    apr[i] = l.apr;
    highRisk[i] = isHighRisk(l.rating) ? 1 : 0;
    const key = `${l.rating}\u0000${l.termMonths}\u0000${l.region}\u0000${l.product}`;
    let c = byKey.get(key);
    if (c === undefined) {
      const list = order.filter((j) => accepts(funders[j]!, l));
      const sig = `${highRisk[i]}:${list.join(',')}`;
      c = bySignature.get(sig);
      if (c === undefined) {
        c = classLists.length;
        classLists.push(list);
        bySignature.set(sig, c);
      }
      byKey.set(key, c);
    }
    loanClass[i] = c;
    eligClass[i] = c;
    pairs += classLists[c]!.length;
  }
  const eligFunders = new Int32Array(pairs);
  let k = 0;
  for (let i = 0; i < n; i++) {
    eligStart[i] = k;
    for (const j of classLists[loanClass[i]!]!) eligFunders[k++] = j;
  }
  eligStart[n] = k;
  const ceiling = new Float64Array(F);
  const floor = new Float64Array(F);
  const share = new Float64Array(F);
  const cost = new Float64Array(F);
  for (let j = 0; j < F; j++) {
    const f = funders[j]!;
    const q = effectiveQuota(f, problem.daysLeftInMonth);
    ceiling[j] = q.ceiling;
    floor[j] = q.floor;
    share[j] = f.maxHighRiskShare;
    cost[j] = f.costOfFunds;
  }
  return {
    problem, n, nFunders: F, amount, apr, highRisk, eligStart, eligFunders, eligClass, nClasses: classLists.length,
    ceiling, floor, share, cost, globalCeiling: problem.globalCeiling ?? Number.POSITIVE_INFINITY,
  };
}

/**
 * Running volumes of a (partial) assignment. Every router adds loans only through `canAdd`, so each constraint
 * that only tightens as loans are added (ceilings, risk share, global ceiling) holds at every step.
 */
export class FundingState {
  readonly volume: Float64Array;
  readonly highRiskVolume: Float64Array;
  total = 0;
  constructor(readonly cp: CompiledProblem) {
    this.volume = new Float64Array(cp.nFunders);
    this.highRiskVolume = new Float64Array(cp.nFunders);
  }

  canAdd(i: number, f: number): boolean {
    const cp = this.cp;
    const a = cp.amount[i]!;
    if (this.volume[f]! + a > cp.ceiling[f]!) return false;
    if (this.total + a > cp.globalCeiling) return false;
    if (cp.highRisk[i] && !highRiskWithin(this.highRiskVolume[f]! + a, this.volume[f]! + a, cp.share[f]!)) return false;
    return true;
  }

  /** Whether loan i can leave funder f without breaking f's risk share (its floor is the caller's business). */
  canRemove(i: number, f: number): boolean {
    const cp = this.cp;
    const a = cp.amount[i]!;
    if (cp.highRisk[i]) return true;
    return highRiskWithin(this.highRiskVolume[f]!, this.volume[f]! - a, cp.share[f]!);
  }

  add(i: number, f: number): void {
    const a = this.cp.amount[i]!;
    this.volume[f] = this.volume[f]! + a;
    if (this.cp.highRisk[i]) this.highRiskVolume[f] = this.highRiskVolume[f]! + a;
    this.total += a;
  }

  remove(i: number, f: number): void {
    const a = this.cp.amount[i]!;
    this.volume[f] = this.volume[f]! - a;
    if (this.cp.highRisk[i]) this.highRiskVolume[f] = this.highRiskVolume[f]! - a;
    this.total -= a;
  }
}

/** The one place the risk-share test is written, so routers and the checker agree to the last bit. */
export function highRiskWithin(highRiskVolume: number, volume: number, share: number): boolean {
  return highRiskVolume <= share * volume;
}
