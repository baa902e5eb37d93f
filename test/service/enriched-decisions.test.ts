// The decision path with real-time variables and anti-fraud, end to end through the API: velocity counts, a credit
// bureau over HTTP (a local server standing in for the provider, counting calls and able to hang), the identity
// graph, ring detection, cases, and the watchlist a confirmed case feeds once a second user approves the change.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { simulatedCreditReport } from '../../src/variables/simulated-sources.ts';
import { DIALECTS, startTestServer, type TestServer } from './helpers.ts';

const EXAMPLE_FLOWS = fileURLToPath(new URL('../../examples/flows', import.meta.url));
const EXAMPLE_VARIABLES = fileURLToPath(new URL('../../src/variables/examples/consumer-loan.variables.yaml', import.meta.url));
const sample = JSON.parse(readFileSync(new URL('../../examples/applications/consumer-loan.jsonl', import.meta.url), 'utf8').split('\n')[0]!) as Record<string, unknown>;
// The sample approves on its own merits; the bureau fields come from the bureau, not from the caller.
const { bureauScore: _s, bureauInquiries6m: _i, bureauDelinquencies12m: _d, ...base } = sample;

/** A credit bureau on loopback answering like the simulation, counting calls; `hang` makes it never answer. */
function bureauServer() {
  const state = { calls: 0, hang: false };
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      state.calls++;
      if (state.hang) return; // the caller's timeout ends it
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify(simulatedCreditReport(JSON.parse(body) as { idNumber?: unknown })));
    });
  });
  return { state, server };
}

let unique = 0;
/** Distinct synthetic person (ID number, phone, device) so tests do not count each other's applications. */
function person(over: Record<string, unknown> = {}): Record<string, unknown> {
  unique++;
  const n = String(unique).padStart(3, '0');
  return { ...base, applicationId: `T-${n}`, applicantId: `P-${n}`, idNumber: `11010119900101${n}1`, phone: `1391234${n}0`.slice(0, 11), deviceId: `dev-test-${n}`, ip: `10.0.${unique}.1`, ...over };
}

