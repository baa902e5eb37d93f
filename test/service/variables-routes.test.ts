// The variables API on the real service: catalog, lineage over the stored flow versions, events into the velocity
// store over the service's own database, and the simulated sources served on their public route.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectRedis } from '../../src/variables/test-support.ts';
import { DIALECTS, startTestServer, type TestServer } from './helpers.ts';

const EXAMPLE_FLOWS = fileURLToPath(new URL('../../examples/flows', import.meta.url));

describe.each(DIALECTS)('variables API on %s', (dialect) => {
  let t: TestServer;
  let feeder: string;
  beforeAll(async () => {
    t = await startTestServer(dialect, 'variables-api', { seedFlowsDir: EXAMPLE_FLOWS, demoData: false });
    feeder = await t.keyFor('feeder', ['service']);
  });
  afterAll(async () => t?.close());

  it('lists the catalog, filtered, and refuses callers without a key', async () => {
    const velocity = await t.request('GET', '/v1/variables?source=velocity');
    expect(velocity.status).toBe(200);
    expect(velocity.body.items.map((v: { name: string }) => v.name)).toEqual(['deviceApps1h', 'deviceDistinctIds24h', 'ipApps24h', 'idDeclines30d']);
    expect((await t.request('GET', '/v1/variables/bureauScore')).body).toMatchObject({ name: 'bureauScore', source: 'external', externalSource: 'creditBureau' });
    expect((await t.request('GET', '/v1/variables/nope')).status).toBe(404);
    expect((await t.request('GET', '/v1/variables?source=magic')).status).toBe(400);
    expect((await t.request('GET', '/v1/variables', { key: null })).status).toBe(401);
    const doc = await t.request('GET', '/openapi.json', { key: null });
    expect(Object.keys(doc.body.paths)).toEqual(expect.arrayContaining(['/v1/variables', '/v1/variables/{name}', '/v1/variables/{name}/usage', '/v1/variables/{name}/quality', '/v1/events', '/simulated/credit-bureau/v1/report']));
  });

  it('tells which flow versions and nodes use a variable, and which variables nothing uses', async () => {
    const usage = await t.request('GET', '/v1/variables/deviceDistinctIds24h/usage');
    expect(usage.status).toBe(200);
    expect(usage.body.usage).toEqual([{ flow: 'consumer-loan', version: '1', direct: true, via: [], nodes: ['antiFraud'] }]);
    const viaVelocity = await t.request('GET', '/v1/variables/ip/usage');
    expect(viaVelocity.body.usage).toEqual([{ flow: 'consumer-loan', version: '1', direct: false, via: ['ipApps24h'], nodes: [] }]);
    const unused = (await t.request('GET', '/v1/variables?unused=true')).body.items.map((v: { name: string }) => v.name);
    expect(unused).toEqual(expect.arrayContaining(['idDeclines30d', 'idValid', 'bureauOpenAccounts']));
    expect(unused).not.toContain('deviceApps1h');
  });

  it('records events idempotently and names the bad field of a bad one', async () => {
    const now = Date.now();
    const events = [
      { id: 'login-1', type: 'login', time: now - 1000, fields: { deviceId: 'dev-1' } },
      { id: 'app-1', type: 'application', time: now - 500, fields: { deviceId: 'dev-1', idNumber: '110101199003071234', ip: '10.0.0.1' } },
    ];
    const first = await t.request('POST', '/v1/events', { key: feeder, body: { events } });
    expect(first.status).toBe(202);
    expect(first.body).toEqual({ received: 2, recorded: 2 });
    expect((await t.request('POST', '/v1/events', { key: feeder, body: { events } })).body).toEqual({ received: 2, recorded: 0 });
    const bad = await t.request('POST', '/v1/events', { key: feeder, body: { events: [{ id: 'x', type: 'login', time: 'yesterday', fields: {} }] } });
    expect(bad.status).toBe(400);
    expect(bad.body.error.details[0].path).toMatch(/^body\.events\.0\.time|^body\.events\[0\]\.time/);
    const future = await t.request('POST', '/v1/events', { key: feeder, body: { events: [{ id: 'f', type: 'login', time: now + 86_400_000, fields: {} }] } });
    expect(future.status).toBe(400);
    expect(future.body.error.details[0].path).toBe('events[0].time');
    expect((await t.request('POST', '/v1/events', { key: await t.keyFor('aud', ['auditor']), body: { events } })).status).toBe(403);
  });

  it('profiles a variable from recorded decisions, and its change from a baseline period', async () => {
    const apps = readFileSync(new URL('../../examples/applications/consumer-loan.jsonl', import.meta.url), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    const since = new Date().toISOString();
    // The bureau values are the (simulated) bureau's, filled in by the decision path: read them from the records.
    const recorded: Record<string, unknown>[] = [];
    for (const application of apps) {
      const res = await t.request('POST', '/v1/decisions', { body: { flow: 'consumer-loan', application } });
      expect(res.status).toBe(200);
      recorded.push((await t.request('GET', `/v1/decisions/${res.body.id}`)).body.application);
    }
    const q = await t.request('GET', `/v1/variables/bureauScore/quality?flow=consumer-loan&from=${encodeURIComponent(since)}`);
    expect(q.status).toBe(200);
    const present = recorded.filter((a) => typeof a.bureauScore === 'number').map((a) => a.bureauScore as number);
    expect(q.body.profile).toMatchObject({ count: apps.length, missing: apps.length - present.length, numeric: { min: Math.min(...present), max: Math.max(...present) } });
    const personal = await t.request('GET', '/v1/variables/idNumber/quality?flow=consumer-loan');
    expect(personal.body.profile).toMatchObject({ missingRate: 0, numeric: null, topValues: [{ value: '"(personal)"' }] });
    const none = await t.request('GET', `/v1/variables/bureauScore/quality?flow=consumer-loan&from=${encodeURIComponent(since)}&baselineTo=${encodeURIComponent(since)}`);
    expect(none.body.change).toMatchObject({ missingRateChange: expect.any(Number), psi: expect.any(Number) });
    expect(none.body.baseline.count).toBe(0);
  });

  it('serves the simulated sources publicly, deterministic and labelled as simulations', async () => {
    const a = await t.request('POST', '/simulated/credit-bureau/v1/report', { key: null, body: { idNumber: '110101199003071234' } });
    expect(a.status).toBe(200);
    expect(a.body).toMatchObject({ simulation: true, provider: expect.stringContaining('SIMULATED') });
    expect((await t.request('POST', '/simulated/credit-bureau/v1/report', { key: null, body: { idNumber: '110101199003071234' } })).body).toEqual(a.body);
    const id = await t.request('POST', '/simulated/identity-verification/v1/check', { key: null, body: { idNumber: '11010519491231002X', name: 'A B', phone: '13800000000' } });
    expect(id.body).toMatchObject({ simulation: true, idValid: true });
    expect((await t.request('POST', '/simulated/credit-bureau/v1/report', { key: null, body: {} })).status).toBe(400);
  });
});

describe('variables API with REDIS_URL set', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer('sqlite', 'variables-redis', { seedFlowsDir: EXAMPLE_FLOWS, demoData: false, redisUrl: 'redis://127.0.0.1:6379' });
  });
  afterAll(async () => {
    await t?.close();
    const redis = connectRedis();
    for (const pattern of ['mingjian:velocity:*:dev-r', 'mingjian:velocity:*:10.9.9.9']) {
      const keys = await redis.keys(pattern);
      if (keys.length) await redis.del(...keys);
    }
    redis.disconnect();
  });

  it('records events into Redis, once per id', async () => {
    const now = Date.now();
    const events = [
      { id: 'r-1', type: 'application', time: now - 2000, fields: { deviceId: 'dev-r', idNumber: '110101199003071234', ip: '10.9.9.9' } },
      { id: 'r-2', type: 'application', time: now - 1000, fields: { deviceId: 'dev-r', idNumber: '440301199512120021', ip: '10.9.9.9' } },
    ];
    expect((await t.request('POST', '/v1/events', { body: { events } })).body).toEqual({ received: 2, recorded: 2 });
    expect((await t.request('POST', '/v1/events', { body: { events } })).body).toEqual({ received: 2, recorded: 0 });
  });
});
