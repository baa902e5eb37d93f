// Worker threads running TypeScript modules, for CPU-heavy pure work the event loop must not wait on. Workers do not
// inherit the TypeScript loader the main thread runs under (tsx, or vitest in tests): each one registers tsx first,
// then imports its entry module.
//
// Two ways to use a worker:
// - startTsWorker(entry): a bare Worker with a protocol of the caller's own (src/fraud/parallel-load.ts streams chunks);
// - runInWorker(entry, input): one job on a fresh worker whose entry module calls serveWorker(handler). The input and
//   the answer are plain data (structured clone); an error thrown by the handler comes back as the same error: a
//   MingjianError keeps its code, message and details, so the HTTP API answers exactly as if the work ran inline.
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { parentPort, Worker, workerData } from 'node:worker_threads';
import { MingjianError, type ErrorCode, type ErrorDetail } from './errors.ts';

/** workerData key marking a worker started here (serveWorker refuses to answer on any other port). */
const MARK = 'mingjianTsWorker';

let running = 0;

/** Workers started here that have not exited yet (diagnostics and tests: has a job actually left the event loop?). */
export function runningWorkers(): number {
  return running;
}

/** A worker thread running the TypeScript module at `entryUrl` (a file: URL, e.g. `new URL('./x.ts', import.meta.url)`). */
export function startTsWorker(entryUrl: URL): Worker {
  // The package's ESM entry (its CommonJS one registers the hooks from a wrong relative path).
  const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx/esm/api').replace(/index\.cjs$/, 'index.mjs')).href;
  const entry = entryUrl.href;
  const worker = new Worker(`import(${JSON.stringify(tsx)}).then((m) => { m.register(); return import(${JSON.stringify(entry)}); })`, {
    eval: true,
    workerData: { [MARK]: entry },
  });
  running++;
  worker.once('exit', () => running--);
  return worker;
}

/** An error as it crosses the thread boundary (structured clone keeps an Error's message, not its code or details). */
type WireError =
  | { kind: 'mingjian'; code: ErrorCode; message: string; details?: ErrorDetail[]; stack?: string }
  | { kind: 'error'; name: string; message: string; stack?: string };

type Reply<T> = { ok: true; value: T } | { ok: false; error: WireError };

function toWire(err: unknown): WireError {
  if (err instanceof MingjianError || (err instanceof Error && err.name === 'MingjianError' && typeof (err as MingjianError).code === 'string')) {
    const m = err as MingjianError;
    return { kind: 'mingjian', code: m.code, message: m.message, ...(m.details !== undefined ? { details: m.details } : {}), ...(m.stack ? { stack: m.stack } : {}) };
  }
  if (err instanceof Error) return { kind: 'error', name: err.name, message: err.message, ...(err.stack ? { stack: err.stack } : {}) };
  return { kind: 'error', name: 'Error', message: String(err) };
}

function fromWire(w: WireError): Error {
  const err = w.kind === 'mingjian' ? new MingjianError(w.code, w.message, w.details) : Object.assign(new Error(w.message), { name: w.name });
  // The stack of the worker, where it was thrown, is the useful one in a log.
  if (w.stack) err.stack = w.stack;
  return err;
}

/**
 * The worker side of runInWorker: answers the one message the worker receives with handler(input), or with the
 * error it threw. Call it at the top level of the entry module.
 */
export function serveWorker<I, O>(handler: (input: I) => O | Promise<O>): void {
  const port = parentPort;
  if (!port || (workerData as Record<string, unknown> | null)?.[MARK] === undefined) throw new Error('serveWorker: this module is a worker entry; run it with runInWorker');
  port.once('message', async (input: I) => {
    let reply: Reply<O>;
    try {
      reply = { ok: true, value: await handler(input) };
    } catch (err) {
      reply = { ok: false, error: toWire(err) };
    }
    try {
      port.postMessage(reply);
    } catch (err) {
      // The answer itself could not be cloned (a function, a class with private state...): say so rather than hang.
      port.postMessage({ ok: false, error: toWire(err) } satisfies Reply<O>);
    }
  });
}

/**
 * Runs one job on a fresh worker: starts the worker at `entryUrl` (whose module calls serveWorker), posts `input`,
 * and resolves with the answer or rejects with the error the handler threw (a MingjianError stays one). Rejects too
 * when the worker fails (an uncaught error) or exits before answering. The worker is terminated in every case.
 *
 * A worker per job, no pool: the jobs this serves (training a scorecard, routing a day's batch) are rare and take
 * from a fraction of a second to seconds, so starting a thread and loading its modules (some tenths of a second) is
 * small beside them, and nothing stays resident between jobs. Jobs run concurrently, each on its own thread.
 *
 * Shutdown: in the service a job belongs to a request, and the server's graceful close waits for requests in flight,
 * so it waits for the job (training is bounded by its file, routing by its time limit) and answers it; exiting the
 * process (process.exit) ends the thread with it.
 */
export function runInWorker<O, I = unknown>(entryUrl: URL, input: I): Promise<O> {
  return new Promise<O>((resolve, reject) => {
    const worker = startTsWorker(entryUrl);
    let settled = false;
    const settle = (fn: () => void) => {
      if (settled) return;
      settled = true;
      // Resolve only once the thread is gone, so a caller that goes on to close the process leaves nothing behind.
      worker.terminate().then(fn, fn);
    };
    worker.once('message', (reply: Reply<O>) => settle(() => (reply.ok ? resolve(reply.value) : reject(fromWire(reply.error)))));
    worker.once('error', (err) => settle(() => reject(err)));
    worker.once('exit', (code) => settle(() => reject(new Error(`worker ${entryUrl.pathname} exited with code ${code} before answering`))));
    try {
      worker.postMessage(input);
    } catch (err) {
      settle(() => reject(err));
    }
  });
}
