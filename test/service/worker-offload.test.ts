// Training and batch routing run on worker threads: the event loop keeps answering while a model trains, a bad
// training request is answered exactly as when training ran inline, and a graceful shutdown waits for the worker.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MingjianError } from '../../src/kernel/errors.ts';
import { runningWorkers } from '../../src/kernel/ts-worker.ts';
import { runTrainJob } from '../../src/scorecard/index.ts';
import { errorBody } from '../../src/server/errors.ts';
import { startTestServer, type TestServer } from './helpers.ts';

const DATA = new URL('../../../shared/data/', import.meta.url);
const heloc = readFileSync(new URL('heloc_dataset_v1.csv', DATA), 'utf8');
const helocSplit = readFileSync(new URL('heloc_split_seed42.csv', DATA), 'utf8');
const german = readFileSync(new URL('german_credit.csv', DATA), 'utf8');

describe('CPU-heavy work off the event loop', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer('sqlite', 'offload');
  });
  afterAll(async () => t?.close());

  it('answers /healthz while a scorecard trains', async () => {
    const order: string[] = [];
    const training = t.request('POST', '/v1/scorecards/train', { body: { modelId: 'heloc', data: heloc, split: helocSplit, target: 'RiskPerformance', bad: 'Bad', special: [-9, -8, -7] } })
      .then((r) => (order.push('train'), r));
    // Ask only once the training has left the event loop for its worker (the server runs in this process).
    while (runningWorkers() === 0 && !order.length) await new Promise((r) => setTimeout(r, 2));
    expect(order).toEqual([]);
    const health = await t.request('GET', '/healthz', { key: null });
    order.push('healthz');
    expect(health.status).toBe(200);
    const trained = await training;
    expect(trained.status, JSON.stringify(trained.body).slice(0, 300)).toBe(201);
    expect(trained.body.metrics.test.rows).toBeGreaterThan(0);
    expect(order).toEqual(['healthz', 'train']);
  });

  it('answers a bad training request as training inline would: same status, code, message and details', async () => {
    let inline: MingjianError | undefined;
    try {
      runTrainJob({ data: german, format: 'csv', options: { target: 'nope', bad: 'bad', name: 'x' }, reportTitle: 'Scorecard x' });
    } catch (err) {
      inline = err as MingjianError;
    }
    expect(inline).toBeInstanceOf(MingjianError);
    const res = await fetch(`${t.url}/v1/scorecards/train`, {
      method: 'POST',
      headers: { authorization: `Bearer ${t.config.adminKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ modelId: 'x', data: german, target: 'nope', bad: 'bad' }),
    });
    expect(res.status).toBe(400);
    // Key order on the wire is the response schema's; the values are the error's own.
    expect(await res.json()).toStrictEqual(errorBody(inline!));
  });

  it('a graceful shutdown waits for a training in progress and answers it', async () => {
    let answered = false;
    const training = t.request('POST', '/v1/scorecards/train', { body: { modelId: 'german-last', data: german, target: 'creditability', bad: 'bad' } })
      .finally(() => (answered = true));
    while (runningWorkers() === 0 && !answered) await new Promise((r) => setTimeout(r, 2));
    expect(answered).toBe(false);
    const [trained] = await Promise.all([training, t.server.close()]);
    // Answered in full: the worker's result was stored as a draft before the store closed.
    expect(trained.status, JSON.stringify(trained.body).slice(0, 300)).toBe(201);
    expect(trained.body).toMatchObject({ modelId: 'german-last', version: '1', status: 'draft' });
    expect(runningWorkers()).toBe(0);
  });
});
