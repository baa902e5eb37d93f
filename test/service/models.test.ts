import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseCsv, parseModel, scoreRow, scoreTable, type ScorecardModel } from '../../src/scorecard/index.ts';
import { DIALECTS, startTestServer, type TestServer } from './helpers.ts';

const DATA = new URL('../../../shared/data/', import.meta.url);
const german = readFileSync(new URL('german_credit.csv', DATA), 'utf8');
const germanSplit = readFileSync(new URL('german_split_seed42.csv', DATA), 'utf8');
const table = parseCsv(german);
const rowAt = (i: number) => Object.fromEntries(table.columns.map((c, j) => [c, table.rows[i]![j]]));

function flowUsing(source: string, model: ScorecardModel) {
  return {
    id: 'german-flow',
    version: 1,
    inputs: Object.fromEntries(model.attributes.map((a) => [a.name, { type: a.type === 'numeric' ? 'number' : 'string', required: false }])),
    nodes: [
      { id: 'sc', type: 'scorecard', source, output: 'score', rating: { output: 'rating' }, next: 'rules' },
      { id: 'rules', type: 'ruleset', rules: [{ when: 'score < 450', action: 'decline', reason: 'SC1' }], next: 'done' },
      { id: 'done', type: 'outcome', outputs: { score: 'score', rating: 'rating' } },
    ],
  };
}

