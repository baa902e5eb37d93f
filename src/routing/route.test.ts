import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { compileProblem, RATINGS, type Funder, type RoutingLoan, type RoutingProblem } from './model.ts';
import { checkAssignment, summarizeAssignment } from './check.ts';
import { routeBatch } from './route.ts';

const REGIONS = ['GD', 'SH', 'BJ'];
const PRODUCTS = ['cash', 'sme'];
const TERMS = [3, 6, 12];

const loanArb = fc.record({
  amount: fc.integer({ min: 1, max: 50 }).map((x) => x * 10000),
  rating: fc.constantFrom(...RATINGS),
  termMonths: fc.constantFrom(...TERMS),
  apr: fc.integer({ min: 60, max: 240 }).map((x) => x / 1000),
  region: fc.constantFrom(...REGIONS),
  product: fc.constantFrom(...PRODUCTS),
});

const funderArb = fc.record({
  dailyCeiling: fc.integer({ min: 0, max: 120 }).map((x) => x * 10000),
  floorPct: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 100 })),
  terms: fc.subarray(TERMS, { minLength: 1 }),
  minRating: fc.constantFrom(...RATINGS),
  maxHighRiskShare: fc.constantFrom(0, 0.1, 0.3, 0.5, 1),
  regions: fc.oneof(fc.constant<string[]>(['*']), fc.subarray(REGIONS, { minLength: 1 })),
  products: fc.oneof(fc.constant<string[]>(['*']), fc.subarray(PRODUCTS, { minLength: 1 })),
  costOfFunds: fc.integer({ min: 30, max: 120 }).map((x) => x / 1000),
});

function problemArb(maxLoans: number, maxFunders: number) {
  return fc.record({
    loans: fc.array(loanArb, { minLength: 1, maxLength: maxLoans }),
    funders: fc.array(funderArb, { minLength: 1, maxLength: maxFunders }),
    global: fc.option(fc.integer({ min: 0, max: 400 }).map((x) => x * 10000), { nil: undefined }),
  }).map(({ loans, funders, global }): RoutingProblem => ({
    loans: loans.map((l, i): RoutingLoan => ({ loanId: `L${i}`, ...l })),
    funders: funders.map(({ floorPct, ...f }, j): Funder => ({
      funderId: `F${j}`, ...f, // Floors up to 100% of the ceiling, some of them unreachable on purpose.
      dailyFloor: Math.floor((f.dailyCeiling * floorPct) / 100 / 10000) * 10000,
    })),
    globalCeiling: global,
  }));
}

/** Exhaustive optimum over every assignment (null when none meets all constraints). */
function bruteForce(p: RoutingProblem): number | null {
  const cp = compileProblem(p);
  const assign = new Int32Array(cp.n).fill(-1);
  let best: number | null = null;
  const visit = (i: number) => {
    if (i === cp.n) {
      if (checkAssignment(cp, assign).length === 0) {
        const o = summarizeAssignment(cp, assign).objective;
        if (best === null || o > best) best = o;
      }
      return;
    }
    assign[i] = -1;
    visit(i + 1);
    for (let k = cp.eligStart[i]!; k < cp.eligStart[i + 1]!; k++) {
      assign[i] = cp.eligFunders[k]!;
      visit(i + 1);
    }
    assign[i] = -1;
  };
  visit(0);
  return best;
}

const tol = (x: number) => 1e-6 * Math.max(1, Math.abs(x));

describe('routeBatch', () => {
  for (const method of ['lp', 'mip', 'greedy'] as const) {
    it(`${method}: the returned assignment never violates a constraint, and never beats its bound`, async () => {
      await fc.assert(fc.asyncProperty(problemArb(30, 6), async (p) => {
        const r = await routeBatch(p, { method, timeLimit: 2 });
        const cp = compileProblem(p);
        // Floors are relaxed only when the result says so, listing each short floor.
        const violations = checkAssignment(cp, r.assign, r.status !== 'infeasible');
        expect(violations).toEqual([]);
        const s = summarizeAssignment(cp, r.assign);
        expect(r.objective).toBeCloseTo(s.objective, 3);
        expect(r.fundedVolume).toBe(s.fundedVolume);
        const short = s.volumeByFunder.flatMap((v, f) => (v < cp.floor[f]! ? [p.funders[f]!.funderId] : []));
        expect(r.infeasibleFloors.map((x) => x.funderId)).toEqual(short);
        if (r.bound !== null) {
          expect(r.objective).toBeLessThanOrEqual(r.bound + tol(r.bound));
          expect(r.gap).toBeGreaterThanOrEqual(0);
        }
      }), { numRuns: method === 'mip' ? 150 : 200 });
    });
  }

  it('mip matches the exhaustive optimum on tiny instances, and the bound covers it', async () => {
    await fc.assert(fc.asyncProperty(problemArb(7, 3), async (p) => {
      const best = bruteForce(p);
      const r = await routeBatch(p, { method: 'mip', timeLimit: 5 });
      if (best === null) {
        // No assignment meets every floor: the result must say so rather than throw.
        expect(r.status).toBe('infeasible');
        expect(r.infeasibleFloors.length).toBeGreaterThan(0);
        return;
      }
      expect(r.status).not.toBe('infeasible');
      expect(r.objective).toBeLessThanOrEqual(best + tol(best));
      expect(r.bound!).toBeGreaterThanOrEqual(best - tol(best));
      if (r.status === 'optimal') expect(r.objective).toBeGreaterThanOrEqual(best - 2e-4 * Math.abs(best) - 1e-6);
    }), { numRuns: 150 });
  });

  it('lp: the aggregated LP\'s dual bound covers the exhaustive optimum', async () => {
    await fc.assert(fc.asyncProperty(problemArb(7, 3), async (p) => {
      const best = bruteForce(p);
      const r = await routeBatch(p, { method: 'lp' });
      if (best !== null && r.status !== 'infeasible') expect(r.bound!).toBeGreaterThanOrEqual(best - tol(best));
    }), { numRuns: 150 });
  });

  it('the random instances cover feasible, optimal and infeasible outcomes', async () => {
    const seen = new Set<string>();
    for (const p of fc.sample(problemArb(30, 6), { numRuns: 120, seed: 7 })) seen.add((await routeBatch(p, { method: 'mip', timeLimit: 2 })).status);
    expect(seen.has('infeasible')).toBe(true);
    expect(seen.has('optimal')).toBe(true);
  });
});
