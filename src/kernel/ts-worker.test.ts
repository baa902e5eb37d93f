import { describe, expect, it } from 'vitest';
import { MingjianError } from './errors.ts';
import { runInWorker, runningWorkers, serveWorker } from './ts-worker.ts';
import type { FixtureJob } from './ts-worker.fixture.ts';

const FIXTURE = new URL('./ts-worker.fixture.ts', import.meta.url);
const run = (job: FixtureJob) => runInWorker<any, FixtureJob>(FIXTURE, job);

async function rejection(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected a rejection');
}

describe('runInWorker', () => {
  it('posts plain data to a TypeScript worker and resolves with its answer, typed arrays and maps included', async () => {
    const value = { text: 'é', n: -0, list: [1, null, { deep: true }], bytes: Int32Array.from([3, -1]), map: new Map([['k', 1]]) };
    const answer = await run({ kind: 'echo', value });
    expect(answer).toEqual({ value, mainThread: false });
    expect(answer.value.bytes).toBeInstanceOf(Int32Array);
    expect(await run({ kind: 'async', value: 7 })).toEqual({ value: 7 });
    // The worker is gone once the promise settles.
    expect(runningWorkers()).toBe(0);
  });

  it('rejects with the same MingjianError the handler threw: code, message, details', async () => {
    const expected = new MingjianError('VALIDATION', "target column 'nope' is not in the data", [{ path: 'nope', message: 'not found; columns are: a, b' }, { path: 'row 3', line: 5, message: 'bad', expected: 'a date' }]);
    const err = await rejection(run({ kind: 'mingjian', details: true }));
    expect(err).toBeInstanceOf(MingjianError);
    expect({ name: err.name, code: (err as MingjianError).code, message: err.message, details: (err as MingjianError).details }).toEqual({ name: expected.name, code: expected.code, message: expected.message, details: expected.details });
    expect(JSON.stringify((err as MingjianError).details)).toBe(JSON.stringify(expected.details));
    // The stack says where it was thrown: in the worker.
    expect(err.stack).toMatch(/ts-worker\.fixture\.ts/);
    const bare = await rejection(run({ kind: 'mingjian' }));
    expect(bare).toBeInstanceOf(MingjianError);
    expect((bare as MingjianError).details).toBeUndefined();
    expect(runningWorkers()).toBe(0);
  });

  it('rejects with a plain error of the same name and message, and when the worker crashes, exits or answers what cannot be cloned', async () => {
    const plain = await rejection(run({ kind: 'plain' }));
    expect(plain).not.toBeInstanceOf(MingjianError);
    expect([plain.name, plain.message]).toEqual(['RangeError', 'out of range in the worker']);
    expect((await rejection(run({ kind: 'crash' }))).message).toBe('uncaught in the worker');
    expect((await rejection(run({ kind: 'exit', code: 3 }))).message).toMatch(/exited with code 3 before answering/);
    expect((await rejection(run({ kind: 'unclonable' }))).name).toBe('DataCloneError');
    expect(runningWorkers()).toBe(0);
  });

  it('rejects input that cannot be cloned, and serveWorker refuses to run outside a worker it started', async () => {
    await expect(runInWorker(FIXTURE, { kind: 'echo', value: () => 1 })).rejects.toThrow(/could not be cloned/);
    expect(runningWorkers()).toBe(0);
    expect(() => serveWorker(() => 1)).toThrow(/worker entry/);
  });
});
