import BetterSqlite3 from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { ADMIN_KEY, goodApplication, startTestServer } from './helpers.ts';

describe('graceful shutdown', () => {
  it('finishes in-flight decisions and commits them before closing', async () => {
    // A long commit delay keeps the requests waiting on their commit when the close begins.
    const t = await startTestServer('sqlite', 'shutdown', { commitDelayMs: 500, commitBatchMax: 1000 });
    const file = t.where;
    const pending = Array.from({ length: 10 }, (_, i) =>
      fetch(`${t.url}/v1/decisions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/json', 'idempotency-key': `shutdown-${i}` },
        body: JSON.stringify({ flow: 'small-loan', application: goodApplication({ applicantId: `s-${i}` }) }),
      }).then(async (r) => ({ status: r.status, body: (await r.json()) as { id: string } })),
    );
    // Wait until all ten were evaluated and sit in the commit queue, then begin the shutdown.
    while (t.server.services.decisions.pendingCommits < 10) await new Promise((r) => setTimeout(r, 2));
    const db = new BetterSqlite3(file, { readonly: true });
    const before = (db.prepare('select count(*) as n from decisions').get() as { n: number }).n;
    db.close();
    const closing = t.server.close();
    const replies = await Promise.all(pending);
    await closing;
    expect(before).toBe(0);
    expect(replies.map((r) => r.status)).toEqual(Array(10).fill(200));
    const after = new BetterSqlite3(file, { readonly: true });
    const ids = (after.prepare('select id from decisions').all() as { id: string }[]).map((r) => r.id).sort();
    after.close();
    expect(ids).toEqual(replies.map((r) => r.body.id).sort());
    await t.close().catch(() => undefined);
  });
});
