import { describe, expect, it } from 'vitest';
import { compileProblem, type Funder, type RoutingLoan } from './model.ts';
import { routeGreedy } from './greedy.ts';
import { checkAssignment } from './check.ts';

const funder = (id: string, over: Partial<Funder>): Funder => ({
  funderId: id, dailyCeiling: 1_000_000, dailyFloor: 0, terms: [6, 12], minRating: 'C', maxHighRiskShare: 0,
  regions: ['*'], products: ['*'], costOfFunds: 0.05, ...over,
});
const loan = (id: string, over: Partial<RoutingLoan>): RoutingLoan => ({
  loanId: id, amount: 100_000, rating: 'B', termMonths: 12, apr: 0.15, region: 'GD', product: 'cash', ...over,
});

describe('routeGreedy (serial routing)', () => {
  it('sends each loan, in arrival order, to the cheapest eligible funder with room', () => {
    const funders = [
      funder('dear', { costOfFunds: 0.09 }),
      funder('cheap', { costOfFunds: 0.04, dailyCeiling: 250_000 }),
      funder('gd-only', { costOfFunds: 0.02, regions: ['SH'] }),
    ];
    const loans = [loan('a', {}), loan('b', {}), loan('c', { amount: 60_000 }), loan('d', { amount: 40_000 })];
    const cp = compileProblem({ loans, funders });
    const assign = routeGreedy(cp);
    // a, b fill 'cheap' to 200,000; c (60,000) no longer fits and goes to 'dear'; d (40,000) fits 'cheap' exactly.
    expect(Array.from(assign, (f) => funders[f]!.funderId)).toEqual(['cheap', 'cheap', 'dear', 'cheap']);
    expect(checkAssignment(cp, assign)).toEqual([]);
  });

  it('respects eligibility, the risk share at every step, and the global ceiling', () => {
    const funders = [funder('f', { minRating: 'E', maxHighRiskShare: 0.5 })];
    const loans = [
      loan('hr-first', { rating: 'D' }), // alone it would be 100% high-risk: refused
      loan('low', {}),
      loan('hr-second', { rating: 'E' }), // 100,000 of 200,000 = 50%: accepted
      loan('wrong-term', { termMonths: 3 }),
      loan('over-global', {}),
    ];
    const cp = compileProblem({ loans, funders, globalCeiling: 200_000 });
    expect(Array.from(routeGreedy(cp))).toEqual([-1, 0, 0, -1, -1]);
  });

  it('funds a negative-margin loan when it arrives first: serial routing does not plan', () => {
    const funders = [funder('f', { dailyCeiling: 100_000, costOfFunds: 0.1 })];
    const loans = [loan('thin', { apr: 0.08 }), loan('rich', { apr: 0.2 })];
    const cp = compileProblem({ loans, funders });
    expect(Array.from(routeGreedy(cp))).toEqual([0, -1]);
  });
});
