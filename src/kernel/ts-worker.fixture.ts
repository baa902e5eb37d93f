// Worker entry for src/kernel/ts-worker.test.ts: does what the message asks, to exercise each way a job can end.
import { MingjianError } from './errors.ts';
import { serveWorker } from './ts-worker.ts';

export type FixtureJob =
  | { kind: 'echo'; value: unknown }
  | { kind: 'async'; value: unknown }
  | { kind: 'mingjian'; details?: boolean }
  | { kind: 'plain' }
  | { kind: 'crash' }
  | { kind: 'exit'; code: number }
  | { kind: 'unclonable' };

serveWorker(async (job: FixtureJob) => {
  switch (job.kind) {
    case 'echo':
      return { value: job.value, mainThread: false };
    case 'async':
      await new Promise((r) => setTimeout(r, 5));
      return { value: job.value };
    case 'mingjian':
      throw new MingjianError('VALIDATION', "target column 'nope' is not in the data", job.details ? [{ path: 'nope', message: 'not found; columns are: a, b' }, { path: 'row 3', line: 5, message: 'bad', expected: 'a date' }] : undefined);
    case 'plain':
      throw new RangeError('out of range in the worker');
    case 'crash':
      // Thrown outside the handler: an uncaught error ends the worker.
      setTimeout(() => {
        throw new Error('uncaught in the worker');
      }, 0);
      return new Promise(() => {});
    case 'exit':
      process.exit(job.code);
      break;
    case 'unclonable':
      return { f: () => 1 };
  }
  return null;
});
