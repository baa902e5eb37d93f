import { describe, expect, it } from 'vitest';
import type { Funder, RoutingLoan } from './model.ts';
import { emptyUsage, routeOnline, usageFromBatch } from './online.ts';
import { demoFunders, demoLoans } from './demo.ts';
import { routeBatch } from './route.ts';

const funder = (id: string, over: Partial<Funder>): Funder => ({
  funderId: id, dailyCeiling: 300_000, dailyFloor: 0, terms: [12], minRating: 'E', maxHighRiskShare: 0.5,
  regions: ['*'], products: ['*'], costOfFunds: 0.05, ...over,
});
const loan = (id: string, over: Partial<RoutingLoan> = {}): RoutingLoan => ({
  loanId: id, amount: 100_000, rating: 'B', termMonths: 12, apr: 0.15, region: 'GD', product: 'cash', ...over,
});

describe('routeOnline', () => {
  const funders = [funder('cheap', { costOfFunds: 0.03, dailyCeiling: 150_000 }), funder('dear', { costOfFunds: 0.07 })];

  it('routes to the best margin with room and tracks the remaining quota', () => {
    const u0 = emptyUsage();
    const d1 = routeOnline({ funders }, u0, loan('a'));
    expect(d1).toMatchObject({ routed: true, funderId: 'cheap', margin: 100_000 * 0.12 });
    expect(u0.total).toBe(0);
    const d2 = routeOnline({ funders }, d1.usage, loan('b'));
    expect(d2).toMatchObject({ routed: true, funderId: 'dear' });
    expect(d2.usage.volume).toEqual({ cheap: 100_000, dear: 100_000 });
  });

  it('respects risk share, global ceiling and eligibility, and says why it declines', () => {
    expect(routeOnline({ funders }, emptyUsage(), loan('hr', { rating: 'D' }))).toMatchObject({ routed: false, reason: expect.stringContaining('room') });
    expect(routeOnline({ funders, globalCeiling: 50_000 }, emptyUsage(), loan('x'))).toMatchObject({ routed: false, reason: expect.stringContaining('global') });
    expect(routeOnline({ funders }, emptyUsage(), loan('t', { termMonths: 3 }))).toMatchObject({ routed: false, reason: 'no funder accepts this loan' });
  });

  it('weighs the batch shadow prices: a quota the batch valued highly is kept for later', () => {
    const d = routeOnline({ funders, prices: { cheap: 0.06, dear: 0 } }, emptyUsage(), loan('a'));
    expect(d).toMatchObject({ routed: true, funderId: 'dear' });
  });

  it('continues from a batch result without breaking its quotas', async () => {
    const fs = demoFunders({ seed: 3, batchLoans: 300 });
    const batch = await routeBatch({ loans: demoLoans({ seed: 4, count: 300 }), funders: fs }, { method: 'lp' });
    let usage = usageFromBatch(batch.funders);
    for (const l of demoLoans({ seed: 5, count: 200, idPrefix: 'N' })) {
      const d = routeOnline({ funders: fs, prices: batch.prices }, usage, l);
      usage = d.usage;
    }
    for (const f of fs) expect(usage.volume[f.funderId] ?? 0).toBeLessThanOrEqual(f.dailyCeiling);
    for (const f of fs) expect(usage.highRiskVolume[f.funderId] ?? 0).toBeLessThanOrEqual(f.maxHighRiskShare * (usage.volume[f.funderId] ?? 0));
  });
});
