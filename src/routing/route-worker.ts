// Worker thread entry of routeBatchInWorker (src/routing/route-job.ts): one batch, timed by this thread's clock, then
// the thread ends (and its HiGHS instance with it).
import { serveWorker } from '../kernel/ts-worker.ts';
import { routeBatch } from './route.ts';
import type { RouteJob } from './route-job.ts';

serveWorker((job: RouteJob) => routeBatch(job.problem, { ...job.options, clock: () => performance.now() }));
