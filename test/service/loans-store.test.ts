// The loan store on both databases: round trip of an account with its ledger, optimistic locking, the one accepted
// offer per decision.
import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { acceptOffer, makeOffer, parseDay, reconcileLoan, repay, reverseTransaction, routeLoan, disburseLoan, type LoanProduct } from '../../src/loans/index.ts';
import { openStore, type Store } from '../../src/store/database.ts';
import { createLoanStore } from '../../src/store/loans-store.ts';
import { migrateToLatest } from '../../src/store/migrator.ts';
import { databaseUrlFor, dropSchema, DIALECTS } from './helpers.ts';

const product: LoanProduct = { productId: 'p', currency: 'CNY', terms: [3], minAmount: 1, maxAmount: 10_000_000, method: 'annuity', originationFeeRate: 0, monthlyFeeRate: 0, validityDays: 5 };
const d = parseDay;

describe.each(DIALECTS)('loan store on %s', (dialect) => {
  let store: Store;
  let where: ReturnType<typeof databaseUrlFor>;

  beforeAll(async () => {
    where = databaseUrlFor(dialect, 'loanstore');
    store = await openStore(where.url);
    await migrateToLatest(store.db, { schema: store.capabilities.schema });
  });
  afterAll(async () => {
    await store?.close();
    if (dialect === 'postgres') await dropSchema(where.where);
    rmSync(where.dir, { recursive: true, force: true });
  });

  it('stores an account with its ledger, refuses a stale write, and allows one accepted offer per decision', async () => {
    const loans = createLoanStore(store);
    const decision = { applicationId: 'A1', outcome: 'approve', creditLine: 500_000, currency: 'CNY', apr: 0.12 };
    const o1 = makeOffer('O1', decision, { amount: 100_000, termMonths: 3 }, product, d('2026-01-10'));
    const o2 = makeOffer('O2', decision, { amount: 200_000, termMonths: 3 }, product, d('2026-01-10'));
    await loans.insertOffer(o1, 'dec_1');
    await loans.insertOffer(o2, 'dec_1');
    const acc = acceptOffer(o1, 'L1', d('2026-01-11'));
    await loans.commit({ account: acc, expectedVersion: null, newTransactions: acc.transactions, offer: o1 });
    expect(await loans.acceptedSibling('O2')).toBe('O1');
    const acc2 = acceptOffer(o2, 'L2', d('2026-01-11'));
    await expect(loans.commit({ account: acc2, expectedVersion: null, newTransactions: acc2.transactions, offer: o2 })).rejects.toMatchObject({ code: 'CONFLICT' });
    expect(await loans.getAccount('L2')).toBeUndefined();

    const stored = (await loans.getAccount('L1'))!;
    const a = stored.account;
    const n = a.transactions.length;
    routeLoan(a, 'F1', d('2026-01-12'));
    disburseLoan(a, d('2026-01-15'));
    const paid = repay(a, 50_000, d('2026-02-15'));
    reverseTransaction(a, paid.posted.find((t) => t.kind === 'repayment')!.txId, d('2026-02-16'), 'ops', 'bounced');
    await loans.commit({ account: a, expectedVersion: stored.version, newTransactions: a.transactions.slice(n), cases: [{ loanId: 'L1', day: d('2026-02-16'), rule: 'x', severity: 'low', message: 'm', detail: {} }] });
    await expect(loans.commit({ account: a, expectedVersion: stored.version, newTransactions: [] })).rejects.toMatchObject({ code: 'CONFLICT' });

    const back = (await loans.getAccount('L1'))!;
    expect(back.version).toBe(stored.version + 1);
    expect(back.account).toEqual(a);
    expect(reconcileLoan(back.account)).toEqual([]);
    expect(back.account.transactions.find((t) => t.kind === 'repayment')!.reversedBy).toMatch(/^L1:/);
    expect(await loans.listServicedLoanIds()).toEqual(['L1']);
    expect((await loans.listCases('L1')).map((c) => [c.rule, c.status])).toEqual([['x', 'open']]);
  });
});
