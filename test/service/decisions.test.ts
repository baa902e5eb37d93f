import BetterSqlite3 from 'better-sqlite3';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS, goodApplication, PG_URL, startTestServer, type TestServer } from './helpers.ts';

async function rawDecisionRows(t: TestServer): Promise<{ id: string; input: string; trace: string | null; idempotency_key: string | null }[]> {
  if (t.dialect === 'sqlite') {
    const db = new BetterSqlite3(t.where, { readonly: true });
    try {
      return db.prepare('select id, input, trace, idempotency_key from decisions').all() as never;
    } finally {
      db.close();
    }
  }
  const client = new pg.Client({ connectionString: PG_URL });
  await client.connect();
  try {
    return (await client.query(`select id, input, trace, idempotency_key from "${t.where}".decisions`)).rows;
  } finally {
    await client.end();
  }
}

describe.each(DIALECTS)('decisions on %s', (dialect) => {
  let t: TestServer;
  let service: string;
  let analyst: string;
  let investigator: string;

  beforeAll(async () => {
    t = await startTestServer(dialect, 'decisions');
    service = await t.keyFor('lending-app', ['service']);
    analyst = await t.keyFor('ana', ['analyst']);
    investigator = await t.keyFor('ivan', ['investigator']);
  });
  afterAll(async () => t?.close());

  it('decides with the active version and records the decision', async () => {
    const res = await t.request('POST', '/v1/decisions', { key: service, body: { flow: 'small-loan', application: goodApplication(), idempotencyKey: 'k-approve' } });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ flow: 'small-loan', version: '1', decision: 'APPROVE', reasons: [], creditLine: 5000, outputs: { ratio: 5 }, idempotencyKey: 'k-approve' });
    expect(res.body.id).toMatch(/^dec_/);
    expect(res.body.trace).toBeUndefined();

    const stored = await t.request('GET', `/v1/decisions/${res.body.id}`, { key: analyst });
    expect(stored.status).toBe(200);
    expect(stored.body).toMatchObject({ id: res.body.id, decision: 'APPROVE', creditLine: 5000, variables: { ratio: 5 }, caller: { keyId: expect.stringMatching(/^key_/) } });
    expect(stored.body.trace.steps.map((s: { node: string }) => s.node)).toEqual(['eligibility', 'done']);
    expect(stored.body.timings.evalMicros).toBeGreaterThanOrEqual(0);
  });

  it('returns reasons in policy order and the trace on request', async () => {
    const res = await t.request('POST', '/v1/decisions?trace=true', { key: service, body: { flow: 'small-loan', application: goodApplication({ age: 16, phone: '17012345678', requestedAmount: 20000 }) } });
    expect(res.status).toBe(200);
    expect(res.body.decision).toBe('DECLINE');
    expect(res.body.reasons).toEqual(['P01', 'F01', 'C01']);
    const rules = res.body.trace.steps[0].rules;
    expect(rules.map((r: { id: string }) => r.id)).toEqual(['underage', 'virtual-carrier', 'high-ratio']);
    // The phone the rule read is personal data: masked in the trace too.
    expect(JSON.stringify(res.body.trace)).not.toContain('17012345678');
  });

  it('answers a retry with the recorded decision and never records a second one', async () => {
    const body = { flow: 'small-loan', application: goodApplication({ applicantId: 'retry' }) };
    const first = await t.request('POST', '/v1/decisions', { key: service, body, headers: { 'idempotency-key': 'k-retry' } });
    const second = await t.request('POST', '/v1/decisions', { key: service, body, headers: { 'idempotency-key': 'k-retry' } });
    expect(first.status).toBe(200);
    expect(second.body).toEqual(first.body);
    const other = await t.request('POST', '/v1/decisions', { key: service, body: { ...body, application: goodApplication({ applicantId: 'someone else' }) }, headers: { 'idempotency-key': 'k-retry' } });
    expect(other.status).toBe(409);
    expect(other.body.error.code).toBe('CONFLICT');
  });

  it('keeps one decision per key under concurrent retries', async () => {
    const body = { flow: 'small-loan', application: goodApplication({ applicantId: 'concurrent' }), idempotencyKey: 'k-concurrent' };
    const replies = await Promise.all(Array.from({ length: 25 }, () => t.request('POST', '/v1/decisions', { key: service, body })));
    expect(replies.every((r) => r.status === 200)).toBe(true);
    expect(new Set(replies.map((r) => r.body.id)).size).toBe(1);
    const rows = (await rawDecisionRows(t)).filter((r) => r.idempotency_key === 'k-concurrent');
    expect(rows).toHaveLength(1);
  });

  it('rejects invalid requests with every problem by field path and records nothing', async () => {
    const before = (await rawDecisionRows(t)).length;
    const res = await t.request('POST', '/v1/decisions', { key: service, body: { flow: 'small-loan', application: { applicantId: 'x', phone: '1', idNumber: 'y', age: 'old', monthlyIncome: 0 } } });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('INPUT_INVALID');
    const paths = res.body.error.details.map((d: { path: string }) => d.path);
    expect(paths).toEqual(expect.arrayContaining(['application.age', 'application.monthlyIncome', 'application.requestedAmount']));
    const shape = await t.request('POST', '/v1/decisions', { key: service, body: { application: 'nope', extra: 1 } });
    expect(shape.status).toBe(400);
    expect(shape.body.error.details.map((d: { path: string }) => d.path).sort()).toEqual(['body.application', 'body.extra', 'body.flow']);
    expect((await rawDecisionRows(t)).length).toBe(before);
  });

  it('answers 404 for an unknown flow or version and 401/403 for callers without the right', async () => {
    expect((await t.request('POST', '/v1/decisions', { key: service, body: { flow: 'no-such-flow', application: {} } })).status).toBe(404);
    expect((await t.request('POST', '/v1/decisions', { key: service, body: { flow: 'small-loan', version: '99', application: goodApplication() } })).status).toBe(404);
    expect((await t.request('GET', '/v1/decisions/dec_missing', { key: analyst })).status).toBe(404);
    expect((await t.request('POST', '/v1/decisions', { key: null, body: { flow: 'small-loan', application: {} } })).status).toBe(401);
    const forbidden = await t.request('GET', '/v1/decisions', { key: service });
    expect(forbidden.status).toBe(403);
    expect(forbidden.body.error).toMatchObject({ code: 'FORBIDDEN' });
  });

  it('encrypts personal data at rest and masks it in responses unless an allowed role asks', async () => {
    const res = await t.request('POST', '/v1/decisions', { key: service, body: { flow: 'small-loan', application: goodApplication({ phone: '13912345678', applicantId: 'pii' }), idempotencyKey: 'k-pii' } });
    const row = (await rawDecisionRows(t)).find((r) => r.id === res.body.id)!;
    expect(row.input).not.toContain('13912345678');
    expect(row.input).not.toContain('110101199001011234');
    expect(row.input).toContain('enc:v1:t1:');
    expect(row.input).toContain('"applicantId":"pii"');
    if (dialect === 'sqlite') {
      // Not in the file either (WAL included): the bytes on disk never hold the plain value.
      const { readFileSync, existsSync } = await import('node:fs');
      for (const f of [t.where, `${t.where}-wal`]) if (existsSync(f)) expect(readFileSync(f).includes('13912345678')).toBe(false);
    }

    const masked = await t.request('GET', `/v1/decisions/${res.body.id}`, { key: analyst });
    expect(masked.body.application).toMatchObject({ phone: '139****5678', idNumber: '110****1234', applicantId: 'pii' });
    expect(masked.body.piiUnmasked).toBe(false);
    expect((await t.request('GET', `/v1/decisions/${res.body.id}?unmask=true`, { key: analyst })).status).toBe(403);

    const revealed = await t.request('GET', `/v1/decisions/${res.body.id}?unmask=true`, { key: investigator });
    expect(revealed.status).toBe(200);
    expect(revealed.body.application).toMatchObject({ phone: '13912345678', idNumber: '110101199001011234' });
    const audit = await t.request('GET', `/v1/audit?action=decision.read-unmasked&objectId=${res.body.id}`);
    expect(audit.body.items).toHaveLength(1);
    expect(audit.body.items[0].actorUserId).toMatch(/^usr_/);
  });

  it('lists decisions by filter with a cursor', async () => {
    for (let i = 0; i < 5; i++) await t.request('POST', '/v1/decisions', { key: service, body: { flow: 'small-loan', application: goodApplication({ applicantId: `page-${i}`, age: 17 }) } });
    const page1 = await t.request('GET', '/v1/decisions?decision=DECLINE&limit=3', { key: analyst });
    expect(page1.status).toBe(200);
    expect(page1.body.items).toHaveLength(3);
    expect(page1.body.nextCursor).toBeTruthy();
    const page2 = await t.request('GET', `/v1/decisions?decision=DECLINE&limit=3&cursor=${page1.body.nextCursor}`, { key: analyst });
    const ids = [...page1.body.items, ...page2.body.items].map((d: { id: string }) => d.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids).toEqual([...ids].sort().reverse());
    expect([...page1.body.items, ...page2.body.items].every((d: { decision: string }) => d.decision === 'DECLINE')).toBe(true);
    const future = await t.request('GET', `/v1/decisions?from=${encodeURIComponent(new Date(Date.now() + 3600_000).toISOString())}`, { key: analyst });
    expect(future.body.items).toEqual([]);
    const bad = await t.request('GET', '/v1/decisions?from=yesterday&limit=0', { key: analyst });
    expect(bad.status).toBe(400);
    expect(bad.body.error.details.map((d: { path: string }) => d.path).sort()).toEqual(['querystring.from', 'querystring.limit']);
  });

  it('replays a decision on its recorded version and reports it identical', async () => {
    const res = await t.request('POST', '/v1/decisions', { key: service, body: { flow: 'small-loan', application: goodApplication({ age: 16, phone: '17000000000' }) } });
    const replay = await t.request('POST', `/v1/decisions/${res.body.id}/replay`, { key: analyst });
    expect(replay.status).toBe(200);
    expect(replay.body).toMatchObject({ id: res.body.id, identical: true, differences: [] });
    expect(replay.body.replayed.reasons).toEqual(['P01', 'F01']);
  });
});
