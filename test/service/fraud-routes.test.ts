// The anti-fraud API end to end on the real service: graph feed, ring detection opening a case, working the case,
// watchlist changes governed with maker-checker (JSON, CSV, removal, case proposals), permissions, confirmed fraud
// alerting live loans, and the audit trail.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS, goodApplication, startTestServer, type TestServer } from './helpers.ts';
import { generatePopulation } from '../../src/fraud/population.ts';

describe.each(DIALECTS)('anti-fraud API on %s', (dialect) => {
  let t: TestServer;
  let ivy: string;
  let lee: string;
  let carol: string;
  let feeder: string;
  let analyst: string;
  const approve = (id: string, key: string, comment = 'checked against the case') => t.request('POST', `/v1/watchlist-changes/${id}/versions/1/approve`, { key, body: { comment } });

  beforeAll(async () => {
    t = await startTestServer(dialect, 'fraud-api');
    ivy = await t.keyFor('ivy', ['investigator']);
    lee = await t.keyFor('lee', ['approver']);
    carol = await t.keyFor('carol', ['investigator', 'approver']);
    feeder = await t.keyFor('feeder', ['service']);
    analyst = await t.keyFor('ana', ['analyst']);
  });
  afterAll(async () => t?.close());

  it('feeds the graph, detects a ring, confirms its case, and once another user approves the proposal the next application from its device hits the watchlist', async () => {
    const pop = generatePopulation({ n: 250, seed: 8, ringShare: 0.12, days: 60 });
    for (const r of pop.records()) {
      const { applicationId, appliedAt, ...identifiers } = r;
      const res = await t.request('POST', '/v1/graph/applications', { key: feeder, body: { applicationId, appliedAt, identifiers } });
      expect(res.status).toBe(201);
    }
    const forbidden = await t.request('POST', '/v1/rings/detect', { key: analyst, body: {} });
    expect(forbidden.status).toBe(403);
    expect(forbidden.body.error).toMatchObject({ code: 'FORBIDDEN', message: expect.stringContaining("'fraud:investigate' permission") });
    const det = await t.request('POST', '/v1/rings/detect', { key: ivy, body: {} });
    expect(det.status).toBe(200);
    expect(det.body.rings.length).toBeGreaterThan(0);
    expect(det.body.casesOpened.length).toBeGreaterThan(0);
    const ring = det.body.rings[0];
    expect((await t.request('GET', `/v1/rings/${ring.id}`, { key: ivy })).body.members).toEqual(ring.members);

    const queue = await t.request('GET', '/v1/cases', { key: ivy });
    const c = queue.body.items.find((x: any) => x.ringId === ring.id);
    expect(c).toBeTruthy();

    // Creating a list is a change set too: proposed by ivy, applied only when lee approves.
    const create = await t.request('POST', '/v1/watchlists', { key: ivy, body: { name: 'fraud-devices', kind: 'device', reason: 'devices of confirmed rings' } });
    expect(create.status).toBe(202);
    expect(create.body).toMatchObject({ status: 'submitted', operation: 'create', list: 'fraud-devices', proposedBy: 'ivy', approve: `/v1/watchlist-changes/${create.body.id}/versions/1/approve` });
    expect((await t.request('GET', '/v1/watchlists/fraud-devices', { key: ivy })).status).toBe(404);
    const ivyApproves = await approve(create.body.id, ivy);
    expect(ivyApproves.status).toBe(403);
    expect(ivyApproves.body.error.message).toContain("'watchlists:approve' permission");
    const created = await approve(create.body.id, lee);
    expect(created.status, JSON.stringify(created.body)).toBe(200);
    expect(created.body).toMatchObject({ status: 'active', author: 'ivy', approver: 'lee' });
    expect((await t.request('GET', '/v1/watchlists/fraud-devices', { key: ivy })).body).toMatchObject({ name: 'fraud-devices', kind: 'device', entries: [] });

    expect((await t.request('POST', `/v1/cases/${c.id}/actions`, { key: ivy, body: { action: 'resolve', disposition: 'confirmed_fraud', summary: 'x' } })).status).toBe(409);
    expect((await t.request('POST', `/v1/cases/${c.id}/actions`, { key: ivy, body: { action: 'start' } })).body.state).toBe('investigating');
    const graph = await t.request('GET', `/v1/graph/${ring.members[0]}?hops=1`, { key: ivy });
    expect(graph.body.applications.length).toBeGreaterThan(1);
    const done = await t.request('POST', `/v1/cases/${c.id}/actions`, { key: ivy, body: { action: 'resolve', disposition: 'confirmed_fraud', summary: 'devices rotated, one card', watchlist: [{ list: 'fraud-devices', applicationId: ring.members[0], role: 'deviceId' }] } });
    expect(done.status).toBe(200);
    expect(done.body.disposition).toBe('confirmed_fraud');
    expect(done.body.watchlistChanges).toHaveLength(1);
    const changeId = done.body.watchlistChanges[0];

    // Pending: the proposal is listed for the approver, but lookups (inWatchlist, hits) do not see it yet.
    const member = [...pop.records()].find((r) => r.applicationId === ring.members[0])!;
    const probe = () => t.request('POST', '/v1/graph/variables', { key: feeder, body: { identifiers: { deviceId: member.deviceId, phone: '13000000001' } } });
    const pendingList = await t.request('GET', '/v1/watchlists/fraud-devices/changes', { key: lee });
    expect(pendingList.body.items).toEqual([expect.objectContaining({ id: changeId, status: 'submitted', operation: 'case', source: `case:${c.id}`, entries: 1, proposedBy: 'ivy' })]);
    const pendingVersion = await t.request('GET', `/v1/watchlist-changes/${changeId}/versions/1`, { key: lee });
    expect(pendingVersion.body.body.add[0]).toMatchObject({ key: expect.stringMatching(/^[0-9a-f]{16}$/), preview: `deviceId of application ${ring.members[0]}` });
    expect(JSON.stringify(pendingVersion.body)).not.toContain(member.deviceId);
    expect((await probe()).body.watchlistHits).toEqual([]);

    const applied = await approve(changeId, lee);
    expect(applied.status, JSON.stringify(applied.body)).toBe(200);
    const next = await probe();
    expect(next.body.watchlistHits).toEqual([{ list: 'fraud-devices', role: 'deviceId' }]);
    expect(next.body.variables.twoHopConfirmedFraud).toBeGreaterThan(0);
    expect((await t.request('GET', '/v1/watchlists/fraud-devices/changes', { key: lee })).body.items).toEqual([]);
    const entry = (await t.request('GET', '/v1/watchlists/fraud-devices', { key: ivy })).body.entries[0];
    expect(entry).toMatchObject({ reason: `confirmed fraud in case ${c.id}`, source: `case:${c.id}`, addedBy: 'ivy', expiresAt: null });

    const back = await t.request('POST', '/v1/graph/backtrack', { key: ivy, body: { kind: 'device', value: member.deviceId } });
    expect(back.body.applications.map((a: any) => a.applicationId)).toContain(member.applicationId);
    const audit = await t.request('GET', '/v1/audit?objectKind=case&limit=1000');
    expect(audit.body.items.map((e: any) => e.action)).toEqual(expect.arrayContaining(['case.open', 'case.start', 'case.resolve']));
    // Every step of the change is audited (who and when), with hashes only.
    const changeAudit = await t.request('GET', '/v1/audit?objectKind=watchlist-change&limit=1000');
    const steps = changeAudit.body.items.filter((e: any) => e.objectId.startsWith(changeId)).map((e: any) => [e.action, e.actorUserId]);
    expect(steps.map((s: string[]) => s[0]).sort()).toEqual(['watchlist-change.activate', 'watchlist-change.approve', 'watchlist-change.propose']);
    const listAudit = await t.request('GET', '/v1/audit?objectKind=watchlist&limit=1000');
    expect(listAudit.body.items.find((e: any) => e.action === 'watchlist.add-from-case').after).toMatchObject({ change: changeId, proposedBy: 'ivy', approvedBy: 'lee', added: 1 });
    expect(JSON.stringify([changeAudit.body, listAudit.body])).not.toContain(member.deviceId);
    expect((await t.request('GET', '/v1/audit/verify')).body).toMatchObject({ ok: true });
  });

  it('refuses self-approval, never applies a rejected change, imports CSV and removes entries through approval', async () => {
    const create = await t.request('POST', '/v1/watchlists', { key: carol, body: { name: 'mule-cards', kind: 'bankCard' } });
    expect(create.status).toBe(202);
    // A second proposal for the same list, while the first is pending: whichever is approved second cannot apply.
    const twin = await t.request('POST', '/v1/watchlists', { key: ivy, body: { name: 'mule-cards', kind: 'bankCard' } });
    expect(twin.status).toBe(202);
    // carol holds both roles, but maker-checker still refuses her approving her own proposal.
    const self = await approve(create.body.id, carol);
    expect(self.status).toBe(403);
    expect(self.body.error.message).toMatch(/maker-checker: 'carol' wrote/);
    expect((await t.request('GET', '/v1/watchlists/mule-cards', { key: carol })).status).toBe(404);
    expect((await approve(create.body.id, lee)).body.status).toBe('active');
    const late = await approve(twin.body.id, lee);
    expect(late.status).toBe(409);
    expect(late.body.error.message).toMatch(/approved but could not be applied: .*already exists/);
    expect((await t.request('GET', '/v1/watchlists/mule-cards/changes', { key: lee })).body.items).toEqual([expect.objectContaining({ id: twin.body.id, status: 'approved' })]);
    expect((await t.request('POST', '/v1/watchlists', { key: ivy, body: { name: 'mule-cards', kind: 'bankCard' } })).status).toBe(409);

    const csv = 'value,reason,source,expiresAt\n6222000011112222,mule,bank,\n6228480012345678,mule,bank,2020-01-01T00:00:00Z\n';
    const imp = await t.request('POST', '/v1/watchlists/mule-cards/import?reason=bank%20list', { key: ivy, raw: csv, headers: { 'content-type': 'text/csv' } });
    expect(imp.status).toBe(202);
    expect(imp.body).toMatchObject({ operation: 'import', source: 'csv', reason: 'bank list', entries: 2, duplicates: 0 });
    const stored = await t.request('GET', `/v1/watchlist-changes/${imp.body.id}/versions/1`, { key: lee });
    expect(stored.body.body.add.map((e: any) => e.preview)).toEqual(['62************22', '62************78']);
    expect(stored.body.source).toBeNull();
    expect(JSON.stringify(stored.body)).not.toMatch(/6222000011112222|6228480012345678/);

    // Rejected: never applied, and it cannot be approved afterwards.
    const rejected = await t.request('POST', `/v1/watchlist-changes/${imp.body.id}/versions/1/reject`, { key: lee, body: { comment: 'source not verified' } });
    expect(rejected.body).toMatchObject({ status: 'rejected', approver: 'lee' });
    expect((await approve(imp.body.id, lee)).status).toBe(409);
    expect((await t.request('GET', '/v1/watchlists/mule-cards', { key: ivy })).body.entries).toEqual([]);
    expect((await t.request('POST', '/v1/graph/variables', { key: feeder, body: { identifiers: { bankCard: '6222000011112222' } } })).body.watchlistHits).toEqual([]);

    const again = await t.request('POST', '/v1/watchlists/mule-cards/import', { key: ivy, raw: csv, headers: { 'content-type': 'text/csv' } });
    expect((await approve(again.body.id, lee)).status).toBe(200);
    const list = await t.request('GET', '/v1/watchlists/mule-cards', { key: ivy });
    expect(list.body.entries).toHaveLength(2);
    expect(list.body.entries[0].key).toMatch(/^[0-9a-f]{16}$/);
    expect(JSON.stringify(list.body)).not.toContain('6222000011112222');
    // The expired entry is stored but does not match.
    const hits = await t.request('POST', '/v1/graph/variables', { key: feeder, body: { identifiers: { bankCard: '6222000011112222', contactPhones: [] } } });
    expect(hits.body.watchlistHits).toEqual([{ list: 'mule-cards', role: 'bankCard' }]);
    expect((await t.request('POST', '/v1/graph/variables', { key: feeder, body: { identifiers: { bankCard: '6228480012345678' } } })).body.watchlistHits).toEqual([]);

    const bad = await t.request('POST', '/v1/watchlists/mule-cards/import', { key: ivy, raw: 'value,reason,source\n,mule,bank\n', headers: { 'content-type': 'text/csv' } });
    expect(bad.status).toBe(400);
    expect(bad.body.error.details[0]).toMatchObject({ line: 2, path: 'value' });
    const key = list.body.entries.find((e: any) => e.expiresAt === null).key;
    const noReason = await t.request('DELETE', '/v1/watchlists/mule-cards/entries', { key: ivy, body: { keys: [key] } });
    expect(noReason.status).toBe(400);
    const removal = await t.request('DELETE', '/v1/watchlists/mule-cards/entries', { key: ivy, body: { keys: [key], reason: 'bank cleared the card' } });
    expect(removal.status).toBe(202);
    expect(removal.body).toMatchObject({ operation: 'remove', removals: 1 });
    expect((await t.request('GET', '/v1/watchlists/mule-cards', { key: ivy })).body.entries).toHaveLength(2);
    expect((await approve(removal.body.id, lee)).status).toBe(200);
    expect((await t.request('GET', '/v1/watchlists/mule-cards', { key: ivy })).body.entries).toHaveLength(1);

    // Watchlist changes are only proposed through the anti-fraud API: no generic drafts, edits or rollback.
    expect((await t.request('POST', '/v1/watchlist-changes', { key: ivy, body: { id: 'wlc_x' } })).status).toBe(404);
    expect((await t.request('POST', `/v1/watchlist-changes/${removal.body.id}/rollback`, { key: lee, body: null })).status).toBe(404);
  });

  it('checks permissions with a 403 naming the permission, and validates bodies', async () => {
    const read = await t.request('GET', '/v1/watchlists', { key: analyst });
    expect(read.status).toBe(403);
    expect(read.body.error.message).toContain("'watchlists:read' permission");
    expect((await t.request('GET', '/v1/watchlists', { key: lee })).status).toBe(200);
    const approverProposes = await t.request('POST', '/v1/watchlists/mule-cards/entries', { key: lee, body: { entries: [{ value: '6222000099998888', reason: 'r', source: 's' }] } });
    expect(approverProposes.status).toBe(403);
    expect(approverProposes.body.error.message).toContain("'watchlists:propose' permission");
    const approverCases = await t.request('GET', '/v1/cases', { key: lee });
    expect(approverCases.status).toBe(403);
    expect(approverCases.body.error.message).toContain("'fraud:investigate' permission");
    expect((await t.request('POST', '/v1/cases', { key: ivy, body: { source: 'manual', title: '', priority: 'high' } })).status).toBe(400);
    const opened = await t.request('POST', '/v1/cases', { key: ivy, body: { source: 'manual', title: 'Call from bank', priority: 'high' } });
    expect(opened.status).toBe(201);
    expect((await t.request('GET', `/v1/cases/${opened.body.id}`, { key: ivy })).body.sla.breached).toBe(false);
    expect((await t.request('GET', '/v1/cases/case_missing', { key: ivy })).status).toBe(404);
    expect((await t.request('GET', '/v1/graph/nope', { key: ivy })).status).toBe(404);
    const unknownList = await t.request('POST', '/v1/watchlists/nope/entries', { key: ivy, body: { entries: [{ value: '1', reason: 'r', source: 's' }] } });
    expect(unknownList.status).toBe(404);
  });

  it('confirming fraud raises a new_fraud_link alert on live loans booked from the case applications', async () => {
    const book = async (amount: number) => {
      const decided = await t.request('POST', '/v1/decisions', { body: { flow: 'small-loan', application: goodApplication({ monthlyIncome: 100_000, requestedAmount: 500_000 }) } });
      expect(decided.body.decision).toBe('APPROVE');
      const offer = await t.request('POST', '/v1/loans/offers', { body: { decisionId: decided.body.id, amount, termMonths: 3, date: '2026-01-10' } });
      const booked = await t.request('POST', `/v1/loans/offers/${offer.body.offerId}/accept`, { body: { date: '2026-01-12' } });
      expect(booked.status).toBe(201);
      return { decisionId: decided.body.id as string, loanId: booked.body.loanId as string };
    };
    const fraudulent = await book(300_000);
    const innocent = await book(200_000);
    const opened = await t.request('POST', '/v1/cases', { key: ivy, body: { source: 'manual', title: 'Loan taken with a stolen identity', priority: 'high', applicationIds: [fraudulent.decisionId] } });
    expect((await t.request('POST', `/v1/cases/${opened.body.id}/actions`, { key: ivy, body: { action: 'start' } })).status).toBe(200);
    const resolved = await t.request('POST', `/v1/cases/${opened.body.id}/actions`, { key: ivy, body: { action: 'resolve', disposition: 'confirmed_fraud', summary: 'victim confirmed' } });
    expect(resolved.status, JSON.stringify(resolved.body)).toBe(200);

    const loan = await t.request('GET', `/v1/loans/${fraudulent.loanId}`);
    const alerts = loan.body.cases.filter((c: any) => c.rule === 'new_fraud_link');
    expect(alerts).toEqual([expect.objectContaining({ severity: 'high', status: 'open', detail: expect.objectContaining({ caseId: opened.body.id, applicationId: fraudulent.decisionId }) })]);
    expect((await t.request('GET', `/v1/loans/${innocent.loanId}`)).body.cases.filter((c: any) => c.rule === 'new_fraud_link')).toEqual([]);
    const audit = await t.request('GET', '/v1/audit?objectKind=loan&limit=1000');
    expect(audit.body.items.filter((e: any) => e.action === 'loan.alert' && e.objectId === fraudulent.loanId)).toHaveLength(1);

    // Reopening and confirming again does not alert the same loan twice for the same case.
    await t.request('POST', `/v1/cases/${opened.body.id}/actions`, { key: ivy, body: { action: 'reopen', reason: 'more evidence' } });
    await t.request('POST', `/v1/cases/${opened.body.id}/actions`, { key: ivy, body: { action: 'start' } });
    expect((await t.request('POST', `/v1/cases/${opened.body.id}/actions`, { key: ivy, body: { action: 'resolve', disposition: 'confirmed_fraud', summary: 'still fraud' } })).status).toBe(200);
    expect((await t.request('GET', `/v1/loans/${fraudulent.loanId}`)).body.cases.filter((c: any) => c.rule === 'new_fraud_link')).toHaveLength(1);
  });
  it('reports a bad case action against the shape its action names, and an unknown action once', async () => {
    const opened = await t.request('POST', '/v1/cases', { key: ivy, body: { source: 'manual', title: 'Shapes of case actions', priority: 'low' } });
    expect(opened.status).toBe(201);
    const act = (body: unknown) => t.request('POST', `/v1/cases/${opened.body.id}/actions`, { key: ivy, body });

    // Only the resolve shape's problems: a missing summary, a disposition outside the list, a stray field.
    const resolve = await act({ action: 'resolve', disposition: 'maybe', extra: 1 });
    expect(resolve.status).toBe(400);
    expect(resolve.body.error.code).toBe('VALIDATION');
    expect(resolve.body.error.details).toHaveLength(3);
    expect(resolve.body.error.details).toEqual(expect.arrayContaining([
      { path: 'body.summary', message: 'is required' },
      { path: 'body.extra', message: 'is not allowed here' },
      expect.objectContaining({ path: 'body.disposition' }),
    ]));
    expect((await act({ action: 'assign' })).body.error.details).toEqual([{ path: 'body.assignee', message: 'is required' }]);
    expect((await act({ action: 'note', text: '' })).body.error.details).toEqual([{ path: 'body.text', message: expect.stringContaining('fewer than 1') }]);
    expect((await act({ action: 'start', assignee: 'ivy' })).body.error.details).toEqual([{ path: 'body.assignee', message: 'is not allowed here' }]);

    const actions = 'assign, start, note, evidence, snapshot, link, priority, resolve, reopen';
    const unknown = await act({ action: 'escalate', to: 'lee' });
    expect(unknown.status).toBe(400);
    expect(unknown.body.error.details).toEqual([{ path: 'body.action', message: `must be one of ${actions}` }]);
    expect((await act({ text: 'no action' })).body.error.details).toEqual([{ path: 'body.action', message: `is required: one of ${actions}` }]);
    expect((await act({ action: 7 })).body.error.details).toEqual([{ path: 'body.action', message: `must be one of ${actions}` }]);
    expect((await act(['start'])).body.error.details).toEqual([{ path: 'body', message: 'must be object' }]);

    // Good bodies still pass, and nothing above changed the case.
    expect((await t.request('GET', `/v1/cases/${opened.body.id}`, { key: ivy })).body.state).toBe('open');
    const noted = await act({ action: 'note', text: 'checked the shapes' });
    expect(noted.status, JSON.stringify(noted.body)).toBe(200);
    expect((await act({ action: 'start' })).body.state).toBe('investigating');

    // The OpenAPI document describes the body as a oneOf told apart by `action`.
    const doc = (await t.request('GET', '/openapi.json', { key: null })).body;
    const schema = doc.paths['/v1/cases/{id}/actions'].post.requestBody.content['application/json'].schema;
    expect(schema.discriminator).toEqual({ propertyName: 'action' });
    expect(schema.oneOf.map((b: any) => b.properties.action.enum[0])).toEqual(actions.split(', '));
  });
});
