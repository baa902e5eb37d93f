// The loan life cycle through the API on both databases: approve -> offer -> accept -> route -> disburse -> pay
// part of an instalment -> defer one instalment after approval -> miss one -> DPD bucket and early-warning case.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUCKETS, bucketOf } from '../../src/loans/delinquency.ts';
import { dpdRangeOf } from '../../src/loans/loan-service.ts';
import { DIALECTS, goodApplication, startTestServer, type TestServer } from './helpers.ts';

describe.each(DIALECTS)('loans through the API on %s', (dialect) => {
  let t: TestServer;
  let approver: string;
  let operator: string;

  beforeAll(async () => {
    t = await startTestServer(dialect, 'loans');
    approver = await t.keyFor('loan-approver', ['approver']);
    operator = await t.keyFor('loan-operator', ['operator']);
  });
  afterAll(async () => t?.close());

  it('runs the life cycle with maker-checker relief, DPD bucket and early-warning case', async () => {
    const decided = await t.request('POST', '/v1/decisions', { body: { flow: 'small-loan', application: goodApplication({ monthlyIncome: 100_000, requestedAmount: 500_000 }) } });
    expect(decided.status).toBe(200);
    expect(decided.body).toMatchObject({ decision: 'APPROVE', creditLine: 500_000 });

    const tooMuch = await t.request('POST', '/v1/loans/offers', { body: { decisionId: decided.body.id, amount: 500_001, termMonths: 3 } });
    expect(tooMuch.status).toBe(400);
    expect(tooMuch.body.error.details[0].path).toBe('request.amount');

    // No price band: the product's default APR 24%, r = 0.02. Payment 300000 x 0.02 / (1 - 1.02^-3)
    // = 6000 / 0.0576773 = 104026.4 -> 104026; line 1 interest 6000, principal 98026. Origination 1% = 3000.
    const offer = await t.request('POST', '/v1/loans/offers', { body: { decisionId: decided.body.id, amount: 300_000, termMonths: 3, date: '2026-01-10' } });
    expect(offer.status).toBe(201);
    expect(offer.body).toMatchObject({ amount: 300_000, apr: 0.24, originationFee: 3_000, netDisbursement: 297_000, status: 'open' });
    expect(offer.body.schedule[0]).toMatchObject({ principal: 98_026, interest: 6_000 });

    const booked = await t.request('POST', `/v1/loans/offers/${offer.body.offerId}/accept`, { body: { date: '2026-01-12' } });
    expect(booked.status).toBe(201);
    expect(booked.body.state).toBe('booked');
    const loanId = booked.body.loanId as string;
    expect((await t.request('POST', `/v1/loans/offers/${offer.body.offerId}/accept`, { body: { date: '2026-01-12' } })).status).toBe(409);
    // A second offer on the same decision can be made but not accepted: the credit line is drawn once.
    const second = await t.request('POST', '/v1/loans/offers', { body: { decisionId: decided.body.id, amount: 100_000, termMonths: 6, date: '2026-01-10' } });
    expect(second.status).toBe(201);
    const twice = await t.request('POST', `/v1/loans/offers/${second.body.offerId}/accept`, { body: { date: '2026-01-12' } });
    expect(twice.status).toBe(409);
    expect(twice.body.error.message).toMatch(/already accepted/);

    expect((await t.request('POST', `/v1/loans/${loanId}/route`, { body: { funderId: 'F07', date: '2026-01-14' } })).body).toMatchObject({ state: 'routed', funderId: 'F07' });
    const disbursed = await t.request('POST', `/v1/loans/${loanId}/disburse`, { body: { date: '2026-01-15' } });
    expect(disbursed.body).toMatchObject({ state: 'disbursed', disbursedOn: '2026-01-15', principalOutstanding: 300_000 });
    expect(disbursed.body.schedule.map((l: { due: string }) => l.due)).toEqual(['2026-02-15', '2026-03-15', '2026-04-15']);
    // The behaviour score (0-100, 100 = lowest risk) of a loan nothing has gone wrong with yet.
    expect(disbursed.body.behaviourScore).toMatchObject({ rating: expect.any(Number), flow: 'loan-behaviour-score-default' });
    const ratingAtDisbursement = disbursed.body.behaviourScore.rating as number;

    const run1 = await t.request('POST', '/v1/loans/servicing/run', { key: operator, body: { date: '2026-02-14' } });
    expect(run1.status).toBe(200);
    expect(run1.body).toMatchObject({ processed: 1, buckets: { current: 1 } });

    // Part of instalment 1 on its due day: interest 6000 first, then 14000 of principal; 84026 principal left due.
    const paid = await t.request('POST', `/v1/loans/${loanId}/repayments`, { key: operator, body: { amount: 20_000, date: '2026-02-15' } });
    expect(paid.status).toBe(200);
    expect(paid.body.loan.due).toEqual({ penalty: 0, fee: 0, interest: 0, principal: 84_026, total: 84_026 });

    const relief = await t.request('POST', `/v1/loans/${loanId}/relief`, { key: operator, body: { kind: 'deferral', params: { seq: 2, months: 1 }, reason: 'hospital stay', date: '2026-02-15' } });
    expect(relief.status).toBe(201);
    expect(relief.body).toMatchObject({ status: 'pending', requestedBy: expect.any(String) });
    // The operator may not approve (role), and an approver who is also the requester could not either.
    expect((await t.request('POST', `/v1/loans/${loanId}/relief/${relief.body.requestId}/approve`, { key: operator, body: { date: '2026-02-15' } })).status).toBe(403);
    const approved = await t.request('POST', `/v1/loans/${loanId}/relief/${relief.body.requestId}/approve`, { key: approver, body: { date: '2026-02-15' } });
    expect(approved.status).toBe(200);
    expect(approved.body.request.status).toBe('approved');
    expect(approved.body.loan.schedule.map((l: { due: string }) => l.due)).toEqual(['2026-02-15', '2026-04-15', '2026-05-15']);

    // The rest of instalment 1 is missed.
    const run2 = await t.request('POST', '/v1/loans/servicing/run', { key: operator, body: { date: '2026-02-16' } });
    expect(run2.body).toMatchObject({ processed: 1, buckets: { '1-30': 1 }, casesOpened: 2 });
    const loan = await t.request('GET', `/v1/loans/${loanId}`);
    expect(loan.body).toMatchObject({ state: 'delinquent', dpd: 1, bucket: '1-30', reconciled: true });
    expect(loan.body.cases.map((c: { rule: string }) => c.rule).sort()).toEqual(['deterioration', 'missed_instalment']);
    expect(loan.body.cases.find((c: { rule: string }) => c.rule === 'missed_instalment')).toMatchObject({ status: 'open', date: '2026-02-16', detail: { seq: 1, unpaid: 84_026 } });
    // Refreshed from the repayment history: the miss and the arrears cost points, the current DPD most.
    expect(loan.body.behaviourScore.rating).toBeLessThan(ratingAtDisbursement);
    expect(loan.body.behaviourScore.reasons[0]).toBe('BH01');

    const txs = await t.request('GET', `/v1/loans/${loanId}/transactions`);
    expect(txs.body.items.map((x: { kind: string }) => x.kind)).toEqual(['booked', 'routed', 'disbursed', 'state_change', 'billed', 'repayment', 'deferral', 'penalty_accrued', 'state_change']);
    for (const x of txs.body.items) expect(x.entries.reduce((s: number, e: { amount: number }) => s + e.amount, 0)).toBe(0);

    const audit = await t.request('GET', '/v1/audit?objectKind=loan&limit=100');
    expect(audit.body.items.map((e: { action: string }) => e.action)).toEqual(expect.arrayContaining(['loan.book', 'loan.route', 'loan.disburse', 'loan.relief-request', 'loan.relief-approve']));
  });

  it('refuses relief approved by its own requester', async () => {
    const decided = await t.request('POST', '/v1/decisions', { body: { flow: 'small-loan', application: goodApplication({ monthlyIncome: 100_000, requestedAmount: 200_000 }) } });
    const offer = await t.request('POST', '/v1/loans/offers', { body: { decisionId: decided.body.id, amount: 100_000, termMonths: 6, date: '2026-03-01' } });
    const loanId = (await t.request('POST', `/v1/loans/offers/${offer.body.offerId}/accept`, { body: { date: '2026-03-01' } })).body.loanId;
    await t.request('POST', `/v1/loans/${loanId}/route`, { body: { funderId: 'F01', date: '2026-03-01' } });
    await t.request('POST', `/v1/loans/${loanId}/disburse`, { body: { date: '2026-03-02' } });
    const req = await t.request('POST', `/v1/loans/${loanId}/relief`, { body: { kind: 'restructure', params: { termMonths: 12 }, reason: 'income drop', date: '2026-03-03' } });
    const self = await t.request('POST', `/v1/loans/${loanId}/relief/${req.body.requestId}/approve`, { body: { date: '2026-03-03' } });
    expect(self.status).toBe(403);
    expect(self.body.error.message).toMatch(/someone other than its requester/);
    const ok = await t.request('POST', `/v1/loans/${loanId}/relief/${req.body.requestId}/approve`, { key: approver, body: { date: '2026-03-03' } });
    expect(ok.status).toBe(200);
    expect(ok.body.loan.schedule.filter((l: { billed: boolean }) => !l.billed)).toHaveLength(12);

    // Full prepayment at the quote repays the loan; reversing it (a bounced transfer) re-opens it.
    const quote = await t.request('GET', `/v1/loans/${loanId}/payoff?date=2026-03-20`);
    // The restructure on 3 Mar capitalised one day of interest: 100000 x 0.02 x 1 / 31 (2 Mar -> 2 Apr) = 64.5 -> 65.
    expect(quote.body).toMatchObject({ date: '2026-03-20', due: 0, principal: 100_065 });
    const pre = await t.request('POST', `/v1/loans/${loanId}/prepayments`, { key: operator, body: { amount: quote.body.total, date: '2026-03-20' } });
    expect(pre.status).toBe(200);
    expect(pre.body.loan).toMatchObject({ state: 'repaid', principalOutstanding: 0, reconciled: true });
    const rev = await t.request('POST', `/v1/loans/${loanId}/reversals`, { key: operator, body: { txId: pre.body.transactions[0], reason: 'transfer bounced', date: '2026-03-21' } });
    expect(rev.status).toBe(200);
    expect(rev.body.loan).toMatchObject({ state: 'current', principalOutstanding: 100_065, reconciled: true });
    const again = await t.request('POST', `/v1/loans/${loanId}/reversals`, { key: operator, body: { txId: pre.body.transactions[0], reason: 'twice', date: '2026-03-21' } });
    expect(again.status).toBe(409);

    const bad = await t.request('POST', `/v1/loans/${loanId}/repayments`, { body: { amount: -5 } });
    expect(bad.status).toBe(400);
    expect((await t.request('GET', '/v1/loans/loan_missing')).status).toBe(404);
  });

  it('opens cases from an analyst-written early-warning flow once it is active', async () => {
    const flow = {
      id: 'servicing-early-warning', version: 1,
      inputs: { eventType: { type: 'string' }, unpaid: { type: 'integer', required: false, default: 0 }, behaviourRating: { type: 'number', required: false, default: 100 } },
      nodes: [
        { id: 'r', type: 'ruleset', hitPolicy: 'all', rules: [
          { id: 'big-miss', when: 'eventType == "instalment_missed" && unpaid >= 50000', action: 'review', reason: 'EW01', message: 'Large instalment missed' },
          // The loan's behaviour rating after the event is an input like the event's own fields.
          { id: 'weak-behaviour', when: 'eventType == "instalment_missed" && behaviourRating < 60', action: 'review', reason: 'EW02', message: 'Behaviour rating below 60' },
        ], next: 'done' },
        { id: 'done', type: 'outcome' },
      ],
    };
    expect((await t.request('POST', '/v1/flows', { body: flow })).status).toBe(201);
    await t.request('POST', '/v1/flows/servicing-early-warning/versions/1/submit', { body: { comment: 'ew rules' } });
    expect((await t.request('POST', '/v1/flows/servicing-early-warning/versions/1/approve', { key: approver, body: { comment: 'ok' } })).status).toBe(200);
    expect((await t.request('POST', '/v1/flows/servicing-early-warning/versions/1/activate', { key: approver, body: { comment: 'go' } })).status).toBe(200);

    const decided = await t.request('POST', '/v1/decisions', { body: { flow: 'small-loan', application: goodApplication({ monthlyIncome: 100_000, requestedAmount: 400_000 }) } });
    expect(decided.body.decision).toBe('APPROVE');
    const offer = await t.request('POST', '/v1/loans/offers', { body: { decisionId: decided.body.id, amount: 300_000, termMonths: 3, date: '2026-05-01' } });
    const loanId = (await t.request('POST', `/v1/loans/offers/${offer.body.offerId}/accept`, { body: { date: '2026-05-01' } })).body.loanId;
    await t.request('POST', `/v1/loans/${loanId}/route`, { body: { funderId: 'F02', date: '2026-05-01' } });
    await t.request('POST', `/v1/loans/${loanId}/disburse`, { body: { date: '2026-05-01' } });
    // The linked account holds 30000 on the due day: a partial automatic deduction (interest 6000, principal 24000).
    const run = await t.request('POST', '/v1/loans/servicing/run', { body: { date: '2026-06-01', debits: { [loanId]: 30_000 } } });
    expect(run.status).toBe(200);
    const afterDebit = await t.request('GET', `/v1/loans/${loanId}`);
    expect(afterDebit.body.due).toMatchObject({ interest: 0, principal: 74_026 });
    expect(afterDebit.body.behaviour).toMatchObject({ payments: 1, partialPayments: 1, partialStreak: 1 });
    // A deduction above what is due is refused; 4026 more arrives from the bank the same day.
    expect((await t.request('POST', `/v1/loans/${loanId}/deductions`, { body: { amount: 80_000, date: '2026-06-01' } })).status).toBe(400);
    const more = await t.request('POST', `/v1/loans/${loanId}/deductions`, { body: { amount: 4_026, date: '2026-06-01' } });
    expect(more.body.loan.due.principal).toBe(70_000);
    expect(more.body.loan.behaviour.partialStreak).toBe(2);
    // The rest (70000 of the first instalment) is missed.
    await t.request('POST', '/v1/loans/servicing/run', { body: { date: '2026-06-02' } });
    const loan = await t.request('GET', `/v1/loans/${loanId}`);
    expect(loan.body.cases.map((c: { rule: string }) => c.rule).sort()).toEqual(['deterioration', 'flow:servicing-early-warning', 'missed_instalment']);
    expect(loan.body.cases.find((c: { rule: string }) => c.rule.startsWith('flow:'))).toMatchObject({ message: 'Large instalment missed; Behaviour rating below 60', detail: { reasons: ['EW01', 'EW02'] } });
    expect(loan.body.behaviourScore.rating).toBeLessThan(60);
  });
  it('lists loans newest first, filtered by state, funder and DPD bucket, paged by cursor', async () => {
    // Five loans, booked in this order (ids sort by creation): one left booked, one routed to F61, one disbursed by
    // F61 that pays its first instalment, two disbursed by F62 that miss it. F61 and F62 serve no other test here.
    const book = async () => {
      const decided = await t.request('POST', '/v1/decisions', { body: { flow: 'small-loan', application: goodApplication({ monthlyIncome: 100_000, requestedAmount: 200_000 }) } });
      const offer = await t.request('POST', '/v1/loans/offers', { body: { decisionId: decided.body.id, amount: 100_000, termMonths: 6, date: '2026-07-01' } });
      const booked = await t.request('POST', `/v1/loans/offers/${offer.body.offerId}/accept`, { body: { date: '2026-07-01' } });
      expect(booked.status).toBe(201);
      return booked.body.loanId as string;
    };
    const [booked, routed, paying, missing1, missing2] = [await book(), await book(), await book(), await book(), await book()];
    for (const [loanId, funderId] of [[routed, 'F61'], [paying, 'F61'], [missing1, 'F62'], [missing2, 'F62']] as const) {
      expect((await t.request('POST', `/v1/loans/${loanId}/route`, { body: { funderId, date: '2026-07-01' } })).status).toBe(200);
    }
    for (const loanId of [paying, missing1, missing2]) expect((await t.request('POST', `/v1/loans/${loanId}/disburse`, { body: { date: '2026-07-01' } })).status).toBe(200);
    // First instalments fall due on 1 Aug: the linked account of `paying` covers it; four days later the others are 4 DPD.
    expect((await t.request('POST', '/v1/loans/servicing/run', { body: { date: '2026-08-01', debits: { [paying]: 1_000_000 } } })).status).toBe(200);
    expect((await t.request('POST', '/v1/loans/servicing/run', { body: { date: '2026-08-05' } })).status).toBe(200);

    const list = async (query: string, key?: string) => t.request('GET', `/v1/loans?${query}`, key ? { key } : {});
    const ids = (r: { body: { items: { loanId: string }[] } }) => r.body.items.map((x) => x.loanId);

    const f61 = await list('funderId=F61');
    expect(f61.status).toBe(200);
    expect(ids(f61)).toEqual([paying, routed]);
    expect(f61.body.nextCursor).toBeNull();
    const full = (await t.request('GET', `/v1/loans/${paying}`)).body;
    expect(full).toMatchObject({ state: 'current', dpd: 0 });
    expect(f61.body.items[0]).toEqual({
      loanId: paying, state: 'current', dpd: 0, bucket: 'current', funderId: 'F61', principalOutstanding: full.principalOutstanding, currency: full.currency,
      updatedAt: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T/),
    });
    expect(full.principalOutstanding).toBeLessThan(100_000);
    // Nothing is outstanding before the money goes out (the ledger posts the principal on disbursement).
    expect(f61.body.items[1]).toMatchObject({ loanId: routed, state: 'routed', dpd: 0, principalOutstanding: 0 });

    const late = await list('funderId=F62&bucket=1-30');
    expect(ids(late)).toEqual([missing2, missing1]);
    for (const item of late.body.items) expect(item).toMatchObject({ state: 'delinquent', dpd: 4, bucket: '1-30', funderId: 'F62', principalOutstanding: 100_000 });
    expect(ids(await list('funderId=F61&bucket=1-30'))).toEqual([]);
    expect(ids(await list('funderId=F62&bucket=current'))).toEqual([]);
    expect(ids(await list('state=routed&funderId=F61'))).toEqual([routed]);
    expect(ids(await list('state=delinquent&funderId=F61'))).toEqual([]);

    // Across the whole table (other tests' loans too), each filter keeps exactly what it names.
    const bookedOnly = await list('state=booked&limit=500');
    expect(ids(bookedOnly)).toContain(booked);
    for (const item of bookedOnly.body.items) expect(item).toMatchObject({ state: 'booked', funderId: null });
    const bucket130 = await list('bucket=1-30&limit=500');
    expect(ids(bucket130)).toEqual(expect.arrayContaining([missing1, missing2]));
    for (const item of bucket130.body.items) expect(item.dpd >= 1 && item.dpd <= 30 && item.bucket === '1-30').toBe(true);

    // Paging by cursor walks the same loans as one big page, newest first, each once.
    const all = await list('limit=500');
    expect(all.body.nextCursor).toBeNull();
    expect(all.body.items.length).toBeGreaterThanOrEqual(5);
    const allIds = ids(all);
    expect([...allIds].sort().reverse()).toEqual(allIds);
    expect(allIds.slice(0, 5)).toEqual([missing2, missing1, paying, routed, booked]);
    const walked: string[] = [];
    let cursor: string | null = null;
    for (let pages = 0; pages < 100; pages++) {
      const page: Awaited<ReturnType<typeof list>> = await list(`limit=3${cursor ? `&cursor=${cursor}` : ''}`);
      expect(page.status, JSON.stringify(page.body)).toBe(200);
      expect(page.body.items.length).toBeLessThanOrEqual(3);
      walked.push(...ids(page));
      cursor = page.body.nextCursor;
      if (cursor === null) break;
      expect(cursor).toBe(walked[walked.length - 1]);
    }
    expect(walked).toEqual(allIds);
    const first = await list('funderId=F62&limit=1');
    expect(ids(first)).toEqual([missing2]);
    expect(first.body.nextCursor).toBe(missing2);
    const second = await list(`funderId=F62&limit=1&cursor=${first.body.nextCursor}`);
    expect(ids(second)).toEqual([missing1]);
    expect(second.body.nextCursor).toBeNull();

    // Bad filters are one error each, naming the field; the list needs decisions:read.
    const badState = await list('state=overdue');
    expect(badState.status).toBe(400);
    expect(badState.body.error.details).toEqual([{ path: 'querystring.state', message: expect.any(String) }]);
    const badBucket = await list('bucket=30-60');
    expect(badBucket.status).toBe(400);
    expect(badBucket.body.error.details).toEqual([{ path: 'querystring.bucket', message: expect.any(String) }]);
    expect((await list('limit=0')).body.error.details[0].path).toBe('querystring.limit');
    expect((await list('sort=dpd')).status).toBe(400);
    const service = await t.keyFor('loan-list-service', ['service']);
    const denied = await list('limit=5', service);
    expect(denied.status).toBe(403);
    expect(denied.body.error.message).toMatch(/decisions:read/);
  });

  it('filters a DPD bucket by exactly the DPD range bucketOf gives it', () => {
    for (let dpd = 0; dpd <= 200; dpd++) {
      for (const bucket of BUCKETS) {
        const { minDpd = -Infinity, maxDpd = Infinity } = dpdRangeOf(bucket);
        expect(dpd >= minDpd && dpd <= maxDpd, `dpd ${dpd} in ${bucket}`).toBe(bucketOf(dpd) === bucket);
      }
    }
  });
});