describe.each(DIALECTS)('decisions with velocity, bureau and identity graph on %s', (dialect) => {
  let t: TestServer;
  const bureau = bureauServer();
  let investigator: string;
  let approver: string;
  let dir: string;

  beforeAll(async () => {
    await new Promise<void>((r) => bureau.server.listen(0, '127.0.0.1', () => r()));
    const url = `http://127.0.0.1:${(bureau.server.address() as AddressInfo).port}/v1/report`;
    // The example catalog, with the credit bureau at the local server: no retries, no cache, a short timeout.
    const doc = parse(readFileSync(EXAMPLE_VARIABLES, 'utf8')) as { sources: unknown[] };
    doc.sources = [
      {
        name: 'creditBureau', method: 'POST', url, body: { idNumber: '{{input.idNumber}}' },
        response: { bureauStatus: 'status', bureauScore: 'score', bureauDelinquencies12m: 'delinquencies12m', bureauInquiries6m: 'inquiries6m', bureauOpenAccounts: 'openAccounts', bureauTotalDebtMinor: 'totalDebtMinor' },
        statusVariable: 'bureauReason', timeoutMs: 300,
        fallback: { bureauStatus: 'unavailable', bureauInquiries6m: 0, bureauDelinquencies12m: 0 },
      },
      { simulated: 'identityVerification' },
    ];
    dir = mkdtempSync(join(tmpdir(), 'mingjian-variables-'));
    const file = join(dir, 'variables.yaml');
    writeFileSync(file, stringify(doc));
    t = await startTestServer(dialect, 'enriched', { seedFlowsDir: EXAMPLE_FLOWS, demoData: false, variablesFile: file });
    investigator = await t.keyFor('ivy', ['investigator']);
    approver = await t.keyFor('lee', ['approver']);
  });

  afterAll(async () => {
    await t?.close();
    rmSync(dir, { recursive: true, force: true });
    await new Promise<void>((r) => bureau.server.close(() => r()));
  });

  const decide = async (application: Record<string, unknown>, idempotencyKey?: string) => {
    const res = await t.request('POST', '/v1/decisions', { body: { flow: 'consumer-loan', application, ...(idempotencyKey ? { idempotencyKey } : {}) } });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    return res.body as { id: string; decision: string; reasons: string[] };
  };
  const stored = async (id: string) => (await t.request('GET', `/v1/decisions/${id}`)).body as { application: Record<string, unknown> };

  it('counts applications per device: the third within the hour is declined (FR04), a retry counts once', async () => {
    const p = person();
    const first = await decide({ ...p, applicationId: 'V-1' }, `velocity-1-${dialect}`);
    const retry = await decide({ ...p, applicationId: 'V-1' }, `velocity-1-${dialect}`);
    expect(retry.id).toBe(first.id);
    const second = await decide({ ...p, applicationId: 'V-2', requestedAmount: 1000000 });
    const third = await decide({ ...p, applicationId: 'V-3', requestedAmount: 500000 });
    const counts = await Promise.all([first, second, third].map(async (d) => (await stored(d.id)).application.deviceApps1h));
    expect(counts).toEqual([1, 2, 3]);
    expect(first.reasons).not.toContain('FR04');
    expect(second.reasons).not.toContain('FR04');
    expect(third).toMatchObject({ decision: 'DECLINE', reasons: expect.arrayContaining(['FR04']) });
    // A caller cannot vouch for its own counts: the service's value replaces the one sent.
    const lying = await decide({ ...p, applicationId: 'V-4', deviceApps1h: 0, deviceDistinctIds24h: 0 });
    expect((await stored(lying.id)).application.deviceApps1h).toBe(4);
    expect(lying.reasons).toContain('FR04');
  });

  it('counts simultaneous applications from one device as if they came one after the other (a burst is declined)', async () => {
    const p = person();
    // Sent together: each is enriched while the others are still running, before any of them committed.
    const burst = await Promise.all([1, 2, 3, 4, 5].map((i) => decide({ ...p, applicationId: `B-${i}` })));
    const counts = await Promise.all(burst.map(async (d) => (await stored(d.id)).application.deviceApps1h as number));
    expect([...counts].sort()).toEqual([1, 2, 3, 4, 5]);
    expect(burst.filter((d) => d.reasons.includes('FR04')).map((d) => counts[burst.indexOf(d)]).sort()).toEqual([3, 4, 5]);
    // Every reservation ended with its commit; the next application counts the five once each.
    const velocity = t.server.services.variables!.velocity as { reservationCount?: () => number };
    expect(velocity.reservationCount?.()).toBe(0);
    const next = await decide({ ...p, applicationId: 'B-6' });
    expect((await stored(next.id)).application.deviceApps1h).toBe(6);
  });

  it('refuses a malformed application before calling the bureau, and it never counts', async () => {
    const p = person();
    const before = bureau.state.calls;
    const res = await t.request('POST', '/v1/decisions', { body: { flow: 'consumer-loan', application: { ...p, applicationId: 'F-1', requestedAmount: -5, employmentStatus: 'astronaut' } } });
    expect(res.status).toBe(400);
    // Every problem of the caller's fields, named as the flow's own check names them.
    expect(res.body.error.details.map((d: { path: string }) => d.path).sort()).toEqual(['application.employmentStatus', 'application.requestedAmount']);
    expect(bureau.state.calls).toBe(before);
    const velocity = t.server.services.variables!.velocity as { reservationCount?: () => number };
    expect(velocity.reservationCount?.()).toBe(0);
    const ok = await decide({ ...p, applicationId: 'F-2' });
    expect((await stored(ok.id)).application.deviceApps1h).toBe(1);
    expect(bureau.state.calls).toBe(before + 1);
  });

  it('drops what the caller sent for a field the service fills, also when the bureau has no file', async () => {
    // An ID number the simulated bureau has no file for: the flow must not see the caller's score instead.
    let p = person();
    while ((simulatedCreditReport({ idNumber: p.idNumber }) as { status?: string }).status !== 'no_record') p = person();
    const d = await decide({ ...p, bureauScore: 845, bureauDelinquencies12m: 0 });
    const application = (await stored(d.id)).application;
    expect(application.bureauStatus).toBe('no_record');
    expect(application).not.toHaveProperty('bureauScore');
  });

  it('stores the bureau values in the record; replay is identical and calls the bureau no more', async () => {
    const p = person();
    const before = bureau.state.calls;
    const d = await decide(p);
    expect(bureau.state.calls).toBe(before + 1);
    const report = simulatedCreditReport({ idNumber: p.idNumber }) as { status: string; score: number | null; inquiries6m: number | null };
    const record = await stored(d.id);
    expect(record.application).toMatchObject({ bureauStatus: report.status, bureauReason: 'OK' });
    if (report.score !== null) expect(record.application.bureauScore).toBe(report.score);
    else expect(record.application).not.toHaveProperty('bureauScore');
    // Personal data stays encrypted at rest and masked in responses.
    expect(String(record.application.idNumber)).toContain('*');

    bureau.state.hang = true;
    try {
      const replay = await t.request('POST', `/v1/decisions/${d.id}/replay`);
      expect(replay.status).toBe(200);
      expect(replay.body).toMatchObject({ identical: true, differences: [] });
    } finally {
      bureau.state.hang = false;
    }
    expect(bureau.state.calls).toBe(before + 1);
  });

  it('a bureau timeout gives the fallback with its reason code, the BU01 review and a review case', async () => {
    bureau.state.hang = true;
    let d;
    try {
      d = await decide(person());
    } finally {
      bureau.state.hang = false;
    }
    expect(d).toMatchObject({ decision: 'REVIEW', reasons: ['BU01'] });
    expect((await stored(d.id)).application).toMatchObject({ bureauStatus: 'unavailable', bureauReason: 'SOURCE_TIMEOUT', bureauDelinquencies12m: 0 });
    // The case opens behind the answer (its decision record is already durable).
    await expect.poll(async () => {
      const cases = await t.request('GET', '/v1/cases?limit=1000', { key: investigator });
      return cases.body.items.filter((c: { source: string; applicationIds: string[] }) => c.source === 'review' && c.applicationIds.includes(d.id)).length;
    }, { timeout: 5000 }).toBe(1);
  });

  it('detects a planted ring, opens a case; confirming it and approving the proposal blocks the next application from its device (FR01)', async () => {
    const members = Array.from({ length: 8 }, () => person());
    const devices = ['dev-ring-a', 'dev-ring-b'];
    const ids: string[] = [];
    for (const [k, m] of members.entries()) {
      const d = await decide({ ...m, deviceId: devices[k % 2], bankCard: '6217000011112222', contactPhones: [members[(k + 7) % 8]!.phone], ip: '10.9.9.9' });
      expect(d.reasons).not.toContain('FR01');
      ids.push(d.id);
    }
    // Graph variables reached the flow: the later members see the cluster so far.
    expect((await stored(ids[7]!)).application).toMatchObject({ graphClusterSize: 8, graphDistinctIdNumbersOnDevice: 4 });

    const detect = await t.request('POST', '/v1/rings/detect', { key: investigator, body: {} });
    expect(detect.status).toBe(200);
    const ring = detect.body.rings.find((r: { members: string[] }) => ids.every((id) => r.members.includes(id)));
    expect(ring, JSON.stringify(detect.body.rings)).toBeDefined();
    const queue = await t.request('GET', '/v1/cases?limit=1000', { key: investigator });
    const ringCase = queue.body.items.find((c: { source: string; ringId: string }) => c.source === 'ring' && c.ringId === ring.id);
    expect(ringCase).toBeDefined();

    expect((await t.request('POST', `/v1/cases/${ringCase.id}/actions`, { key: investigator, body: { action: 'start' } })).status).toBe(200);
    const resolved = await t.request('POST', `/v1/cases/${ringCase.id}/actions`, {
      key: investigator,
      body: { action: 'resolve', disposition: 'confirmed_fraud', summary: 'Eight identities rotating two devices and one card', watchlist: [{ list: 'fraud-devices', applicationId: ids[0], role: 'deviceId' }] },
    });
    expect(resolved.status, JSON.stringify(resolved.body)).toBe(200);
    expect(resolved.body.watchlistChanges).toHaveLength(1);
    // Proposed, not applied: inWatchlist() does not see it, so the device is not blocked yet.
    expect((await t.request('GET', '/v1/watchlists/fraud-devices', { key: investigator })).body.entries).toHaveLength(0);
    const early = await decide(person({ deviceId: devices[0] }));
    expect(early.reasons).not.toContain('FR01');
    // The investigator cannot approve her own proposal; a second user with the approver role applies it.
    expect((await t.request('POST', `/v1/watchlist-changes/${resolved.body.watchlistChanges[0]}/versions/1/approve`, { key: investigator, body: { comment: 'mine' } })).status).toBe(403);
    const approved = await t.request('POST', `/v1/watchlist-changes/${resolved.body.watchlistChanges[0]}/versions/1/approve`, { key: approver, body: { comment: 'ring evidence checked' } });
    expect(approved.body, JSON.stringify(approved.body)).toMatchObject({ status: 'active', author: 'ivy', approver: 'lee' });
    const list = await t.request('GET', '/v1/watchlists/fraud-devices', { key: investigator });
    expect(list.body.entries).toHaveLength(1);

    const next = await decide(person({ deviceId: devices[0] }));
    // The device also tripped the velocity rules this hour; the watchlist rule comes first.
    expect(next).toMatchObject({ decision: 'DECLINE', reasons: expect.arrayContaining(['FR01']) });
    expect(next.reasons[0]).toBe('FR01');
    const other = await decide(person());
    expect(other.reasons).not.toContain('FR01');
    // Replay answers inWatchlist() as the decision was answered: before the listing a miss, after it a hit.
    for (const id of [ids[0]!, next.id]) {
      const replay = await t.request('POST', `/v1/decisions/${id}/replay`);
      expect(replay.body, id).toMatchObject({ identical: true });
    }
    expect((await stored(next.id)).application.$watchlistHits).toMatchObject({ 'fraud-devices': [expect.stringMatching(/^[0-9a-f]{32}$/)] });
    await expect.poll(async () => {
      const after = await t.request('GET', '/v1/cases?limit=1000', { key: investigator });
      return after.body.items.filter((c: { source: string; applicationIds: string[] }) => c.source === 'watchlist_hit' && c.applicationIds.includes(next.id)).length;
    }, { timeout: 5000 }).toBe(1);
  });
});

