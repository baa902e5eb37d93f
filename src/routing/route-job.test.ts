// The service routes a batch on a worker thread: the same result as routeBatch inline, timed by the worker's clock.
import { describe, expect, it } from 'vitest';
import { demoFunders, demoLoans } from './demo.ts';
import { routeBatch } from './route.ts';
import { routeBatchInWorker } from './route-job.ts';

describe('batch routing on a worker thread', () => {
  it('gives the assignment, objective, bound and prices of routeBatch inline', async () => {
    const problem = { loans: demoLoans({ seed: 3, count: 300 }), funders: demoFunders({ seed: 42, batchLoans: 300 }) };
    const inline = await routeBatch(problem, { method: 'lp', clock: () => performance.now() });
    const inWorker = await routeBatchInWorker(problem, { method: 'lp' });
    expect(inWorker.assign).toBeInstanceOf(Int32Array);
    const timeless = ({ seconds, greedySeconds, solver: { improveSeconds, ...solver }, ...rest }: typeof inline) => ({ ...rest, solver, timed: [seconds, greedySeconds, improveSeconds].map((s) => typeof s) });
    expect(timeless(inWorker)).toEqual(timeless(inline));
    expect(inWorker.fundedLoans).toBeGreaterThan(0);
    // The worker read a clock of its own.
    expect(inWorker.seconds).toBeGreaterThan(0);
  });
});
