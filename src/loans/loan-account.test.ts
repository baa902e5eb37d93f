import { describe, expect, it } from 'vitest';
import { parseDay, formatDay } from './dates.ts';
import { bucketOf } from './delinquency.ts';
import { defaultEarlyWarningRules, evaluateEarlyWarning } from './early-warning.ts';
import {
  approveRelief, loanStatus, payoffQuote, prepay, reconcileLoan, rejectRelief, repay, requestRelief, reverseTransaction, runDay,
  type LoanAccount, type ServicingEvent,
} from './loan-account.ts';
import { acceptOffer, makeOffer, type LoanProduct } from './offer.ts';
import { disbursedLoan } from './test-support.ts';

const d = parseDay;

function runTo(acc: LoanAccount, iso: string): ServicingEvent[] {
  return runDay(acc, d(iso)).events;
}

const product: LoanProduct = {
  productId: 'cash-3', currency: 'CNY', terms: [3, 6, 12], minAmount: 50_000, maxAmount: 5_000_000, method: 'annuity',
  originationFeeRate: 0.01, monthlyFeeRate: 0, validityDays: 7, servicing: { penaltyApr: 0.18, chargeOffDpd: 180 },
};

describe('loan life cycle', () => {
  it('approve -> offer -> accept -> route -> disburse -> part payment -> deferral -> missed instalment -> bucket and alert', () => {
    const offer = makeOffer('O1', { applicationId: 'A1', outcome: 'approve', creditLine: 200_000, currency: 'CNY', apr: 0.12 }, { amount: 100_000, termMonths: 3 }, product, d('2026-01-10'));
    // Origination fee 1% of 100000 = 1000, paid out 99000; schedule as worked in schedule.test.ts: 34002, 34002, 34003.
    expect(offer).toMatchObject({ originationFee: 1_000, netDisbursement: 99_000, totalRepayable: 102_007, expiresDay: d('2026-01-17') });
    const acc = acceptOffer(offer, 'L1', d('2026-01-12'), product.servicing);
    expect(acc.state).toBe('booked');
    expect(() => acceptOffer(offer, 'L2', d('2026-01-12'))).toThrowError(expect.objectContaining({ code: 'CONFLICT' }));
    expect(acc.balances.commitment).toBe(100_000);

    const { routeLoan, disburseLoan } = loanOps;
    routeLoan(acc, 'F7', d('2026-01-14'));
    expect(acc.balances.funder_commitment).toBe(100_000);
    disburseLoan(acc, d('2026-01-15'));
    expect(acc.state).toBe('disbursed');
    expect(acc.balances).toMatchObject({ commitment: 0, commitment_offset: 0, funder_commitment: 0, principal_not_due: 100_000, disbursement_clearing: -99_000, fee_income: -1_000 });

    runTo(acc, '2026-02-14');
    expect(acc.state).toBe('current');
    expect(acc.balances.principal_due).toBe(0);
    // Pays 200.00 of the 340.02 instalment on its due day: interest 1000 first, then 19000 of principal.
    const paid = repay(acc, 20_000, d('2026-02-15'));
    expect(paid.posted.map((t) => t.kind)).toEqual(['billed', 'repayment']);
    expect(loanStatus(acc).due).toEqual({ penalty: 0, fee: 0, interest: 0, principal: 14_002, total: 14_002 });
    expect(paid.events).toContainEqual(expect.objectContaining({ type: 'payment', partial: true, partialStreak: 1 }));

    // Deferral of instalment 2 by one month: requested by alice, approved by bob.
    const req = requestRelief(acc, { requestId: 'R1', kind: 'deferral', requestedBy: 'alice', reason: 'job loss', params: { seq: 2, months: 1 } }, d('2026-02-15'));
    expect(req.status).toBe('pending');
    expect(() => approveRelief(acc, 'R1', 'alice', d('2026-02-15'))).toThrowError(expect.objectContaining({ code: 'FORBIDDEN' }));
    approveRelief(acc, 'R1', 'bob', d('2026-02-15'));
    expect(acc.lines.map((l) => formatDay(l.due))).toEqual(['2026-02-15', '2026-04-15', '2026-05-15']);
    expect(acc.audit.map((a) => [a.action, a.actor])).toEqual([['relief_requested', 'alice'], ['relief_approved', 'bob']]);

    // The rest of instalment 1 is missed: the day after its due day it is 1 DPD.
    const events = runTo(acc, '2026-02-16');
    expect(acc.state).toBe('delinquent');
    expect(acc.dpd).toBe(1);
    expect(bucketOf(acc.dpd)).toBe('1-30');
    expect(events).toContainEqual({ type: 'instalment_missed', loanId: 'L1', day: d('2026-02-16'), seq: 1, unpaid: 14_002 });
    const alerts = evaluateEarlyWarning(events, defaultEarlyWarningRules());
    expect(alerts.map((a) => a.rule).sort()).toEqual(['deterioration', 'missed_instalment']);
    // Penalty day 1: 14002 x 0.18 / 365 = 6.905 -> 6 posted, 0.905 carried.
    expect(acc.balances.penalty_due).toBe(6);

    runTo(acc, '2026-03-17');
    expect([acc.dpd, bucketOf(acc.dpd)]).toEqual([30, '1-30']);
    // 30 days x 6.905095 = 207.15 -> 207 posted in total, the fractions carried day to day.
    expect(acc.balances.penalty_due).toBe(207);
    runTo(acc, '2026-03-18');
    expect([acc.dpd, bucketOf(acc.dpd)]).toEqual([31, '31-60']);
    expect(reconcileLoan(acc)).toEqual([]);
  });
});

