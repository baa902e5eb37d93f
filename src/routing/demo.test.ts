import { describe, expect, it } from 'vitest';
import { demoFunders, demoLoans } from './demo.ts';
import { parseFundersJson } from './io-format.ts';

describe('demo data', () => {
  it('has 71 valid funders and deterministic loan batches', () => {
    const funders = demoFunders({ seed: 1, batchLoans: 1000 });
    expect(funders).toHaveLength(71);
    expect(parseFundersJson(JSON.stringify(funders))).toHaveLength(71);
    for (const f of funders) expect(f.dailyFloor).toBeLessThanOrEqual(f.dailyCeiling);
    expect(demoLoans({ seed: 9, count: 50 })).toEqual(demoLoans({ seed: 9, count: 50 }));
    expect(demoLoans({ seed: 9, count: 50 })).not.toEqual(demoLoans({ seed: 10, count: 50 }));
    for (const l of demoLoans({ seed: 9, count: 500 })) expect(Number.isSafeInteger(l.amount) && l.amount > 0).toBe(true);
  });
});
