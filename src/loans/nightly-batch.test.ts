import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { formatDay, parseDay } from './dates.ts';
import { repay, runDay, type LoanAccount } from './loan-account.ts';
import { runNightlyBatch } from './nightly-batch.ts';
import { portfolioFromAccounts, portfolioFromRows, STATE, STATE_CODES, type PortfolioRow } from './portfolio.ts';
import { generatePortfolioRows } from './portfolio-generator.ts';
import { disbursedLoan } from './test-support.ts';

const d = parseDay;

function expectSame(p: ReturnType<typeof portfolioFromAccounts>, accounts: LoanAccount[]) {
  accounts.forEach((a, i) => {
    const got = {
      state: STATE_CODES[p.state[i]!], dpd: p.dpd[i], notDue: p.principalNotDue[i], pDue: p.principalDue[i], iDue: p.interestDue[i],
      fDue: p.feeDue[i], penalty: p.penaltyDue[i], billed: p.billed[i], streak: p.partialStreak[i], carry: p.penaltyCarry[i],
    };
    const b = a.balances;
    expect(got).toEqual({
      state: a.state, dpd: a.dpd, notDue: b.principal_not_due, pDue: b.principal_due, iDue: b.interest_due, fDue: b.fee_due,
      penalty: b.penalty_due, billed: a.billed, streak: a.partialStreak, carry: a.penaltyCarry,
    });
  });
}

describe('runNightlyBatch', () => {
  it('ages a columnar portfolio exactly as runDay ages each loan (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({
          principal: fc.integer({ min: 10_000, max: 3_000_000 }),
          termMonths: fc.integer({ min: 1, max: 12 }),
          method: fc.constantFrom('annuity' as const, 'equal-principal' as const),
          fee: fc.constantFrom(0, 300),
          startOffset: fc.integer({ min: 0, max: 60 }),
          payments: fc.array(fc.tuple(fc.integer({ min: 1, max: 90 }), fc.integer({ min: 1, max: 60_000 })), { maxLength: 4 }),
        }), { minLength: 1, maxLength: 8 }),
        fc.array(fc.array(fc.integer({ min: 0, max: 80_000 }), { minLength: 8, maxLength: 8 }), { minLength: 1, maxLength: 90 }),
        fc.constantFrom(30, 90),
        (loans, debits, chargeOffDpd) => {
          const start = d('2026-01-01');
          const warm = start + 100;
          const accounts = loans.map((l, i) => {
            const disbursed = start + l.startOffset;
            const acc = disbursedLoan({ loanId: `L${i}`, principal: l.principal, termMonths: l.termMonths, method: l.method, monthlyFee: l.fee, apr: 0.22, terms: { chargeOffDpd } }, formatDay(disbursed));
            const pays = [...l.payments].sort((a, b) => a[0] - b[0]);
            for (const [offset, amount] of pays) {
              const day = disbursed + offset;
              if (acc.lastRunDay! < day - 1) runDay(acc, day - 1);
              if (acc.state === 'current' || acc.state === 'delinquent' || acc.state === 'disbursed') repay(acc, amount, day);
            }
            return acc;
          });
          // Bring every loan to the same day before loading the columns.
          const loadDay = warm + 60;
          for (const a of accounts) if (a.lastRunDay! < loadDay) runDay(a, loadDay);
          const p = portfolioFromAccounts(accounts, 'CNY');
          expectSame(p, accounts);
          debits.forEach((row, k) => {
            const day = loadDay + 1 + k;
            accounts.forEach((a, i) => {
              p.debitAvailable[i] = row[i]!;
              runDay(a, day, { debitAvailable: row[i]! });
            });
            const { summary } = runNightlyBatch(p, day);
            expect(summary.reconciled).toBe(true);
            expectSame(p, accounts);
          });
        },
      ),
      { numRuns: 60 },
    );
  });

  it('builds the state of a portfolio file and runs a day, worked by hand', () => {
    // 100000 at 12% over 3 months from 15 Jan: 34002, 34002, 34003 (see schedule.test.ts). Run day 16 Mar:
    // instalments 1 (15 Feb) and 2 (15 Mar) are billed; 1 is paid, 2000 paid towards 2 (interest 670, then
    // principal 1330): due principal 33332 - 1330 = 32002, interest 0; DPD on 15 Mar = 0 -> on 16 Mar = 1.
    const row: PortfolioRow = {
      loanId: 'L1', principal: 100_000, apr: 0.12, termMonths: 3, method: 'annuity', disbursedDay: d('2026-01-15'), monthlyFee: 0,
      penaltyApr: 0.18, paidInstalments: 1, partialPaid: 2_000, penaltyDue: 0, debitAvailable: 0,
    };
    const p = portfolioFromRows([row], d('2026-03-16'), 'CNY');
    expect([p.principalNotDue[0], p.principalDue[0], p.interestDue[0], p.dpd[0], p.state[0]]).toEqual([33_666, 32_002, 0, 0, STATE.current]);
    const { summary } = runNightlyBatch(p, d('2026-03-16'));
    // Penalty: 32002 x 0.18 / 365 = 15.78 -> 15.
    expect(summary).toMatchObject({ processed: 1, penaltyAccrued: 15, accruedInterest: 0, missedInstalments: 1, reconciled: true, buckets: { '1-30': 1 } });
    expect(p.dpd[0]).toBe(1);
    expect(() => runNightlyBatch(p, d('2026-03-16'))).toThrowError(expect.objectContaining({ code: 'CONFLICT' }));
  });

  it('rejects a portfolio row with bad fields, naming them', () => {
    const bad = { ...generatePortfolioRows(1, d('2026-03-16'))[0]!, principal: -5, method: 'balloon' } as unknown as PortfolioRow;
    expect(() => portfolioFromRows([bad], d('2026-03-16'), 'CNY')).toThrowError(expect.objectContaining({
      code: 'VALIDATION', details: expect.arrayContaining([expect.objectContaining({ path: 'loans[0].principal' }), expect.objectContaining({ path: 'loans[0].method' })]),
    }));
  });

  it('runs a generated portfolio and reconciles', () => {
    const day = d('2026-11-28');
    const p = portfolioFromRows(generatePortfolioRows(5_000, day, 3), day, 'CNY');
    const { summary } = runNightlyBatch(p, day, { maxAlerts: 10 });
    expect(summary.reconciled).toBe(true);
    expect(summary.processed).toBeGreaterThan(4_000);
    const inBuckets = Object.values(summary.buckets).reduce((a, b) => a + b, 0);
    expect(inBuckets).toBe(summary.states.current + summary.states.delinquent);
    expect(summary.chargeOffs.count).toBeGreaterThan(0);
  });
});