import { disburseLoan as disburseLoanFn, routeLoan as routeLoanFn } from './loan-account.ts';
const loanOps = { routeLoan: routeLoanFn, disburseLoan: disburseLoanFn };

describe('repayment allocation', () => {
  it('settles penalty, fee, interest, principal in the default order', () => {
    const acc = disbursedLoan({ monthlyFee: 500 });
    runTo(acc, '2026-03-20'); // instalment 1 (34502 with fee) 33 days overdue, instalment 2 5 days overdue
    const due = loanStatus(acc).due;
    expect(due.penalty).toBeGreaterThan(0);
    const r = repay(acc, due.penalty + 700, d('2026-03-20'));
    expect(r.posted[0]!.memo!.applied).toEqual({ penalty: due.penalty, fee: 700, interest: 0, principal: 0 });
  });

  it('follows a configured order (principal first)', () => {
    const acc = disbursedLoan({ monthlyFee: 500, terms: { allocationOrder: ['principal', 'interest', 'fee', 'penalty'] } });
    runTo(acc, '2026-02-20');
    const r = repay(acc, 33_500, d('2026-02-20'));
    // Instalment 1: principal 33002, interest 1000, fee 500. Principal first takes 33002, interest 498.
    expect(r.posted[0]!.memo!.applied).toEqual({ penalty: 0, fee: 0, interest: 498, principal: 33_002 });
  });

  it('holds what exceeds the amount due as an overpayment', () => {
    const acc = disbursedLoan();
    const r = repay(acc, 40_000, d('2026-02-15'));
    expect(r.posted.find((t) => t.kind === 'repayment')!.memo).toMatchObject({ remainder: 5_998 });
    expect(loanStatus(acc).overpayment).toBe(5_998);
    expect(reconcileLoan(acc)).toEqual([]);
  });

  it('rejects a non-integer amount naming the field', () => {
    const acc = disbursedLoan();
    expect(() => repay(acc, 10.5, d('2026-02-15'))).toThrowError(expect.objectContaining({ code: 'VALIDATION', details: [expect.objectContaining({ path: 'amount' })] }));
  });
});

describe('automatic deduction', () => {
  it('takes what the linked account holds when it is less than the instalment', () => {
    const acc = disbursedLoan();
    const r = runDay(acc, d('2026-02-15'), { debitAvailable: 30_000 });
    const tx = r.posted.find((t) => t.kind === 'auto_deduction')!;
    expect(tx.memo!.applied).toEqual({ penalty: 0, fee: 0, interest: 1_000, principal: 29_000 });
    expect(acc.balances.principal_due).toBe(4_002);
    expect(acc.partialStreak).toBe(1);
    expect(acc.dpd).toBe(0);
  });

  it('records a deduction collected outside the nightly run, never more than is due', async () => {
    const { autoDeduct } = await import('./loan-account.ts');
    const acc = disbursedLoan();
    // Instalment 1 (34002) is billed by the deduction itself on its due day.
    expect(() => autoDeduct(acc, 34_003, d('2026-02-15'))).toThrowError(expect.objectContaining({ code: 'VALIDATION', details: [expect.objectContaining({ path: 'amount' })] }));
    const r = autoDeduct(acc, 10_000, d('2026-02-15'));
    expect(r.posted.map((t) => t.kind)).toEqual(['billed', 'auto_deduction', 'state_change']); // disbursed -> current
    expect(r.events).toContainEqual(expect.objectContaining({ type: 'payment', partial: true, partialStreak: 1 }));
    expect(acc.balances.principal_due).toBe(24_002);
    expect(reconcileLoan(acc)).toEqual([]);
  });

  it('three partial payments in a row raise the streak alert once', () => {
    const acc = disbursedLoan({ termMonths: 6 });
    const events: ServicingEvent[] = [];
    events.push(...runDay(acc, d('2026-02-15'), { debitAvailable: 10_000 }).events);
    events.push(...repay(acc, 1_000, d('2026-02-16')).events);
    events.push(...repay(acc, 1_000, d('2026-02-17')).events);
    events.push(...repay(acc, 1_000, d('2026-02-18')).events);
    const streak = evaluateEarlyWarning(events, defaultEarlyWarningRules(3)).filter((a) => a.rule === 'partial_payment_streak');
    expect(streak).toHaveLength(1);
    expect(streak[0]!.day).toBe(d('2026-02-17'));
  });
});

