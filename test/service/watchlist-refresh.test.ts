// Several instances behind a load balancer share one PostgreSQL: a watchlist change approved through one instance
// reaches the lists the other instances decide with, without a restart.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { startServer, type RunningServer } from '../../src/server/server.ts';
import { ADMIN_KEY, startTestServer, type TestServer } from './helpers.ts';

describe('watchlists across instances on postgres', () => {
  let a: TestServer;
  let b: RunningServer;

  beforeAll(async () => {
    a = await startTestServer('postgres', 'watchlist_refresh', { watchlistRefreshMs: 100 });
    b = await startServer(loadConfig({}, { ...a.config, port: 0, watchlistRefreshMs: 100 }));
  });
  afterAll(async () => {
    await b?.close();
    await a?.close();
  });

  it('an approval through one instance reaches the other within the refresh interval', async () => {
    const ivy = await a.keyFor('ivy', ['investigator']);
    const lee = await a.keyFor('lee', ['approver']);
    const approve = async (id: string) => expect((await a.request('POST', `/v1/watchlist-changes/${id}/versions/1/approve`, { key: lee, body: { comment: 'ok' } })).status).toBe(200);
    const hitsOnB = async () => {
      const res = await fetch(`${b.url}/v1/graph/variables`, {
        method: 'POST',
        headers: { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/json' },
        body: JSON.stringify({ identifiers: { bankCard: '6222000033334444' } }),
      });
      return ((await res.json()) as { watchlistHits: unknown[] }).watchlistHits;
    };
    const eventually = async (check: () => Promise<boolean>) => {
      const deadline = Date.now() + 5000;
      while (!(await check())) {
        if (Date.now() > deadline) throw new Error('the other instance did not pick up the change');
        await new Promise((r) => setTimeout(r, 50));
      }
    };

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
