// The demo portfolio decided at the first start of an empty database, and a flow that needs no enrichment paying
// nothing for it.
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoPortfolio } from '../../src/server/demo-portfolio.ts';
import { startServer } from '../../src/server/server.ts';
import { DIALECTS, startTestServer, type TestServer } from './helpers.ts';
// @ts-expect-error plain JavaScript from the shared folder
import { generateApplications } from '../../../shared/bench/reference-policy/data.mjs';

const EXAMPLE_FLOWS = fileURLToPath(new URL('../../examples/flows', import.meta.url));

describe('demo portfolio generator', () => {
  it('is deterministic for a seed and end time, in time order, with one ring of 8 sharing a card', () => {
    const end = Date.parse('2026-11-28T06:00:00Z');
    const a = demoPortfolio(end);
    expect(demoPortfolio(end)).toEqual(a);
    expect(a.map((x) => x.at)).toEqual([...a.map((x) => x.at)].sort((x, y) => x - y));
    const ring = a.filter((x) => x.ring);
    expect(ring).toHaveLength(8);
    expect(new Set(ring.map((x) => x.application.bankCard)).size).toBe(1);
    expect(new Set(ring.map((x) => x.application.idNumber)).size).toBe(8);
    expect(a.every((x) => x.at > end - 14 * 86_400_000 && x.at < end)).toBe(true);
  });
});

describe.each(DIALECTS)('demo data at first start on %s', (dialect) => {
  let t: TestServer;
  let investigator: string;

  beforeAll(async () => {
    t = await startTestServer(dialect, 'demo', { seedFlowsDir: EXAMPLE_FLOWS, demoData: true });
    investigator = await t.keyFor('ivy', ['investigator']);
  });
  afterAll(async () => t?.close());

  it('decides the portfolio through the decision service: velocity, bureau and graph values, a ring case, review cases', async () => {
    const expected = demoPortfolio(Date.now()).length;
    const all: { id: string; decision: string }[] = [];
    let cursor: string | null = null;
    do {
      const page: { body: { items: { id: string; decision: string }[]; nextCursor: string | null } } = await t.request('GET', `/v1/decisions?flow=consumer-loan&limit=500${cursor ? `&cursor=${cursor}` : ''}`);
      all.push(...page.body.items);
      cursor = page.body.nextCursor;
    } while (cursor);
    expect(all).toHaveLength(expected);
    expect(new Set(all.map((d) => d.decision))).toEqual(new Set(['APPROVE', 'DECLINE', 'REVIEW']));

    const ring = await t.request('GET', '/v1/rings', { key: investigator });
    expect(ring.body.items.length).toBeGreaterThanOrEqual(1);
    const cases = (await t.request('GET', '/v1/cases?limit=1000', { key: investigator })).body.items as { source: string; ringId: string | null; applicationIds: string[] }[];
    const ringCase = cases.find((c) => c.source === 'ring');
    expect(ringCase?.applicationIds).toHaveLength(8);
    expect(cases.filter((c) => c.source === 'review').length).toBe(all.filter((d) => d.decision === 'REVIEW').length);

    // A ring member's record carries what the service computed before deciding it.
    const last = await t.request('GET', `/v1/decisions/${ringCase!.applicationIds.at(-1)}`);
    expect(last.body.application).toMatchObject({ deviceApps1h: expect.any(Number), deviceDistinctIds24h: expect.any(Number), graphClusterSize: 8, bureauReason: 'OK', bureauStatus: expect.stringMatching(/^(ok|no_record)$/) });
    expect(last.body.application.deviceDistinctIds24h).toBeGreaterThanOrEqual(3);

    // An approved demo decision gets an offer from the default product, priced by its band, and books a loan.
    const approved = all.find((d) => d.decision === 'APPROVE')!;
    const decision = (await t.request('GET', `/v1/decisions/${approved.id}`)).body as { creditLine: number; priceBand: string };
    const offer = await t.request('POST', '/v1/loans/offers', { body: { decisionId: approved.id, amount: Math.min(decision.creditLine, 100_000), termMonths: 12 } });
    expect(offer.status, JSON.stringify(offer.body)).toBe(201);
    expect(offer.body.apr).toBe({ P1: 0.099, P2: 0.129, P3: 0.169, P4: 0.219, P5: 0.24 }[decision.priceBand]);
    expect((await t.request('POST', `/v1/loans/offers/${offer.body.offerId}/accept`, { body: {} })).status).toBe(201);
  });

  it('does not seed again on a restart', async () => {
    const before = (await t.request('GET', '/v1/decisions?limit=500')).body.items.length;
    await t.server.close();
    const again = await startServer(t.config);
    try {
      const res = await fetch(`${again.url}/v1/decisions?limit=500`, { headers: { authorization: `Bearer ${t.config.adminKey}` } });
      expect(((await res.json()) as { items: unknown[] }).items).toHaveLength(before);
    } finally {
      await again.close();
    }
  });
});

describe('a flow without enrichment needs', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer('sqlite', 'plain', { seedFlowsDir: EXAMPLE_FLOWS, demoData: false });
  });
  afterAll(async () => t?.close());

  it('is decided without velocity events, graph nodes, source calls or cases', async () => {
    const apps = generateApplications(20, 7) as Record<string, unknown>[];
    for (const application of apps) {
      const res = await t.request('POST', '/v1/decisions', { body: { flow: 'reference-policy', application } });
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      // The record is the application as sent: nothing was added to it.
      expect((await t.request('GET', `/v1/decisions/${res.body.id}?unmask=true`)).body.application).toEqual(application);
    }
    const { db } = t.server.services.store;
    const count = async (table: string) => Number(((await db.selectFrom(table as 'decisions').select((e) => e.fn.countAll().as('n')).executeTakeFirstOrThrow()) as { n: unknown }).n);
    expect(await count('velocity_events')).toBe(0);
    expect(await count('fraud_graph_applications')).toBe(0);
    expect(await count('fraud_cases')).toBe(0);
    expect(await count('decisions')).toBe(apps.length);
  });

  it('adds an application that carries identifiers to the identity graph, though its flow reads no graph variable', async () => {
    const approver = await t.keyFor('ann', ['approver']);
    const flow = { id: 'plain-ids', version: 1, inputs: { phone: { type: 'string', pii: true }, deviceId: { type: 'string' }, amount: { type: 'integer' } }, nodes: [{ id: 'o', type: 'outcome', decision: 'APPROVE' }] };
    expect((await t.request('POST', '/v1/flows', { body: flow })).status).toBe(201);
    await t.request('POST', '/v1/flows/plain-ids/versions/1/submit');
    await t.request('POST', '/v1/flows/plain-ids/versions/1/approve', { key: approver, body: { comment: 'ok' } });
    expect((await t.request('POST', '/v1/flows/plain-ids/versions/1/activate', { key: approver })).status).toBe(200);
    const decided = await t.request('POST', '/v1/decisions', { body: { flow: 'plain-ids', application: { phone: '13800001111', deviceId: 'dev-plain', amount: 100 } } });
    expect(decided.status).toBe(200);
    await t.server.services.decisions.drain();
    expect(t.server.services.fraud!.hasApplication(decided.body.id)).toBe(true);
    expect(t.server.services.fraud!.variablesFor({ phone: null, deviceId: 'dev-plain', ip: null, idNumber: null, bankCard: null, email: null, address: null, employer: null, contactPhones: null }).shared.deviceId).toBe(1);
  });
});