describe.each(DIALECTS)('scorecard models through the service on %s', (dialect) => {
  let t: TestServer;
  let ana: string;
  let bob: string;
  let ops: string;
  let service: string;
  let trained: { modelId: string; version: string; metrics: Record<string, { auc: number; ks: number }>; model: ScorecardModel };

  beforeAll(async () => {
    t = await startTestServer(dialect, 'models');
    ana = await t.keyFor('ana', ['analyst']);
    bob = await t.keyFor('bob', ['approver']);
    ops = await t.keyFor('olga', ['operator']);
    service = await t.keyFor('app', ['service']);
    const res = await t.request('POST', '/v1/scorecards/train', { key: ana, body: { modelId: 'german', data: german, split: germanSplit, target: 'creditability', bad: 'bad' } });
    expect(res.status, JSON.stringify(res.body).slice(0, 500)).toBe(201);
    trained = res.body;
  }, 60_000);
  afterAll(async () => t?.close());

  it('trains on the shared German split with test AUC >= 0.80 and keeps the result as a draft with its report', async () => {
    expect(trained.metrics.test!.auc).toBeGreaterThanOrEqual(0.8);
    expect(trained.metrics.train!.auc).toBeGreaterThan(trained.metrics.test!.auc - 0.1);
    expect(trained.version).toBe('1');
    const v = await t.request('GET', '/v1/models/german/versions/1', { key: ana });
    expect(v.body).toMatchObject({ status: 'draft', author: expect.any(String), approver: null });
    expect(parseModel(JSON.stringify(v.body.body)).attributes.length).toBe(trained.model.attributes.length);
    const report = await t.request('GET', '/v1/models/german/versions/1/report', { key: bob });
    expect(report.status).toBe(200);
    expect(report.headers.get('content-type')).toMatch(/text\/html/);
    expect(String(report.body)).toMatch(/<svg/);
    const audit = await t.request('GET', '/v1/audit?action=model.train');
    expect(audit.body.items.some((e: { objectId: string }) => e.objectId === 'german@1')).toBe(true);
  });

  it('refuses training to roles without models:train and names bad options', async () => {
    expect((await t.request('POST', '/v1/scorecards/train', { key: ops, body: { modelId: 'x', data: german, target: 'creditability', bad: 'bad' } })).status).toBe(403);
    const bad = await t.request('POST', '/v1/scorecards/train', { key: ana, body: { modelId: 'x', data: german, target: 'nope', bad: 'bad' } });
    expect(bad.status).toBe(400);
    expect(JSON.stringify(bad.body.error)).toMatch(/nope/);
  });

  it('takes the modeller\'s settings: binning constraints, per-column trend, selection, L2 and points scaling', async () => {
    const body = {
      modelId: 'german-tuned', data: german, split: germanSplit, target: 'creditability', bad: 'bad',
      binning: { maxBins: 3, minBinShare: 0.1, trends: { duration_in_month: 'descending' } },
      selection: { maxVariables: 5, minIv: 0.03 }, l2: 2, scaling: { baseScore: 500, baseOdds: 50, pdo: 20 },
    };
    const res = await t.request('POST', '/v1/scorecards/train', { key: ana, body });
    expect(res.status, JSON.stringify(res.body).slice(0, 500)).toBe(201);
    const model = res.body.model as ScorecardModel;
    expect(model.attributes.length).toBeLessThanOrEqual(5);
    expect(model.scaling).toMatchObject({ baseScore: 500, baseOdds: 50, pdo: 20 });
    for (const a of model.attributes) expect(a.bins.length).toBeLessThanOrEqual(3);
    const duration = model.attributes.find((a) => a.value === 'duration_in_month');
    if (duration) for (let i = 1; i < duration.bins.length; i++) expect(duration.bins[i]!.points).toBeGreaterThanOrEqual(duration.bins[i - 1]!.points);
    // A setting out of range is named by its path, before any training.
    const bad = await t.request('POST', '/v1/scorecards/train', { key: ana, body: { ...body, binning: { maxBins: 0, trend: 'sideways' } } });
    expect(bad.status).toBe(400);
    expect(bad.body.error.details.map((d: { path: string }) => d.path)).toEqual(expect.arrayContaining(['body.binning.maxBins', 'body.binning.trend']));
  });

  it('trains from a raw CSV body with the options in the query string', async () => {
    const headers = { 'content-type': 'text/csv' };
    const res = await t.request('POST', '/v1/scorecards/train?modelId=german-raw&target=creditability&bad=bad&testShare=0.3&seed=42', { key: ana, raw: german, headers });
    expect(res.status, JSON.stringify(res.body).slice(0, 300)).toBe(201);
    expect(res.body).toMatchObject({ modelId: 'german-raw', version: '1', status: 'draft' });
    expect(res.body.metrics.test.rows).toBe(300);
    const missing = await t.request('POST', '/v1/scorecards/train?modelId=german-raw', { key: ana, raw: german, headers });
    expect(missing.status).toBe(400);
    expect(missing.body.error.details.map((d: { path: string }) => d.path)).toEqual(['querystring.target', 'querystring.bad']);
  });

  it('activates only after another user approves (maker-checker), then scores one row exactly as scoreRow', async () => {
    expect((await t.request('POST', '/v1/models/german/score', { key: service, body: { application: rowAt(0) } })).status).toBe(404);
    expect((await t.request('POST', '/v1/models/german/versions/1/submit', { key: ana })).status).toBe(200);
    const selfApprove = await t.request('POST', '/v1/models/german/versions/1/approve', { key: ana, body: { comment: 'mine' } });
    expect(selfApprove.status).toBe(403);
    expect((await t.request('POST', '/v1/models/german/versions/1/approve', { key: bob, body: { comment: 'validated on the shared split' } })).status).toBe(200);
    expect((await t.request('POST', '/v1/models/german/versions/1/activate', { key: bob })).status).toBe(200);

    const model = trained.model;
    for (const i of [0, 1, 17, 999]) {
      const res = await t.request('POST', '/v1/models/german/score', { key: service, body: { application: rowAt(i) } });
      expect(res.status).toBe(200);
      expect(res.body.version).toBe('1');
      expect(res.body.result).toEqual(JSON.parse(JSON.stringify(scoreRow(model, rowAt(i)))));
      // The CLI's file scoring gives the same points.
      expect(res.body.result.score).toBe(scoreTable(model, { columns: table.columns, rows: [table.rows[i]!] })[0]!.score);
    }
  });

  it('reports PSI bands: the development sample is stable, a shifted population is not', async () => {
    const same = await t.request('POST', '/v1/models/german/psi', { key: ana, body: { data: german } });
    expect(same.status).toBe(200);
    expect(same.body.source).toBe('file');
    expect(same.body.report.score.band).toBe('stable');
    expect(same.body.report.score.psi).toBeLessThan(0.1);
    // Only the riskiest applicants: the score distribution moves far from development.
    const risky = scoreTable(trained.model, table)
      .map((s, i) => ({ s, i }))
      .filter((x) => x.s.score < trained.model.monitoring.scoreBins[2]!.max!)
      .map((x) => table.rows[x.i]!);
    const csv = [table.columns.join(','), ...risky.map((r) => r.map((c) => `"${String(c ?? '').replace(/"/g, '""')}"`).join(','))].join('\n');
    const shifted = await t.request('POST', '/v1/models/german/psi', { key: ana, body: { data: csv } });
    expect(shifted.body.report.score.psi).toBeGreaterThan(0.25);
    expect(shifted.body.report.score.band).toBe('act');
    expect(shifted.body.report.attributes.length).toBe(trained.model.attributes.length);
  });

  it('runs a flow whose scorecard node reads the governed model, and measures PSI on its decisions', async () => {
    const path = await t.request('POST', '/v1/flows', { key: ana, body: { ...flowUsing('/tmp/scorecard.json', trained.model), id: 'path-flow' } });
    expect(path.status).toBe(201);
    expect(JSON.stringify(path.body.problems)).toMatch(/plain file paths are not allowed/);

    const draft = await t.request('POST', '/v1/flows', { key: ana, body: flowUsing('model:german', trained.model) });
    expect(draft.status).toBe(201);
    expect(draft.body.problems.filter((p: { severity?: string }) => p.severity !== 'warning')).toEqual([]);
    const v = draft.body.version;
    await t.request('POST', `/v1/flows/german-flow/versions/${v}/submit`, { key: ana });
    await t.request('POST', `/v1/flows/german-flow/versions/${v}/approve`, { key: bob, body: { comment: 'ok' } });
    expect((await t.request('POST', `/v1/flows/german-flow/versions/${v}/activate`, { key: bob })).status).toBe(200);

    for (const i of [0, 1, 2]) {
      const row = rowAt(i);
      const app = Object.fromEntries(trained.model.attributes.map((a) => [a.name, a.type === 'numeric' ? Number(row[a.name]) : row[a.name]]));
      const res = await t.request('POST', '/v1/decisions', { key: service, body: { flow: 'german-flow', application: app } });
      expect(res.status, JSON.stringify(res.body).slice(0, 400)).toBe(200);
      const expected = scoreRow(trained.model, row);
      expect(res.body.decision).toBe(expected.score < 450 ? 'DECLINE' : 'APPROVE');
      expect(res.body.outputs).toEqual({ score: expected.score, rating: expected.rating });
    }
    // A new model version, once active, is what the flow runs (its compiled form is refreshed at activation).
    const v2 = await t.request('POST', '/v1/scorecards/train', { key: ana, body: { modelId: 'german', data: german, target: 'creditability', bad: 'bad', testShare: 0.5, seed: 7 } });
    expect(v2.status).toBe(201);
    expect(v2.body.version).toBe('2');
    const diff = await t.request('GET', '/v1/models/german/diff?from=1&to=2', { key: ana });
    expect(diff.status).toBe(200);
    expect(diff.body.changes.length).toBeGreaterThan(0);
    await t.request('POST', '/v1/models/german/versions/2/submit', { key: ana });
    await t.request('POST', '/v1/models/german/versions/2/approve', { key: bob, body: { comment: 'retrained' } });
    expect((await t.request('POST', '/v1/models/german/versions/2/activate', { key: bob })).status).toBe(200);
    // A row the two versions score differently, so the decision shows which one ran.
    const row = rowAt([...Array(table.rows.length).keys()].find((i) => scoreRow(v2.body.model, rowAt(i)).score !== scoreRow(trained.model, rowAt(i)).score)!);
    const app = Object.fromEntries(trained.model.attributes.concat(v2.body.model.attributes).map((a) => [a.name, a.type === 'numeric' ? Number(row[a.name]) : row[a.name]]));
    const flow2 = await t.request('POST', '/v1/flows', { key: ana, body: { ...flowUsing('model:german', v2.body.model), version: 2, inputs: Object.fromEntries(Object.keys(app).map((k) => [k, { type: typeof app[k] === 'number' ? 'number' : 'string', required: false }])) } });
    expect(flow2.status).toBe(201);
    await t.request('POST', '/v1/flows/german-flow/versions/2/submit', { key: ana });
    await t.request('POST', '/v1/flows/german-flow/versions/2/approve', { key: bob, body: { comment: 'ok' } });
    await t.request('POST', '/v1/flows/german-flow/versions/2/activate', { key: bob });
    const after = await t.request('POST', '/v1/decisions', { key: service, body: { flow: 'german-flow', application: app } });
    expect(after.status, JSON.stringify(after.body).slice(0, 300)).toBe(200);
    expect(after.body.outputs.score).toBe(scoreRow(v2.body.model, row).score);
    expect(after.body.outputs.rating).toBe(scoreRow(v2.body.model, row).rating);
    // A flow pinned to version 1 keeps running version 1.
    const pinned = await t.request('POST', '/v1/models/german/score', { key: service, body: { application: row, version: '1' } });
    expect(pinned.body.result.score).toBe(scoreRow(trained.model, row).score);

    const psi = await t.request('POST', '/v1/models/german/psi', { key: ana, body: { version: '1' } });
    expect(psi.status, JSON.stringify(psi.body).slice(0, 400)).toBe(200);
    expect(psi.body.source).toBe('decisions');
    expect(psi.body.flows).toEqual([expect.objectContaining({ flowId: 'german-flow', decisions: 4 })]);
    expect(psi.body.report.actualRows).toBe(4);
  });

  it('measures PSI on decisions of a flow that maps the model\'s columns from inputs of other names (fields)', async () => {
    const model = (await t.request('GET', '/v1/models/german/versions/2', { key: ana })).body.body as ScorecardModel;
    const flow = {
      id: 'german-mapped', version: 1,
      inputs: Object.fromEntries(model.attributes.map((a) => [`in_${a.name}`, { type: a.type === 'numeric' ? 'number' : 'string', required: false }])),
      nodes: [
        { id: 'sc', type: 'scorecard', source: 'model:german@2', fields: Object.fromEntries(model.attributes.map((a) => [a.name, `in_${a.name}`])), output: 'score', next: 'done' },
        { id: 'done', type: 'outcome', outputs: { score: 'score' } },
      ],
    };
    const created = await t.request('POST', '/v1/flows', { key: ana, body: flow });
    expect(created.status, JSON.stringify(created.body).slice(0, 400)).toBe(201);
    await t.request('POST', '/v1/flows/german-mapped/versions/1/submit', { key: ana });
    await t.request('POST', '/v1/flows/german-mapped/versions/1/approve', { key: bob, body: { comment: 'ok' } });
    expect((await t.request('POST', '/v1/flows/german-mapped/versions/1/activate', { key: bob })).status).toBe(200);
    for (const i of [3, 4, 5]) {
      const row = rowAt(i);
      const app = Object.fromEntries(model.attributes.map((a) => [`in_${a.name}`, a.type === 'numeric' ? Number(row[a.name]) : row[a.name]]));
      const res = await t.request('POST', '/v1/decisions', { key: service, body: { flow: 'german-mapped', application: app } });
      expect(res.body.outputs.score).toBe(scoreRow(model, row).score);
    }
    const psi = await t.request('POST', '/v1/models/german/psi', { key: ana, body: { version: '2' } });
    expect(psi.status, JSON.stringify(psi.body).slice(0, 400)).toBe(200);
    expect(psi.body.flows).toEqual(expect.arrayContaining([expect.objectContaining({ flowId: 'german-mapped', decisions: 3, skipped: 0 })]));
    // The values the node scored, read from the stored traces: none lands in the missing bin.
    for (const a of psi.body.report.attributes as { name: string; bins: { label: string; actual: number }[] }[]) {
      expect(a.bins.find((b) => b.label === 'missing')!.actual, a.name).toBe(0);
    }
  });
});
