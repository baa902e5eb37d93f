import { describe, expect, it } from 'vitest';
import { parseDay } from './dates.ts';
import { acceptOffer, makeOffer, type ApprovedDecision, type LoanProduct } from './offer.ts';

const d = parseDay;
const product: LoanProduct = {
  productId: 'p', currency: 'CNY', terms: [6, 12], minAmount: 100_000, maxAmount: 10_000_000, method: 'equal-principal',
  originationFeeRate: 0.015, monthlyFeeRate: 0.001, validityDays: 3,
};
const decision: ApprovedDecision = { applicationId: 'A9', outcome: 'approve', creditLine: 500_000, currency: 'CNY', apr: 0.18 };

describe('makeOffer', () => {
  it('prices an offer within the credit line', () => {
    // 300000 x 1.5% = 4500 origination; 300000 x 0.1% = 300 per instalment; 6 x 300 fees.
    const o = makeOffer('O1', decision, { amount: 300_000, termMonths: 6 }, product, d('2026-04-01'));
    expect(o).toMatchObject({ amount: 300_000, originationFee: 4_500, monthlyFee: 300, netDisbursement: 295_500, apr: 0.18, expiresDay: d('2026-04-04'), status: 'open' });
    expect(o.schedule).toHaveLength(6);
    expect(o.schedule.reduce((s, l) => s + l.principal, 0)).toBe(300_000);
    expect(o.totalRepayable).toBe(300_000 + o.schedule.reduce((s, l) => s + l.interest, 0) + 1_800);
  });

  it('refuses amounts above the credit line and terms the product does not offer, naming the fields', () => {
    expect(() => makeOffer('O1', decision, { amount: 500_001, termMonths: 9 }, product, d('2026-04-01'))).toThrowError(expect.objectContaining({
      code: 'VALIDATION', details: [expect.objectContaining({ path: 'request.amount' }), expect.objectContaining({ path: 'request.termMonths' })],
    }));
  });

  it('makes no offer on a declined decision', () => {
    expect(() => makeOffer('O1', { ...decision, outcome: 'decline' }, { amount: 200_000, termMonths: 6 }, product, d('2026-04-01'))).toThrowError(expect.objectContaining({ code: 'CONFLICT' }));
  });

  it('can be accepted up to its expiry day and not after', () => {
    const late = makeOffer('O1', decision, { amount: 200_000, termMonths: 6 }, product, d('2026-04-01'));
    expect(() => acceptOffer(late, 'L1', d('2026-04-05'))).toThrowError(expect.objectContaining({ code: 'CONFLICT' }));
    const onTime = makeOffer('O2', decision, { amount: 200_000, termMonths: 6 }, product, d('2026-04-01'));
    const acc = acceptOffer(onTime, 'L2', d('2026-04-04'));
    expect([acc.state, acc.principal, acc.originationFee, acc.monthlyFee, onTime.status, onTime.loanId]).toEqual(['booked', 200_000, 3_000, 200, 'accepted', 'L2']);
  });
});
