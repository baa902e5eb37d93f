import { describe, expect, it } from 'vitest';
import { accepts, compileProblem, effectiveQuota, type Funder } from './model.ts';

const base: Funder = {
  funderId: 'F', dailyCeiling: 1_000_000, dailyFloor: 100_000, terms: [6, 12], minRating: 'C', maxHighRiskShare: 0.2,
  regions: ['GD', 'SH'], products: ['cash'], costOfFunds: 0.05,
};
const loan = { rating: 'C' as const, termMonths: 12, region: 'GD', product: 'cash' };

describe('eligibility', () => {
  it('needs a listed term, a rating no worse than the minimum, and matching region and product', () => {
    expect(accepts(base, loan)).toBe(true);
    expect(accepts(base, { ...loan, rating: 'A' })).toBe(true);
    expect(accepts(base, { ...loan, rating: 'D' })).toBe(false);
    expect(accepts(base, { ...loan, termMonths: 3 })).toBe(false);
    expect(accepts(base, { ...loan, region: 'BJ' })).toBe(false);
    expect(accepts(base, { ...loan, product: 'sme' })).toBe(false);
    expect(accepts({ ...base, regions: ['*'], products: ['*'] }, { ...loan, region: 'BJ', product: 'sme' })).toBe(true);
  });

  it('lists eligible funders cheapest first and merges combinations with the same funders into one class', () => {
    const funders = [{ ...base, funderId: 'dear', costOfFunds: 0.09 }, { ...base, funderId: 'cheap', costOfFunds: 0.03 }];
    const loans = [
      { loanId: 'a', amount: 1, apr: 0.1, ...loan },
      { loanId: 'b', amount: 1, apr: 0.1, ...loan, rating: 'B' as const },
      { loanId: 'c', amount: 1, apr: 0.1, ...loan, region: 'BJ' },
    ];
    const cp = compileProblem({ loans, funders });
    expect(Array.from(cp.eligFunders.subarray(cp.eligStart[0], cp.eligStart[1]))).toEqual([1, 0]);
    expect(cp.eligClass[0]).toBe(cp.eligClass[1]);
    expect(cp.eligStart[3]! - cp.eligStart[2]!).toBe(0);
  });
});

describe('effectiveQuota', () => {
  it('caps today by what is left of the monthly ceiling', () => {
    expect(effectiveQuota({ ...base, monthlyCeiling: 5_000_000, monthToDateVolume: 4_600_000 })).toEqual({ ceiling: 400_000, floor: 100_000 });
    expect(effectiveQuota({ ...base, monthlyCeiling: 5_000_000, monthToDateVolume: 6_000_000 }).ceiling).toBe(0);
  });

  it('raises today\'s floor to keep the monthly floor reachable with the days left', () => {
    // 20,000,000 monthly floor, 14,500,000 funded, 6 days left: the 5 later days can fund 5,000,000, so 500,000 today.
    const f = { ...base, monthlyFloor: 20_000_000, monthToDateVolume: 14_500_000 };
    expect(effectiveQuota(f, 6).floor).toBe(500_000);
    expect(effectiveQuota(f, 10).floor).toBe(100_000);
    expect(effectiveQuota(f).floor).toBe(100_000); // days left unknown: the daily floor only
  });
});
