// Property: whatever sequence of servicing operations is applied, the ledger reconciles after every step, and an
// operation that is refused leaves the account exactly as it was.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { MingjianError } from '../kernel/errors.ts';
import { parseDay } from './dates.ts';
import {
  approveRelief, autoDeduct, payoffQuote, prepay, reconcileLoan, repay, requestRelief, reverseTransaction, runDay, type LoanAccount,
} from './loan-account.ts';
import { disbursedLoan } from './test-support.ts';

type Op =
  | { op: 'run'; days: number; debit: number | null }
  | { op: 'repay'; amount: number }
  | { op: 'deduct'; share: number }
  | { op: 'prepay'; share: number }
  | { op: 'reverse'; pick: number }
  | { op: 'defer'; ahead: number; months: number }
  | { op: 'restructure'; extra: number }
  | { op: 'waive'; kind: 'fee_waiver' | 'penalty_waiver'; share: number };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 5, arbitrary: fc.record({ op: fc.constant('run' as const), days: fc.integer({ min: 1, max: 45 }), debit: fc.option(fc.integer({ min: 0, max: 60_000 }), { nil: null }) }) },
  { weight: 4, arbitrary: fc.record({ op: fc.constant('repay' as const), amount: fc.integer({ min: 1, max: 50_000 }) }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('deduct' as const), share: fc.double({ min: 0.01, max: 1.1, noNaN: true }) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('prepay' as const), share: fc.double({ min: 0.05, max: 1.2, noNaN: true }) }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('reverse' as const), pick: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('defer' as const), ahead: fc.integer({ min: 0, max: 3 }), months: fc.integer({ min: 1, max: 3 }) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('restructure' as const), extra: fc.integer({ min: 1, max: 12 }) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constantFrom('waive' as const), kind: fc.constantFrom('fee_waiver' as const, 'penalty_waiver' as const), share: fc.double({ min: 0.1, max: 1, noNaN: true }) }) },
);

function apply(acc: LoanAccount, o: Op, day: number, n: number): number {
  switch (o.op) {
    case 'run':
      runDay(acc, day + o.days, o.debit === null ? {} : { debitAvailable: o.debit });
      return day + o.days;
    case 'repay':
      repay(acc, o.amount, day);
      return day;
    case 'deduct': {
      const due = acc.balances.penalty_due + acc.balances.fee_due + acc.balances.interest_due + acc.balances.principal_due;
      autoDeduct(acc, Math.max(1, Math.round(due * o.share)), day);
      return day;
    }
    case 'prepay': {
      const q = payoffQuote(acc, day);
      prepay(acc, Math.max(1, Math.round(q.total * o.share)), day);
      return day;
    }
    case 'reverse': {
      // Mostly reversible kinds, sometimes anything (which must be refused cleanly).
      const reversible = ['repayment', 'auto_deduction', 'prepayment', 'waiver', 'penalty_accrued', 'deferral', 'restructure', 'charge_off'];
      const candidates = acc.transactions.filter((t) => !t.reversedBy && (o.pick % 5 === 0 || reversible.includes(t.kind)));
      const tx = candidates[o.pick % Math.max(1, candidates.length)];
      if (tx) reverseTransaction(acc, tx.txId, day, 'ops', 'test');
      return day;
    }
    case 'defer': {
      const line = acc.lines[acc.billed + o.ahead];
      requestRelief(acc, { requestId: `R${n}`, kind: 'deferral', requestedBy: 'maker', reason: 't', params: { seq: line?.seq ?? 999, months: o.months } }, day);
      approveRelief(acc, `R${n}`, 'checker', day);
      return day;
    }
    case 'restructure': {
      const left = acc.lines.length - acc.billed;
      requestRelief(acc, { requestId: `R${n}`, kind: 'restructure', requestedBy: 'maker', reason: 't', params: { termMonths: left + o.extra } }, day);
      approveRelief(acc, `R${n}`, 'checker', day);
      return day;
    }
    case 'waive': {
      const due = o.kind === 'fee_waiver' ? acc.balances.fee_due : acc.balances.penalty_due;
      if (due === 0) return day;
      requestRelief(acc, { requestId: `R${n}`, kind: o.kind, requestedBy: 'maker', reason: 't', params: { amount: Math.max(1, Math.floor(due * o.share)) } }, day);
      approveRelief(acc, `R${n}`, 'checker', day);
      return day;
    }
  }
}

describe('ledger reconciliation under random servicing', () => {
  it('reconciles after every operation; refused operations change nothing', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 10_000, max: 2_000_000 }),
        fc.integer({ min: 1, max: 12 }),
        fc.constantFrom('annuity' as const, 'equal-principal' as const),
        fc.constantFrom(0, 0, 250, 800),
        fc.constantFrom(60, 120, 180),
        fc.array(opArb, { minLength: 1, maxLength: 40 }),
        (principal, termMonths, method, monthlyFee, chargeOffDpd, ops) => {
          const acc = disbursedLoan({ principal, termMonths, method, monthlyFee, apr: 0.2, terms: { chargeOffDpd, prepaymentFeeRate: 0.01 } });
          let day = parseDay('2026-01-15');
          let collected = 0;
          ops.forEach((o, n) => {
            const before = JSON.stringify(acc);
            try {
              day = apply(acc, o, day, n);
            } catch (err) {
              if (!(err instanceof MingjianError) || err.code === 'INTERNAL') throw err;
              expect(JSON.stringify(acc)).toBe(before);
            }
            expect(reconcileLoan(acc)).toEqual([]);
            collected = acc.transactions.reduce((s, t) => s + t.entries.filter((e) => e.account === 'collections').reduce((a, e) => a + e.amount, 0), 0);
            expect(acc.balances.collections).toBe(collected);
            if (acc.state === 'repaid') expect(acc.balances.principal_not_due + acc.balances.principal_due).toBe(0);
          });
        },
      ),
      { numRuns: 250 },
    );
  });
});
