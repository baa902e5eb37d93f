// Training as one job on plain data, for the service: parse the file (and the split file), train, render the report.
// runTrainJob is the pure function; trainInWorker runs it on a worker thread (src/scorecard/train-worker.ts) so the
// event loop of the service goes on answering decisions meanwhile (training takes seconds on a large file). Only the
// text goes in (one string clones in a blink, a parsed table of 150k rows would not) and only what the service keeps
// comes back: the model, the metrics summary and the report, not the per-row scores.
import { runInWorker } from '../kernel/ts-worker.ts';
import { renderReport } from './report.ts';
import { parseCsv, parseJsonLines } from './table.ts';
import { train, type TrainOptions, type TrainResult } from './train.ts';
import type { ScorecardModel } from './types.ts';

export interface TrainJob {
  /** The training file: CSV with a header, or JSON Lines. */
  data: string;
  format: 'csv' | 'jsonl';
  /** Row-to-set file (CSV `row,set`); without it a stratified split by testShare and seed. */
  split?: string;
  testShare?: number;
  seed?: number;
  /** Everything else train takes (target, bad, oot, special values, exclusions, name, createdAt). */
  options: Omit<TrainOptions, 'table' | 'split' | 'onProgress'>;
  /** Title of the HTML report. */
  reportTitle: string;
}

export interface TrainJobResult {
  model: ScorecardModel;
  summary: TrainResult['summary'];
  /** The self-contained HTML report (renderReport). */
  html: string;
}

/** Parses, trains and renders exactly as the service always has; every problem is the MingjianError train throws. */
export function runTrainJob(job: TrainJob): TrainJobResult {
  const table = job.format === 'jsonl' ? parseJsonLines(job.data, 'data') : parseCsv(job.data, 'data');
  const split: TrainOptions['split'] = job.split !== undefined
    ? { file: parseCsv(job.split, 'split'), name: 'split' }
    : { ...(job.testShare !== undefined ? { testShare: job.testShare } : {}), ...(job.seed !== undefined ? { seed: job.seed } : {}) };
  const result = train({ ...job.options, table, split });
  return { model: result.model, summary: result.summary, html: renderReport(result, job.reportTitle) };
}

/** runTrainJob on a worker thread: the same answer, the same errors (a MingjianError keeps code, message, details). */
export function trainInWorker(job: TrainJob): Promise<TrainJobResult> {
  return runInWorker<TrainJobResult, TrainJob>(new URL('./train-worker.ts', import.meta.url), job);
}
