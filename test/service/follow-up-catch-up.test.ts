// Graph rows and cases are written behind the answer, from the decision record that committed before it. A crash in
// between loses them from the database; the next start redoes them from the records. Here the crash is staged by
// deleting what it would have lost, then the service restarts on the same database.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../../src/server/server.ts';
import { ADMIN_KEY, DIALECTS, runSql, startTestServer, type TestServer } from './helpers.ts';

const EXAMPLE_FLOWS = fileURLToPath(new URL('../../examples/flows', import.meta.url));
const sample = JSON.parse(readFileSync(new URL('../../examples/applications/consumer-loan.jsonl', import.meta.url), 'utf8').split('\n')[0]!) as Record<string, unknown>;
const { bureauScore: _s, bureauInquiries6m: _i, bureauDelinquencies12m: _d, ...base } = sample;

function person(n: number, over: Record<string, unknown> = {}): Record<string, unknown> {
  const k = String(n).padStart(3, '0');
  return { ...base, applicationId: `R-${k}`, applicantId: `PR-${k}`, idNumber: `11010119850101${k}2`, phone: `1371234${k}0`.slice(0, 11), deviceId: `dev-catchup-${k}`, ip: `10.1.${n}.1`, ...over };
}

/** What a crash between the decision commit and the follow-up writes leaves: no graph row, no case. */
async function loseFollowUps(t: TestServer, applicationIds: string[]): Promise<void> {
  const list = applicationIds.map((id) => `'${id}'`).join(',');
  const caseIds = `select case_id from fraud_case_applications where application_id in (${list})`;
  const statements = [
    `create temporary table lost_cases as ${caseIds}`,
    `delete from fraud_case_applications where case_id in (select case_id from lost_cases)`,
    `delete from fraud_cases where id in (select case_id from lost_cases)`,
    `delete from fraud_graph_applications where application_id in (${list})`,
  ];
  await runSql(t, statements);
}

describe.each(DIALECTS)('follow-ups caught up after a crash on %s', (dialect) => {
  let t: TestServer;
  let restarted: RunningServer | undefined;

  beforeAll(async () => {
    t = await startTestServer(dialect, 'catchup', { seedFlowsDir: EXAMPLE_FLOWS, demoData: false });
  });
  afterAll(async () => {
    await restarted?.close();
    await t?.close();
  });

  it('redoes the graph rows and the review case of answered decisions, and nothing twice', async () => {
    const decide = async (application: Record<string, unknown>) => {
      const res = await t.request('POST', '/v1/decisions', { body: { flow: 'consumer-loan', application } });
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      return res.body as { id: string; decision: string };
    };
    const kept = await decide(person(1));
    const lost = await decide(person(2));
    const review = await decide(person(3, { phoneNameMatch: false }));
    expect(review.decision).toBe('REVIEW');
    await t.server.close();
    await loseFollowUps(t, [lost.id, review.id]);

    restarted = await startServer(t.config);
    const get = async (path: string) => {
      const res = await fetch(restarted!.url + path, { headers: { authorization: `Bearer ${ADMIN_KEY}` } });
      return { status: res.status, body: (await res.json()) as any };
    };
    for (const d of [kept, lost, review]) expect((await get(`/v1/graph/${d.id}`)).status, d.id).toBe(200);
    const cases = (await get('/v1/cases?limit=1000')).body.items as { source: string; applicationIds: string[] }[];
    // One review case per review decision, the lost one reopened, none opened twice; none for the others.
    for (const d of [kept, lost, review]) {
      expect(cases.filter((c) => c.applicationIds.includes(d.id)), d.decision).toMatchObject(d.decision === 'REVIEW' ? [{ source: 'review' }] : []);
    }

    // A second restart finds nothing to redo.
    await restarted.close();
    restarted = await startServer(t.config);
    const again = (await get('/v1/cases?limit=1000')).body.items as { applicationIds: string[] }[];
    expect(again.filter((c) => c.applicationIds.includes(review.id))).toHaveLength(1);
  });
});