describe('days past due and buckets', () => {
  it('ages at the bucket boundaries 0/1, 30/31, 60/61, 90/91', () => {
    const acc = disbursedLoan({ termMonths: 1, terms: { chargeOffDpd: 365 } });
    const seen: Record<string, [number, string]> = {};
    for (const iso of ['2026-02-15', '2026-02-16', '2026-03-17', '2026-03-18', '2026-04-16', '2026-04-17', '2026-05-16', '2026-05-17']) {
      runTo(acc, iso);
      seen[iso] = [acc.dpd, bucketOf(acc.dpd)];
    }
    expect(seen).toEqual({
      '2026-02-15': [0, 'current'], '2026-02-16': [1, '1-30'], '2026-03-17': [30, '1-30'], '2026-03-18': [31, '31-60'],
      '2026-04-16': [60, '31-60'], '2026-04-17': [61, '61-90'], '2026-05-16': [90, '61-90'], '2026-05-17': [91, '90+'],
    });
  });

  it('counts from the oldest unpaid instalment once a payment clears the oldest', () => {
    const acc = disbursedLoan();
    runTo(acc, '2026-03-20');
    expect(acc.dpd).toBe(33); // instalment 1 due 15 Feb
    repay(acc, 34_002 + acc.balances.penalty_due, d('2026-03-21'));
    expect(acc.dpd).toBe(6); // instalment 2 due 15 Mar
  });

  it('charges off at the configured DPD, writing off every receivable', () => {
    const acc = disbursedLoan({ terms: { chargeOffDpd: 30 } });
    runTo(acc, '2026-03-16');
    expect(acc.state).toBe('delinquent');
    const before = { ...acc.balances };
    const r = runTo(acc, '2026-03-17');
    expect(acc.state).toBe('charged_off');
    const newPenalty = acc.transactions.filter((t) => t.kind === 'penalty_accrued' && t.day === d('2026-03-17')).reduce((s, t) => s + t.entries[0]!.amount, 0);
    // Everything owed at the start of the day plus the day's penalty is written off.
    const owed = before.principal_not_due + before.principal_due + before.interest_due + before.penalty_due + newPenalty;
    expect(r).toContainEqual(expect.objectContaining({ type: 'charged_off', amount: owed }));
    expect(acc.balances.write_off_expense).toBe(owed);
    expect(acc.balances.principal_not_due + acc.balances.principal_due + acc.balances.interest_due + acc.balances.fee_due + acc.balances.penalty_due).toBe(0);
    expect(reconcileLoan(acc)).toEqual([]);
    expect(() => repay(acc, 100, d('2026-03-18'))).toThrowError(expect.objectContaining({ code: 'CONFLICT' }));
  });
});

