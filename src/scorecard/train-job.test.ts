// The service trains on a worker thread: the same model, metrics and report as training inline, and the same
// MingjianError (code, message, details) for a bad request.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { MingjianError } from '../kernel/errors.ts';
import { renderReport } from './report.ts';
import { parseCsv } from './table.ts';
import { train } from './train.ts';
import { runTrainJob, trainInWorker, type TrainJob } from './train-job.ts';

const DATA = '/work/shared/data';
const german = readFileSync(`${DATA}/german_credit.csv`, 'utf8');
const germanSplit = readFileSync(`${DATA}/german_split_seed42.csv`, 'utf8');

const job = (o: Partial<TrainJob['options']> = {}, extra: Partial<TrainJob> = {}): TrainJob => ({
  data: german,
  format: 'csv',
  split: germanSplit,
  options: { target: 'creditability', bad: 'bad', special: [-9], name: 'german', createdAt: '2026-01-01T00:00:00Z', ...o },
  reportTitle: 'Scorecard german',
  ...extra,
});

async function rejection(p: Promise<unknown>): Promise<MingjianError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof MingjianError) return err;
    throw err;
  }
  throw new Error('expected a MingjianError');
}

const plain = (e: MingjianError) => JSON.stringify({ name: e.name, code: e.code, message: e.message, details: e.details });

describe('training on a worker thread', () => {
  it('gives the model, metrics and report of train + renderReport called inline', async () => {
    const direct = train({ table: parseCsv(german, 'data'), target: 'creditability', bad: 'bad', split: { file: parseCsv(germanSplit, 'split'), name: 'split' }, special: [-9], name: 'german', createdAt: '2026-01-01T00:00:00Z' });
    const inWorker = await trainInWorker(job());
    expect(JSON.stringify(inWorker.model)).toBe(JSON.stringify(direct.model));
    expect(JSON.stringify(inWorker.summary)).toBe(JSON.stringify(direct.summary));
    expect(inWorker.html).toBe(renderReport(direct, 'Scorecard german'));
    expect(inWorker.summary.test!.rows).toBe(300);
  });

  it('splits by testShare and seed without a split file, as inline', async () => {
    const j = job({}, { split: undefined, testShare: 0.5, seed: 7 });
    expect(JSON.stringify((await trainInWorker(j)).model)).toBe(JSON.stringify(runTrainJob(j).model));
  });

  it('rejects with the MingjianError training inline throws: same code, message and details', async () => {
    for (const bad of [
      job({ target: 'nope' }),
      job({ exclude: ['missing_column'] }),
      job({}, { split: 'row,set\n0,nowhere\n' }),
      job({}, { data: 'a,b\n' }),
      job({}, { format: 'jsonl', data: '{"a":1}\nnot json\n' }),
    ]) {
      const inline = await rejection(Promise.resolve().then(() => runTrainJob(bad)));
      const fromWorker = await rejection(trainInWorker(bad));
      expect(fromWorker).toBeInstanceOf(MingjianError);
      expect(plain(fromWorker)).toBe(plain(inline));
    }
  });
});
