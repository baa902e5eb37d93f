// Funding through the API on both databases: the seeded funder panel, batch routing of a day's booked loans (every
// assignment recorded on its loan, no funder constraint violated) and online routing of one loan.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_PRODUCTS } from '../../src/loans/products.ts';
import { accepts, checkAssignment, compileProblem, type Funder, type Rating, type RoutingLoan } from '../../src/routing/index.ts';
import { DIALECTS, startTestServer, type TestServer } from './helpers.ts';

const BANDS: Rating[] = ['A', 'B', 'C', 'D', 'E'];
const PRODUCT = DEFAULT_PRODUCTS[0]!;
const TERMS = [3, 6, 12, 24];
const pricedFlow = {
  id: 'priced-loan',
  version: 1,
  inputs: { band: { type: 'string' }, amount: { type: 'integer', min: 1 }, region: { type: 'string', required: false }, province: { type: 'string', required: false } },
  nodes: [{ id: 'done', type: 'outcome', creditLine: 'amount', priceBand: 'band' }],
};

describe.each(DIALECTS)('funding and routing through the API on %s', (dialect) => {
  let t: TestServer;
  let operator: string;
  let analyst: string;
  const booked: RoutingLoan[] = [];

  /** Books a loan on a decision priced at `band` (A-E, or consumer-loan's P1-P5); `region` or `province` as declared. */
  async function book(i: number, band: string, bookDate: string, region?: string, field: 'region' | 'province' = 'region'): Promise<RoutingLoan> {
    const amount = 50_000 + ((i * 7919) % 40) * 50_000;
    const termMonths = TERMS[i % TERMS.length]!;
    const decided = await t.request('POST', '/v1/decisions', { body: { flow: 'priced-loan', application: { band, amount, ...(region ? { [field]: region } : {}) } } });
    expect(decided.status, JSON.stringify(decided.body)).toBe(200);
    const offer = await t.request('POST', '/v1/loans/offers', { body: { decisionId: decided.body.id, amount, termMonths, date: bookDate } });
    expect(offer.status, JSON.stringify(offer.body)).toBe(201);
    const loan = await t.request('POST', `/v1/loans/offers/${offer.body.offerId}/accept`, { body: { date: bookDate } });
    expect(loan.body.state).toBe('booked');
    return { loanId: loan.body.loanId, amount, rating: PRODUCT.ratingByPriceBand[band]!, termMonths, apr: PRODUCT.aprByPriceBand[band]!, region: region ?? 'unknown', product: PRODUCT.fundingCategory };
  }

  beforeAll(async () => {
    t = await startTestServer(dialect, 'funding');
    operator = await t.keyFor('fund-operator', ['operator']);
    analyst = await t.keyFor('fund-analyst', ['analyst']);
    const approver = await t.keyFor('fund-approver', ['approver']);
    expect((await t.request('POST', '/v1/flows', { body: pricedFlow })).status).toBe(201);
    await t.request('POST', '/v1/flows/priced-loan/versions/1/submit');
    await t.request('POST', '/v1/flows/priced-loan/versions/1/approve', { key: approver, body: { comment: 'ok' } });
    expect((await t.request('POST', '/v1/flows/priced-loan/versions/1/activate', { key: approver })).status).toBe(200);
    // Half the applications declare a province (regional banks may fund those), half none (nationwide funders only).
    for (let i = 0; i < 30; i++) booked.push(await book(i, BANDS[i % BANDS.length]!, '2026-03-02', i % 2 ? 'GD' : undefined));
    // Booked the day before and never routed: the next day's batch takes it (consumer-loan's band and province field).
    booked.push(await book(30, 'P1', '2026-03-01', 'GD', 'province'));
  }, 60_000);
  afterAll(async () => t?.close());

  it('seeds the 71 demo funders once, audited', async () => {
    const list = await t.request('GET', '/v1/funders', { key: operator });
    expect(list.status).toBe(200);
    expect(list.body.items).toHaveLength(71);
    expect(list.body.items[0]).toMatchObject({ funderId: 'F01', dailyCeiling: expect.any(Number), costOfFunds: expect.any(Number) });
    const audit = await t.request('GET', '/v1/audit?action=funder.seed');
    expect(audit.body.items).toHaveLength(1);
  });

  it("routes the day's booked loans without violating any funder constraint and records each assignment", async () => {
    expect((await t.request('POST', '/v1/routing/batch', { key: analyst, body: { date: '2026-03-02' } })).status).toBe(403);
    const res = await t.request('POST', '/v1/routing/batch', { key: operator, body: { date: '2026-03-02', timeLimit: 2 } });
    expect(res.status, JSON.stringify(res.body).slice(0, 400)).toBe(200);
    const s = res.body;
    const funderList = (await t.request('GET', '/v1/funders', { key: operator })).body.items as Funder[];
    const regional = new Set(funderList.filter((f) => !f.regions.includes('*')).map((f) => f.funderId));
    expect(s).toMatchObject({ day: '2026-03-02', loans: 31, method: 'mip', skipped: [] });
    expect(s.routed).toBe(s.assignments.length);
    expect(s.routed).toBeGreaterThan(0);
    expect(s.objective).toBeLessThanOrEqual(s.bound * (1 + 1e-9) + 1e-6);
    expect(s.objective).toBeGreaterThanOrEqual(s.greedyObjective - 1e-6);
    expect(typeof s.seconds).toBe('number');
    // 30 loans cannot meet 71 funders' daily floors: each short floor is reported, not thrown.
    expect(s.status).toBe('infeasible');
    expect(s.infeasibleFloors.length).toBeGreaterThan(0);

    const funders = (await t.request('GET', '/v1/funders', { key: operator })).body.items as Funder[];
    const problem = { loans: booked, funders };
    const index = new Map(funders.map((f, k) => [f.funderId, k]));
    const assignedTo = new Map((s.assignments as { loanId: string; funderId: string }[]).map((a) => [a.loanId, a.funderId]));
    const assign = Int32Array.from(booked.map((l) => (assignedTo.has(l.loanId) ? index.get(assignedTo.get(l.loanId)!)! : -1)));
    expect(checkAssignment(compileProblem(problem), assign, false)).toEqual([]);
    // Only loans that declared a province went to a regional bank.
    for (const a of s.assignments as { loanId: string; funderId: string }[]) {
      if (regional.has(a.funderId)) expect(booked.find((l) => l.loanId === a.loanId)!.region).toBe('GD');
    }

    for (const l of booked) {
      const loan = (await t.request('GET', `/v1/loans/${l.loanId}`, { key: operator })).body;
      if (assignedTo.has(l.loanId)) expect(loan).toMatchObject({ state: 'routed', funderId: assignedTo.get(l.loanId) });
      else expect(loan.state).toBe('booked');
    }
    const usage = (await t.request('GET', '/v1/funders/usage?date=2026-03-02', { key: operator })).body;
    expect(usage.total).toBe(booked.filter((l) => assignedTo.has(l.loanId)).reduce((a, l) => a + l.amount, 0));
    const audit = await t.request('GET', '/v1/audit?action=routing.batch');
    expect(audit.body.items).toHaveLength(1);

    // Routed loans are not routed twice.
    const again = await t.request('POST', '/v1/routing/batch', { key: operator, body: { date: '2026-03-02', timeLimit: 2 } });
    expect(again.body.loans).toBe(31 - s.routed);
    expect(again.body.assignments.every((a: { loanId: string }) => !assignedTo.has(a.loanId))).toBe(true);
  });

  it('routes a consumer-loan loan by its grade: price band P2 rates B, the province is its region, the product is cash', async () => {
    const loan = await book(104, 'P2', '2026-03-04', 'SH', 'province');
    expect(loan).toMatchObject({ rating: 'B', region: 'SH', product: 'cash' });
    const res = await t.request('POST', `/v1/loans/${loan.loanId}/route`, { key: operator, body: { date: '2026-03-04' } });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    const funders = (await t.request('GET', '/v1/funders', { key: operator })).body.items as Funder[];
    expect(accepts(funders.find((f) => f.funderId === res.body.funderId)!, loan)).toBe(true);
    const audit = (await t.request('GET', '/v1/audit?action=routing.online')).body.items as { objectId: string; after: { rating: string } }[];
    expect(audit.find((e) => e.objectId === loan.loanId)?.after.rating).toBe('B');
    // Most of the panel takes such a loan (before, rated E with an unknown product and region, 5 of 71 did).
    expect(funders.filter((f) => accepts(f, loan)).length).toBeGreaterThan(10);
  });

  it('routes one loan online against the remaining quotas, and an operator may still choose the funder', async () => {
    const loan = await book(101, 'B', '2026-03-03');
    const res = await t.request('POST', `/v1/loans/${loan.loanId}/route`, { key: operator, body: { date: '2026-03-03' } });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body).toMatchObject({ state: 'routed', routing: { mode: 'online' } });
    const funders = (await t.request('GET', '/v1/funders', { key: operator })).body.items as Funder[];
    const funder = funders.find((f) => f.funderId === res.body.funderId)!;
    expect(accepts(funder, loan)).toBe(true);
    expect(loan.amount).toBeLessThanOrEqual(funder.dailyCeiling);
    const usage = (await t.request('GET', '/v1/funders/usage?date=2026-03-03', { key: operator })).body;
    expect(usage.volume[funder.funderId]).toBe(loan.amount);
    expect((await t.request('POST', `/v1/loans/${loan.loanId}/route`, { key: operator, body: { date: '2026-03-03' } })).status).toBe(409);
    const txs = (await t.request('GET', `/v1/loans/${loan.loanId}/transactions`, { key: operator })).body.items;
    expect(txs.some((x: { kind: string }) => x.kind === 'routed')).toBe(true);

    const manual = await book(102, 'A', '2026-03-03');
    const byHand = await t.request('POST', `/v1/loans/${manual.loanId}/route`, { key: operator, body: { funderId: 'F01', date: '2026-03-03' } });
    expect(byHand.body).toMatchObject({ state: 'routed', funderId: 'F01' });
    expect((await t.request('GET', '/v1/funders/usage?date=2026-03-03', { key: operator })).body.volume.F01 ?? 0).toBeGreaterThanOrEqual(manual.amount);
    const unknown = await book(103, 'A', '2026-03-03');
    const bad = await t.request('POST', `/v1/loans/${unknown.loanId}/route`, { key: operator, body: { funderId: 'NOPE', date: '2026-03-03' } });
    expect(bad.status).toBe(400);
    expect(bad.body.error.details[0].path).toBe('funderId');
  });
});