describe('prepayment', () => {
  it('partial prepayment re-amortises the rest, worked by hand', () => {
    const acc = disbursedLoan();
    repay(acc, 34_002, d('2026-02-15'));
    runTo(acc, '2026-03-01');
    // Line 2 runs 15 Feb -> 15 Mar (28 days), interest 670; on 1 Mar 14 days have run: 670 x 14 / 28 = 335.
    // 50000 - 335 = 49665 principal prepaid; 66998 - 49665 = 17333 left over the two remaining instalments.
    // New payment 17333 x 0.01 / (1 - 1.01^-2) = 173.33 / 0.0197039 = 8796.71 -> 8797.
    // First new line charges half a month: 17333 x 0.01 x 0.5 = 86.665 -> 87, principal 8797 - 87 = 8710;
    // second: 8623 x 0.01 = 86.23 -> 86, principal the rest 8623.
    const r = prepay(acc, 50_000, d('2026-03-01'));
    expect(r.posted[0]!.memo).toMatchObject({ interestToDate: 335, prepaidPrincipal: 49_665, overpaid: 0, full: false });
    const rest = acc.lines.slice(acc.billed);
    expect(rest.map((l) => [formatDay(l.due), l.principal, l.interest])).toEqual([['2026-03-15', 8_710, 87], ['2026-04-15', 8_623, 86]]);
    expect(reconcileLoan(acc)).toEqual([]);
  });

  it('full prepayment at the payoff quote repays the loan', () => {
    const acc = disbursedLoan({ terms: { prepaymentFeeRate: 0.01 } });
    runTo(acc, '2026-01-25');
    const q = payoffQuote(acc, d('2026-01-25'));
    // 10 of 31 days of line 1 (interest 1000): 1000 x 10 / 31 = 322.58 -> 323; fee 1% of 100000 = 1000.
    expect(q).toEqual({ due: 0, interestToDate: 323, principal: 100_000, prepaymentFee: 1_000, total: 101_323 });
    prepay(acc, q.total, d('2026-01-25'));
    expect(acc.state).toBe('repaid');
    expect(acc.balances.principal_not_due).toBe(0);
    expect(reconcileLoan(acc)).toEqual([]);
    // Reversing the prepayment re-opens the loan on the original schedule.
    const pre = acc.transactions.find((t) => t.kind === 'prepayment')!;
    reverseTransaction(acc, pre.txId, d('2026-01-26'), 'ops', 'bounced');
    expect(acc.state).toBe('current');
    expect(acc.lines).toHaveLength(3);
    expect(acc.balances.principal_not_due).toBe(100_000);
    expect(reconcileLoan(acc)).toEqual([]);
  });

  it('refuses a prepayment that does not exceed what is due', () => {
    const acc = disbursedLoan();
    runTo(acc, '2026-02-15');
    expect(() => prepay(acc, 34_002, d('2026-02-16'))).toThrowError(expect.objectContaining({ code: 'VALIDATION' }));
  });
});

describe('reversal', () => {
  it('reverses a repayment by a counter-entry, once', () => {
    const acc = disbursedLoan();
    const r = repay(acc, 34_002, d('2026-02-15'));
    const tx = r.posted.find((t) => t.kind === 'repayment')!;
    runTo(acc, '2026-02-16');
    expect(acc.state).toBe('current');
    const rev = reverseTransaction(acc, tx.txId, d('2026-02-17'), 'ops', 'chargeback');
    expect(rev.posted[0]!.entries).toEqual(tx.entries.map((e) => ({ account: e.account, amount: -e.amount })));
    expect(acc.state).toBe('delinquent');
    expect(acc.dpd).toBe(2);
    expect(() => reverseTransaction(acc, tx.txId, d('2026-02-17'), 'ops', 'again')).toThrowError(expect.objectContaining({ code: 'CONFLICT' }));
    const bill = acc.transactions.find((t) => t.kind === 'billed')!;
    expect(() => reverseTransaction(acc, bill.txId, d('2026-02-17'), 'ops', 'no')).toThrowError(expect.objectContaining({ code: 'CONFLICT' }));
    expect(() => reverseTransaction(acc, 'nope', d('2026-02-17'), 'ops', 'no')).toThrowError(expect.objectContaining({ code: 'NOT_FOUND' }));
    expect(reconcileLoan(acc)).toEqual([]);
  });

  it('refuses to reverse a penalty accrual already paid', () => {
    const acc = disbursedLoan();
    runTo(acc, '2026-02-20');
    const pen = acc.transactions.find((t) => t.kind === 'penalty_accrued')!;
    repay(acc, 40_000, d('2026-02-20'));
    expect(() => reverseTransaction(acc, pen.txId, d('2026-02-21'), 'ops', 'x')).toThrowError(expect.objectContaining({ code: 'CONFLICT' }));
  });
});

