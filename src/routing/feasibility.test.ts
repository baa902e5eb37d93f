import { describe, expect, it } from 'vitest';
import type { Funder, RoutingLoan } from './model.ts';
import { routeBatch } from './route.ts';

const funder = (id: string, over: Partial<Funder>): Funder => ({
  funderId: id, dailyCeiling: 1_000_000, dailyFloor: 0, terms: [12], minRating: 'E', maxHighRiskShare: 1,
  regions: ['*'], products: ['*'], costOfFunds: 0.05, ...over,
});
const loans: RoutingLoan[] = Array.from({ length: 6 }, (_, i) => ({
  loanId: `L${i}`, amount: 100_000, rating: i < 2 ? 'D' : 'B', termMonths: 12, apr: 0.15, region: 'GD', product: 'cash',
}));

describe('infeasible floors are reported with the constraint that cannot be met', () => {
  for (const method of ['lp', 'mip'] as const) {
    it(`${method}: names the obstacle of each short floor and still routes the batch`, async () => {
      const cases: [Funder[], number | undefined, string, string][] = [
        [[funder('F1', { dailyFloor: 200_000, dailyCeiling: 100_000 })], undefined, 'F1', 'ceiling'],
        [[funder('F1', { dailyFloor: 700_000 })], undefined, 'F1', 'eligibleVolume'],
        // 400,000 low-risk and 200,000 high-risk: with a 10% share at most 444,444 can be assigned.
        [[funder('F1', { dailyFloor: 500_000, maxHighRiskShare: 0.1 })], undefined, 'F1', 'highRiskShare'],
        [[funder('F1', { dailyFloor: 300_000 }), funder('F2', { dailyFloor: 300_000 })], 500_000, '*', 'globalCeiling'],
        // Which of the two is left short is the solver's choice.
        [[funder('F1', { dailyFloor: 400_000 }), funder('F2', { dailyFloor: 400_000 })], undefined, '*', 'competingFloors'],
        // 250,000 is between 2 and 3 whole loans of 100,000 and the ceiling is 250,000.
        [[funder('F1', { dailyFloor: 250_000, dailyCeiling: 250_000 })], undefined, 'F1', 'wholeLoans'],
      ];
      for (const [funders, globalCeiling, shortId, obstacle] of cases) {
        const r = await routeBatch({ loans, funders, globalCeiling }, { method, timeLimit: 5 });
        expect(r.status).toBe('infeasible');
        const short = r.infeasibleFloors.find((f) => shortId === '*' || f.funderId === shortId);
        expect(short, `${obstacle}: ${JSON.stringify(r.infeasibleFloors)}`).toBeDefined();
        expect(short!.obstacle).toBe(obstacle);
        expect(short!.constraint).toBe(`floor[${short!.funderId}]`);
        expect(short!.shortfall).toBe(short!.floor - short!.assigned);
        expect(short!.message).toContain(short!.funderId);
        expect(r.fundedLoans).toBeGreaterThan(0);
      }
    });
  }

  it('a feasible floor that serial routing misses is met by the LP', async () => {
    // Serial routing sends every loan to the cheaper F1 and leaves F2 below its floor.
    const funders = [funder('F1', { costOfFunds: 0.03 }), funder('F2', { dailyFloor: 300_000, costOfFunds: 0.06 })];
    const r = await routeBatch({ loans, funders }, { method: 'lp' });
    expect(r.status).not.toBe('infeasible');
    expect(r.funders[1]!.volume).toBeGreaterThanOrEqual(300_000);
    const g = await routeBatch({ loans, funders }, { method: 'greedy' });
    expect(g.status).toBe('infeasible');
    expect(g.infeasibleFloors[0]!.obstacle).toBe('notPlanned');
  });
});
