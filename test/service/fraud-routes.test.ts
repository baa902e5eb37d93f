// The anti-fraud API end to end on the real service: graph feed, ring detection opening a case, working the case,
// watchlists (JSON and CSV), role checks, and the audit trail.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS, startTestServer, type TestServer } from './helpers.ts';
import { generatePopulation } from '../../src/fraud/population.ts';

describe.each(DIALECTS)('anti-fraud API on %s', (dialect) => {
  let t: TestServer;
  let ivy: string;
  let feeder: string;
  let analyst: string;
  beforeAll(async () => {
    t = await startTestServer(dialect, 'fraud-api');
    ivy = await t.keyFor('ivy', ['investigator']);
    feeder = await t.keyFor('feeder', ['service']);
    analyst = await t.keyFor('ana', ['analyst']);
  });
  afterAll(async () => t?.close());

  it('feeds the graph, detects a ring, opens and confirms its case, and the next application from its device hits the watchlist', async () => {
    const pop = generatePopulation({ n: 250, seed: 8, ringShare: 0.12, days: 60 });
    for (const r of pop.records()) {
      const { applicationId, appliedAt, ...identifiers } = r;
      const res = await t.request('POST', '/v1/graph/applications', { key: feeder, body: { applicationId, appliedAt, identifiers } });
      expect(res.status).toBe(201);
    }
    expect((await t.request('POST', '/v1/rings/detect', { key: analyst, body: {} })).status).toBe(403);
    const det = await t.request('POST', '/v1/rings/detect', { key: ivy, body: {} });
    expect(det.status).toBe(200);
    expect(det.body.rings.length).toBeGreaterThan(0);
    expect(det.body.casesOpened.length).toBeGreaterThan(0);
    const ring = det.body.rings[0];
    expect((await t.request('GET', `/v1/rings/${ring.id}`, { key: ivy })).body.members).toEqual(ring.members);

    const queue = await t.request('GET', '/v1/cases', { key: ivy });
    const c = queue.body.items.find((x: any) => x.ringId === ring.id);
    expect(c).toBeTruthy();
    expect((await t.request('POST', '/v1/watchlists', { key: ivy, body: { name: 'fraud-devices', kind: 'device' } })).status).toBe(201);
    expect((await t.request('POST', `/v1/cases/${c.id}/actions`, { key: ivy, body: { action: 'resolve', disposition: 'confirmed_fraud', summary: 'x' } })).status).toBe(409);
    expect((await t.request('POST', `/v1/cases/${c.id}/actions`, { key: ivy, body: { action: 'start' } })).body.state).toBe('investigating');
    const graph = await t.request('GET', `/v1/graph/${ring.members[0]}?hops=1`, { key: ivy });
    expect(graph.body.applications.length).toBeGreaterThan(1);
    const done = await t.request('POST', `/v1/cases/${c.id}/actions`, { key: ivy, body: { action: 'resolve', disposition: 'confirmed_fraud', summary: 'devices rotated, one card', watchlist: [{ list: 'fraud-devices', applicationId: ring.members[0], role: 'deviceId' }] } });
    expect(done.status).toBe(200);
    expect(done.body.disposition).toBe('confirmed_fraud');

    const member = [...pop.records()].find((r) => r.applicationId === ring.members[0])!;
    const next = await t.request('POST', '/v1/graph/variables', { key: feeder, body: { identifiers: { deviceId: member.deviceId, phone: '13000000001' } } });
    expect(next.body.watchlistHits).toEqual([{ list: 'fraud-devices', role: 'deviceId' }]);
    expect(next.body.variables.twoHopConfirmedFraud).toBeGreaterThan(0);

    const back = await t.request('POST', '/v1/graph/backtrack', { key: ivy, body: { kind: 'device', value: member.deviceId } });
    expect(back.body.applications.map((a: any) => a.applicationId)).toContain(member.applicationId);
    const audit = await t.request('GET', '/v1/audit?objectKind=case&limit=1000');
    expect(audit.body.items.map((e: any) => e.action)).toEqual(expect.arrayContaining(['case.open', 'case.start', 'case.resolve']));
  });

  it('imports watchlist CSV, validates bodies, and checks roles', async () => {
    expect((await t.request('POST', '/v1/watchlists', { key: ivy, body: { name: 'mule-cards', kind: 'bankCard' } })).status).toBe(201);
    const imp = await t.request('POST', '/v1/watchlists/mule-cards/import', { key: ivy, raw: 'value,reason,source\n6222000011112222,mule,bank\n', headers: { 'content-type': 'text/csv' } });
    expect(imp.body).toMatchObject({ added: 1 });
    const bad = await t.request('POST', '/v1/watchlists/mule-cards/import', { key: ivy, raw: 'value,reason,source\n,mule,bank\n', headers: { 'content-type': 'text/csv' } });
    expect(bad.status).toBe(400);
    expect(bad.body.error.details[0]).toMatchObject({ line: 2, path: 'value' });
    const list = await t.request('GET', '/v1/watchlists/mule-cards', { key: ivy });
    expect(list.body.entries[0].key).toMatch(/^[0-9a-f]{16}$/);
    expect(JSON.stringify(list.body)).not.toContain('6222000011112222');
    expect((await t.request('GET', '/v1/watchlists', { key: analyst })).status).toBe(403);
    expect((await t.request('POST', '/v1/cases', { key: ivy, body: { source: 'manual', title: '', priority: 'high' } })).status).toBe(400);
    const opened = await t.request('POST', '/v1/cases', { key: ivy, body: { source: 'manual', title: 'Call from bank', priority: 'high' } });
    expect(opened.status).toBe(201);
    expect((await t.request('GET', `/v1/cases/${opened.body.id}`, { key: ivy })).body.sla.breached).toBe(false);
    expect((await t.request('GET', '/v1/cases/case_missing', { key: ivy })).status).toBe(404);
    expect((await t.request('GET', '/v1/graph/nope', { key: ivy })).status).toBe(404);
  });
});