describe('velocity in Redis (REDIS_URL set)', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer('sqlite', 'enriched-redis', { seedFlowsDir: EXAMPLE_FLOWS, demoData: false, redisUrl: 'redis://127.0.0.1:6379' });
  });
  afterAll(async () => t?.close());

  it('counts the applications of a device across decisions, in Redis', async () => {
    expect(t.server.services.variables?.velocity.kind).toBe('redis');
    const p = person();
    const reasons: string[][] = [];
    const counts: unknown[] = [];
    for (let i = 1; i <= 3; i++) {
      const res = await t.request('POST', '/v1/decisions', { body: { flow: 'consumer-loan', application: { ...p, applicationId: `R-${i}` } } });
      expect(res.status).toBe(200);
      reasons.push(res.body.reasons);
      counts.push((await t.request('GET', `/v1/decisions/${res.body.id}`)).body.application.deviceApps1h);
    }
    expect(counts).toEqual([1, 2, 3]);
    expect(reasons[2]).toContain('FR04');
  });

  it('counts simultaneous applications from one device one after the other, through reservations in Redis', async () => {
    const p = person();
    const burst = await Promise.all([1, 2, 3, 4].map(async (i) => (await t.request('POST', '/v1/decisions', { body: { flow: 'consumer-loan', application: { ...p, applicationId: `RB-${i}` } } })).body as { id: string }));
    const counts = await Promise.all(burst.map(async (d) => (await t.request('GET', `/v1/decisions/${d.id}`)).body.application.deviceApps1h as number));
    expect([...counts].sort()).toEqual([1, 2, 3, 4]);
    expect((t.server.services.variables!.velocity as { reservationCount?: () => number }).reservationCount?.()).toBe(0);
  });
});