describe('hardship relief', () => {
  it('restructures an overdue loan into a longer plan, capitalising arrears', () => {
    const acc = disbursedLoan();
    runTo(acc, '2026-03-20');
    const b = { ...acc.balances };
    requestRelief(acc, { requestId: 'R1', kind: 'restructure', requestedBy: 'agent', reason: 'illness', params: { termMonths: 6 } }, d('2026-03-20'));
    expect(() => approveRelief(acc, 'R1', 'agent', d('2026-03-20'))).toThrowError(expect.objectContaining({ code: 'FORBIDDEN' }));
    const r = approveRelief(acc, 'R1', 'supervisor', d('2026-03-20'));
    // Line 3 runs 15 Mar -> 15 Apr (31 days), interest 337; 5 days earned: 337 x 5 / 31 = 54.35 -> 54.
    const capitalised = b.principal_due + b.interest_due + 54;
    expect(r.posted[0]!.memo).toMatchObject({ capitalised, interestToDate: 54, newPrincipal: b.principal_not_due + capitalised });
    expect(acc.lines.slice(acc.billed)).toHaveLength(6);
    expect(formatDay(acc.lines[acc.billed]!.due)).toBe('2026-04-15');
    expect(acc.state).toBe('current');
    expect(acc.balances.penalty_due).toBe(b.penalty_due);
    expect(reconcileLoan(acc)).toEqual([]);
  });

  it('waives fees and penalties up to what is due; rejection is audited', () => {
    const acc = disbursedLoan({ monthlyFee: 500 });
    runTo(acc, '2026-02-25');
    expect(() => requestRelief(acc, { requestId: 'W0', kind: 'fee_waiver', requestedBy: 'a', reason: 'x', params: { amount: 501 } }, d('2026-02-25'))).toThrowError(expect.objectContaining({ code: 'VALIDATION' }));
    requestRelief(acc, { requestId: 'W1', kind: 'fee_waiver', requestedBy: 'a', reason: 'x', params: { amount: 500 } }, d('2026-02-25'));
    requestRelief(acc, { requestId: 'W2', kind: 'penalty_waiver', requestedBy: 'a', reason: 'x', params: { amount: acc.balances.penalty_due } }, d('2026-02-25'));
    approveRelief(acc, 'W1', 'b', d('2026-02-25'));
    rejectRelief(acc, 'W2', 'b', d('2026-02-25'), 'not eligible');
    expect(acc.balances.fee_due).toBe(0);
    expect(acc.balances.relief_expense).toBe(500);
    expect(acc.balances.penalty_due).toBeGreaterThan(0);
    expect(() => approveRelief(acc, 'W2', 'c', d('2026-02-25'))).toThrowError(expect.objectContaining({ code: 'CONFLICT' }));
    expect(acc.audit.map((a) => a.action)).toEqual(['relief_requested', 'relief_requested', 'relief_approved', 'relief_rejected']);
  });

  it('only defers instalments not yet due', () => {
    const acc = disbursedLoan();
    runTo(acc, '2026-02-20');
    expect(() => requestRelief(acc, { requestId: 'D1', kind: 'deferral', requestedBy: 'a', reason: 'x', params: { seq: 1, months: 1 } }, d('2026-02-20'))).toThrowError(expect.objectContaining({ code: 'VALIDATION', details: [expect.objectContaining({ path: 'params.seq' })] }));
  });
});

describe('behaviour features', () => {
  it('measure the repayment history', async () => {
    const { behaviourFeatures } = await import('./behaviour.ts');
    const acc = disbursedLoan({ termMonths: 6 });
    // Instalment 17255 (100000 at 1% over 6: 1000 / (1 - 1.01^-6) = 17254.84). Deduction of 5000 on the due day,
    // then it runs 20 days late before a repayment of everything due.
    runDay(acc, d('2026-02-15'), { debitAvailable: 5_000 });
    runTo(acc, '2026-03-07');
    const r = repay(acc, loanStatus(acc).due.total, d('2026-03-07'));
    const f = behaviourFeatures(acc, d('2026-03-07'));
    expect(f).toMatchObject({ monthsOnBook: 1, instalmentsBilled: 1, currentDpd: 0, maxDpd: 20, missedInstalments: 1, payments: 2, partialPayments: 1, partialPaymentShare: 0.5, partialStreak: 0, reversals: 0 });
    // 5000 paid 1000 interest + 4000 principal; the repayment the rest of the 16255 principal: 16255 / 100000.
    expect(f.principalRepaidShare).toBeCloseTo(0.16255, 10);
    reverseTransaction(acc, r.posted.find((t) => t.kind === 'repayment')!.txId, d('2026-03-08'), 'ops', 'bounced');
    const g = behaviourFeatures(acc, d('2026-03-08'));
    expect([g.reversals, g.principalRepaidShare, g.currentDpd]).toEqual([1, 0.04, 21]);
    expect(g.arrearsInInstalments).toBeGreaterThan(0.7);
  });
});
