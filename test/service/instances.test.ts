// Several instances behind a load balancer share one PostgreSQL: a watchlist change approved through one instance
// reaches the lists the other instances decide with, and applications decided by one join the others' identity
// graphs, without a restart.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { startServer, type RunningServer } from '../../src/server/server.ts';
import { ADMIN_KEY, startTestServer, type TestServer } from './helpers.ts';

const EXAMPLE_FLOWS = fileURLToPath(new URL('../../examples/flows', import.meta.url));
const sample = JSON.parse(readFileSync(new URL('../../examples/applications/consumer-loan.jsonl', import.meta.url), 'utf8').split('\n')[0]!) as Record<string, unknown>;

describe('instances sharing one postgres', () => {
  let a: TestServer;
  let b: RunningServer;

  beforeAll(async () => {
    a = await startTestServer('postgres', 'instances', { watchlistRefreshMs: 100, graphRefreshMs: 100, seedFlowsDir: EXAMPLE_FLOWS, demoData: false });
    b = await startServer(loadConfig({}, { ...a.config, port: 0, watchlistRefreshMs: 100, graphRefreshMs: 100 }));
  });

  const eventually = async (check: () => Promise<boolean>) => {
    const deadline = Date.now() + 5000;
    while (!(await check())) {
      if (Date.now() > deadline) throw new Error('the other instance did not pick up the change');
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  const graphOnB = async (identifiers: Record<string, unknown>) => {
    const res = await fetch(`${b.url}/v1/graph/variables`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({ identifiers }),
    });
    return (await res.json()) as { variables: { shared: Record<string, number> }; watchlistHits: unknown[] };
  };

  it('applications decided through both at once are all stored, and each joins the other\'s identity graph', async () => {
    const device = 'dev-two-instances';
    const decideOn = async (url: string, i: number) => {
      const res = await fetch(`${url}/v1/decisions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/json' },
        body: JSON.stringify({ flow: 'consumer-loan', application: { ...sample, applicationId: `I-${i}`, deviceId: device, phone: `1390000${String(i).padStart(4, '0')}` } }),
      });
      expect(res.status).toBe(200);
      return ((await res.json()) as { id: string }).id;
    };
    const ids = await Promise.all([1, 2, 3, 4].map((i) => decideOn(i % 2 ? a.server.url : b.url, i)));
    await eventually(async () => (await graphOnB({ deviceId: device })).variables.shared.deviceId === 4);
    // And the other way round: A pulls B's on its own clock.
    await eventually(async () => ids.every((id) => a.server.services.fraud!.hasApplication(id)));
    for (const id of ids) expect(b.services.fraud!.hasApplication(id)).toBe(true);
  });
  afterAll(async () => {
    await b?.close();
    await a?.close();
  });

  it('an approval through one instance reaches the other within the refresh interval', async () => {
    const ivy = await a.keyFor('ivy', ['investigator']);
    const lee = await a.keyFor('lee', ['approver']);
    const approve = async (id: string) => expect((await a.request('POST', `/v1/watchlist-changes/${id}/versions/1/approve`, { key: lee, body: { comment: 'ok' } })).status).toBe(200);
    const hitsOnB = async () => (await graphOnB({ bankCard: '6222000033334444' })).watchlistHits;
    await approve((await a.request('POST', '/v1/watchlists', { key: ivy, body: { name: 'mule-cards', kind: 'bankCard' } })).body.id);
    const added = await a.request('POST', '/v1/watchlists/mule-cards/entries', { key: ivy, body: { entries: [{ value: '6222000033334444', reason: 'mule', source: 'bank' }] } });
    expect(added.status).toBe(202);
    expect(await hitsOnB()).toEqual([]); // proposed, not approved: nobody sees it
    await approve(added.body.id);
    await eventually(async () => (await hitsOnB()).length === 1);
    expect(await hitsOnB()).toEqual([{ list: 'mule-cards', role: 'bankCard' }]);
    const listOnB = await fetch(`${b.url}/v1/watchlists/mule-cards`, { headers: { authorization: `Bearer ${ADMIN_KEY}` } });
    expect(((await listOnB.json()) as { entries: unknown[] }).entries).toHaveLength(1);
  });
});
