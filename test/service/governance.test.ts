import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS, startTestServer, type TestServer } from './helpers.ts';

const flowYaml = (version: number | null, limitAge = 18) => `id: gov-flow
${version === null ? '' : `version: ${version}\n`}inputs:
  age: { type: integer }
nodes:
  - id: r
    type: ruleset
    rules:
      - { when: 'age < ${limitAge}', action: decline, reason: P01 }
    next: done
  - id: done
    type: outcome
`;

describe.each(DIALECTS)('flow governance on %s', (dialect) => {
  let t: TestServer;
  let ana: string;
  let bob: string;
  let carol: string;
  let service: string;
  let auditor: string;

  const yaml = (method: string, path: string, key: string, text: string) => t.request(method, path, { key, raw: text, headers: { 'content-type': 'application/yaml' } });

  beforeAll(async () => {
    t = await startTestServer(dialect, 'governance');
    ana = await t.keyFor('ana', ['analyst']);
    bob = await t.keyFor('bob', ['approver']);
    carol = await t.keyFor('carol', ['analyst', 'approver']);
    service = await t.keyFor('app', ['service']);
    auditor = await t.keyFor('audrey', ['auditor']);
  });
  afterAll(async () => t?.close());

  it('lists the seeded flow as active, approved by the system', async () => {
    const list = await t.request('GET', '/v1/flows', { key: auditor });
    expect(list.body.items).toEqual(expect.arrayContaining([expect.objectContaining({ objectId: 'small-loan', activeVersion: '1' })]));
    const v = await t.request('GET', '/v1/flows/small-loan/versions/1', { key: auditor });
    expect(v.body).toMatchObject({ status: 'active', author: 'system', approver: 'system', seeded: true });
    const audit = await t.request('GET', '/v1/audit?action=flow.seed', { key: auditor });
    expect(audit.body.items.some((e: { objectId: string }) => e.objectId === 'small-loan')).toBe(true);
  });

  it('runs a version from draft to active with maker-checker, and rolls back', async () => {
    // A draft from YAML; a draft may be invalid (work in progress) but says what is wrong.
    const bad = await yaml('POST', '/v1/flows', ana, flowYaml(1).replace("'age < 18'", "'agee < 18'"));
    expect(bad.status).toBe(201);
    expect(bad.body.status).toBe('draft');
    expect(bad.body.problems.some((p: { path?: string; message: string; line?: number }) => /agee/.test(p.message) && p.line !== undefined)).toBe(true);
    const submitBad = await t.request('POST', '/v1/flows/gov-flow/versions/1/submit', { key: ana });
    expect(submitBad.status).toBe(400);
    expect(submitBad.body.error.details.length).toBeGreaterThan(0);

    // Fix the draft in place, then validate.
    const fixed = await yaml('PUT', '/v1/flows/gov-flow/versions/1', ana, flowYaml(1));
    expect(fixed.status).toBe(200);
    expect(fixed.body.problems).toEqual([]);
    expect((await t.request('POST', '/v1/flows/gov-flow/versions/1/validate', { key: ana })).body).toEqual({ valid: true, problems: [] });

    // Not approved yet: cannot activate, cannot decide with it.
    expect((await t.request('POST', '/v1/flows/gov-flow/versions/1/activate', { key: bob })).status).toBe(409);
    expect((await t.request('POST', '/v1/decisions', { key: service, body: { flow: 'gov-flow', application: { age: 30 } } })).status).toBe(404);

    expect((await t.request('POST', '/v1/flows/gov-flow/versions/1/submit', { key: ana, body: { comment: 'first cut' } })).body.status).toBe('submitted');
    // Submitted versions no longer change; analysts cannot approve.
    expect((await yaml('PUT', '/v1/flows/gov-flow/versions/1', ana, flowYaml(1, 21))).status).toBe(409);
    expect((await t.request('POST', '/v1/flows/gov-flow/versions/1/approve', { key: ana, body: { comment: 'self' } })).status).toBe(403);
    const approve = await t.request('POST', '/v1/flows/gov-flow/versions/1/approve', { key: bob, body: { comment: 'looks right' } });
    expect(approve.status).toBe(200);
    expect(approve.body).toMatchObject({ status: 'approved', approver: 'bob' });
    const active = await t.request('POST', '/v1/flows/gov-flow/versions/1/activate', { key: bob });
    expect(active.body.status).toBe('active');
    expect((await t.request('POST', '/v1/decisions', { key: service, body: { flow: 'gov-flow', application: { age: 19 } } })).body).toMatchObject({ version: '1', decision: 'APPROVE' });
    expect((await yaml('PUT', '/v1/flows/gov-flow/versions/1', ana, flowYaml(1, 21))).status).toBe(409);

    // Version 2 by carol (analyst and approver): she may not approve her own work.
    const v2 = await t.request('POST', '/v1/flows', { key: carol, body: { id: 'gov-flow', version: 2, inputs: { age: { type: 'integer' } }, nodes: [{ id: 'r', type: 'ruleset', rules: [{ when: 'age < 21', action: 'decline', reason: 'P01' }], next: 'done' }, { id: 'done', type: 'outcome' }] } });
    expect(v2.status).toBe(201);
    expect((await yaml('POST', '/v1/flows', ana, flowYaml(2))).status).toBe(409);
    await t.request('POST', '/v1/flows/gov-flow/versions/2/submit', { key: carol });
    const self = await t.request('POST', '/v1/flows/gov-flow/versions/2/approve', { key: carol, body: { comment: 'mine' } });
    expect(self.status).toBe(403);
    expect(self.body.error.message).toMatch(/maker-checker/);
    expect((await t.request('POST', '/v1/flows/gov-flow/versions/2/approve', { key: bob, body: {} })).status).toBe(400);
    await t.request('POST', '/v1/flows/gov-flow/versions/2/approve', { key: bob, body: { comment: 'stricter age' } });
    await t.request('POST', '/v1/flows/gov-flow/versions/2/activate', { key: bob, body: { comment: 'go' } });
    expect((await t.request('POST', '/v1/decisions', { key: service, body: { flow: 'gov-flow', application: { age: 19 } } })).body).toMatchObject({ version: '2', decision: 'DECLINE' });
    // A pinned version still decides with the retired one.
    expect((await t.request('POST', '/v1/decisions', { key: service, body: { flow: 'gov-flow', version: 1, application: { age: 19 } } })).body).toMatchObject({ version: '1', decision: 'APPROVE' });

    const diff = await t.request('GET', '/v1/flows/gov-flow/diff?from=1&to=2', { key: auditor });
    expect(diff.body.changes).toEqual([
      { path: 'version', op: 'change', before: 1, after: 2 },
      { path: 'nodes[id=r].rules[0].when', op: 'change', before: 'age < 18', after: 'age < 21' },
    ]);

    const rollback = await t.request('POST', '/v1/flows/gov-flow/rollback', { key: bob, body: { comment: 'too strict' } });
    expect(rollback.status).toBe(200);
    expect(rollback.body).toMatchObject({ version: '1', status: 'active' });
    expect((await t.request('POST', '/v1/decisions', { key: service, body: { flow: 'gov-flow', application: { age: 19 } } })).body.version).toBe('1');
    const history = await t.request('GET', '/v1/flows/gov-flow', { key: auditor });
    expect(history.body.activeVersion).toBe('1');
    expect(history.body.versions.map((v: { version: string; status: string }) => `${v.version}:${v.status}`)).toEqual(['1:active', '2:retired']);
    expect(history.body.activations.map((a: { reason: string }) => a.reason)).toEqual(['rollback', 'activate', 'activate']);

    const actions = (await t.request('GET', '/v1/audit?objectKind=flow&limit=1000', { key: auditor })).body.items.map((e: { action: string }) => e.action);
    expect(actions).toEqual(expect.arrayContaining(['flow.draft.create', 'flow.draft.update', 'flow.submit', 'flow.approve', 'flow.activate', 'flow.rollback']));
  });

  it('rejects with a comment, and a rejected version stays rejected', async () => {
    await yaml('POST', '/v1/flows', ana, flowYaml(3));
    await t.request('POST', '/v1/flows/gov-flow/versions/3/submit', { key: ana });
    const rejected = await t.request('POST', '/v1/flows/gov-flow/versions/3/reject', { key: bob, body: { comment: 'no rationale given' } });
    expect(rejected.body).toMatchObject({ status: 'rejected', comments: [expect.objectContaining({ by: 'bob', action: 'reject', text: 'no rationale given' })] });
    expect((await t.request('POST', '/v1/flows/gov-flow/versions/3/activate', { key: bob })).status).toBe(409);
    expect((await t.request('POST', '/v1/flows/gov-flow/versions/3/approve', { key: bob, body: { comment: 'changed my mind' } })).status).toBe(409);
  });

  it('decides sub-flows with the callee\'s active version, also after it changes', async () => {
    const decide = () => t.request('POST', '/v1/decisions', { key: service, body: { flow: 'parent-loan', application: { age: 19, amount: 200000 } } });
    expect((await decide()).body).toMatchObject({ decision: 'REVIEW', reasons: ['AMT1'] });
    const v2 = "id: age-check\nversion: 2\ninputs:\n  age: { type: integer }\nnodes:\n  - { id: rules, type: ruleset, rules: [{ when: 'age < 21', action: decline, reason: AGE2 }], next: done }\n  - { id: done, type: outcome }\n";
    expect((await yaml('POST', '/v1/flows', ana, v2)).status).toBe(201);
    await t.request('POST', '/v1/flows/age-check/versions/2/submit', { key: ana });
    await t.request('POST', '/v1/flows/age-check/versions/2/approve', { key: bob, body: { comment: 'ok' } });
    expect((await t.request('POST', '/v1/flows/age-check/versions/2/activate', { key: bob })).status).toBe(200);
    const after = await decide();
    expect(after.body).toMatchObject({ decision: 'DECLINE', reasons: ['AGE2', 'AMT1'] });
  });

  it('validates documents without saving and names the roles', async () => {
    const res = await yaml('POST', '/v1/flows/validate', auditor, 'id: x\nversion: 1\ninputs: {}\nnodes: [{id: a, type: outcome, decision: "nope"}]\n');
    expect(res.status).toBe(200);
    expect(res.body.valid).toBe(false);
    expect((await yaml('POST', '/v1/flows', service, flowYaml(9))).status).toBe(403);
    expect((await yaml('POST', '/v1/flows', ana, ':\n  - [')).status).toBe(400);
    expect((await t.request('GET', '/v1/flows/none-such', { key: auditor })).status).toBe(404);
  });
});
