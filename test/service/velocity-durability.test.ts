// A decided application's velocity event commits in the decision's own transaction (embedded store): every answered
// decision has its event row, concurrent decisions of one device and a retry count once each, and counts carry on after a restart.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../../src/server/server.ts';
import { ADMIN_KEY, DIALECTS, runSql, startTestServer, type TestServer } from './helpers.ts';

const EXAMPLE_FLOWS = fileURLToPath(new URL('../../examples/flows', import.meta.url));
const sample = JSON.parse(readFileSync(new URL('../../examples/applications/consumer-loan.jsonl', import.meta.url), 'utf8').split('\n')[0]!) as Record<string, unknown>;
const { bureauScore: _s, bureauInquiries6m: _i, bureauDelinquencies12m: _d, ...base } = sample;

const person = (n: number) => ({ ...base, applicationId: `VD-${n}`, applicantId: `PVD-${n}`, idNumber: `11010119850101${String(n).padStart(3, '0')}3`, phone: `1361234${String(n).padStart(3, '0')}0`.slice(0, 11), deviceId: 'dev-durable', ip: `10.2.${n}.1` });

async function eventIds(t: TestServer): Promise<string[]> {
  return (await runSql(t, ['select id from velocity_events order by id'])).map((r) => r.id as string);
}

describe.each(DIALECTS)('velocity events of decisions on %s', (dialect) => {
  let t: TestServer;
  let restarted: RunningServer | undefined;

  beforeAll(async () => {
    t = await startTestServer(dialect, 'velocity_durable', { seedFlowsDir: EXAMPLE_FLOWS, demoData: false });
  });
  afterAll(async () => {
    await restarted?.close();
    await t?.close();
  });

  it('commit with the decision, count each decision once under concurrency, and survive a restart', async () => {
    // Three at once from one device, one of them retried with its key while the first try is in flight.
    const send = (url: string, n: number, key?: string) =>
      fetch(`${url}/v1/decisions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/json', ...(key ? { 'idempotency-key': key } : {}) },
        body: JSON.stringify({ flow: 'consumer-loan', application: person(n) }),
      }).then(async (r) => ({ status: r.status, body: (await r.json()) as { id: string } }));
    const answers = await Promise.all([send(t.url, 1, `vd-1-${dialect}`), send(t.url, 1, `vd-1-${dialect}`), send(t.url, 2), send(t.url, 3)]);
    for (const a of answers) expect(a.status, JSON.stringify(a.body)).toBe(200);
    expect(answers[1]!.body.id).toBe(answers[0]!.body.id);
    const decided = [...new Set(answers.map((a) => a.body.id))];
    expect(decided).toHaveLength(3);
    // Every answered decision has its event, and only those: the retry wrote none.
    expect(await eventIds(t)).toEqual([...decided].sort());
    // Decisions in flight together read before any of them committed; the next one sees all three.
    const next = await send(t.url, 5);
    expect((await t.request('GET', `/v1/decisions/${next.body.id}`)).body.application.deviceApps1h).toBe(4);

    await t.server.close();
    restarted = await startServer(t.config);
    const after = await send(restarted.url, 6);
    expect(after.status).toBe(200);
    const record = await fetch(`${restarted.url}/v1/decisions/${after.body.id}`, { headers: { authorization: `Bearer ${ADMIN_KEY}` } });
    expect(((await record.json()) as { application: { deviceApps1h: number } }).application.deviceApps1h).toBe(5);
  });
});
