// Loads a JSONL file of applications into an identity graph with worker threads: workers parse, validate and hash
// byte ranges (the CPU-heavy part), the main thread interns and appends them strictly in file order, so the graph is
// the one a sequential load builds. A bad line is reported with its line number in the whole file.
import { closeSync, openSync, readSync, statSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import type { Worker } from 'node:worker_threads';
import { MingjianError, type ErrorDetail } from '../kernel/errors.ts';
import { startTsWorker } from '../kernel/ts-worker.ts';
import { HashedIdentifiers } from './application-identifiers.ts';
import { IdentityGraph } from './identity-graph.ts';
import type { ChunkRequest, ChunkResult } from './jsonl-chunk-worker.ts';

const CHUNK_BYTES = 8 << 20;

/** Byte offsets splitting the file at line starts, about CHUNK_BYTES apart. */
function chunkBoundaries(file: string, size: number, chunkBytes: number): number[] {
  const bounds = [0];
  const fd = openSync(file, 'r');
  const probe = Buffer.allocUnsafe(1 << 16);
  try {
    let pos = chunkBytes;
    while (pos < size) {
      let found = -1;
      for (let at = pos; at < size && found < 0; at += probe.length) {
        const n = readSync(fd, probe, 0, probe.length, at);
        const i = probe.subarray(0, n).indexOf(10);
        if (i >= 0) found = at + i + 1;
      }
      if (found < 0 || found >= size) break;
      bounds.push(found);
      pos = found + chunkBytes;
    }
  } finally {
    closeSync(fd);
  }
  bounds.push(size);
  return bounds;
}

/** A worker parsing chunks (the thread's TypeScript loader is set up by startTsWorker). */
function startWorker(): Worker {
  return startTsWorker(new URL('./jsonl-chunk-worker.ts', import.meta.url));
}

export interface ParallelLoadOptions {
  workers?: number;
  /** Bytes per work unit (default 8 MiB). */
  chunkBytes?: number;
}

export async function loadGraphParallel(file: string, key: Uint8Array, opts: ParallelLoadOptions = {}): Promise<IdentityGraph> {
  let size: number;
  try {
    size = statSync(file).size;
  } catch (err) {
    throw new MingjianError('NOT_FOUND', `cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  const bounds = chunkBoundaries(file, size, opts.chunkBytes ?? CHUNK_BYTES);
  const chunks = bounds.length - 1;
  const graph = new IdentityGraph({ applications: Math.max(1024, Math.ceil(size / 300)) });
  if (chunks <= 0) return graph;
  const workerCount = Math.max(1, Math.min(opts.workers ?? Math.max(2, availableParallelism()), chunks, 8));
  const workers = Array.from({ length: workerCount }, startWorker);
  const results = new Map<number, ChunkResult>();
  let nextToSend = 0;
  let nextToAdd = 0;
  let linesBefore = 0;
  const scratch = new HashedIdentifiers();
  try {
    await new Promise<void>((resolve, reject) => {
      const send = (w: Worker) => {
        // Bounded look-ahead: at most two chunks per worker wait to be added, so memory stays flat.
        if (nextToSend >= chunks || nextToSend - nextToAdd >= workerCount * 2) return false;
        const req: ChunkRequest = { file, start: bounds[nextToSend]!, end: bounds[nextToSend + 1]!, chunk: nextToSend, key };
        nextToSend++;
        w.postMessage(req);
        return true;
      };
      const idle: Worker[] = [];
      const drain = () => {
        while (results.has(nextToAdd)) {
          const r = results.get(nextToAdd)!;
          results.delete(nextToAdd);
          if (r.error) {
            const line = linesBefore + r.error.localLine;
            const details = (r.error.details as ErrorDetail[]).map((d) => ({ ...d, line }));
            throw new MingjianError(r.error.code as MingjianError['code'], r.error.message.replace(/^line \d+/, `line ${line}`), details);
          }
          for (let i = 0; i < r.ids.length; i++) {
            scratch.n = 0;
            for (let p = r.offsets[i]!; p < r.offsets[i + 1]!; p++) scratch.push(r.hi[p]!, r.lo[p]!, r.role[p]!);
            graph.addApplication(r.ids[i]!, r.appliedAt[i]!, r.status[i]!, scratch);
          }
          linesBefore += r.lines;
          nextToAdd++;
        }
        while (idle.length && send(idle[idle.length - 1]!)) idle.pop();
        if (nextToAdd >= chunks) resolve();
      };
      for (const w of workers) {
        w.on('message', (r: ChunkResult) => {
          results.set(r.chunk, r);
          if (!send(w)) idle.push(w);
          try {
            drain();
          } catch (err) {
            reject(err);
          }
        });
        w.on('error', reject);
        if (!send(w)) idle.push(w);
      }
    });
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
  return graph;
}
