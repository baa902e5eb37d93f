// Batch routing on a worker thread, for the service: the LP/MIP solve of a day's batch takes up to seconds (the MIP
// runs to its time limit), and the event loop of the service goes on answering decisions meanwhile. The problem and
// the result are plain data; the worker reads its own clock (a function cannot cross the thread boundary).
import { runInWorker } from '../kernel/ts-worker.ts';
import type { RoutingProblem } from './model.ts';
import type { RouteOptions, RouteResult } from './route.ts';

export interface RouteJob {
  problem: RoutingProblem;
  options: Omit<RouteOptions, 'clock'>;
}

/** routeBatch(problem, { ...options, clock: performance.now }) on a worker thread (src/routing/route-worker.ts). */
export function routeBatchInWorker(problem: RoutingProblem, options: Omit<RouteOptions, 'clock'> = {}): Promise<RouteResult> {
  return runInWorker<RouteResult, RouteJob>(new URL('./route-worker.ts', import.meta.url), { problem, options });
}
