// Worker for parallel loading: parses, validates and hashes one byte range of a JSONL file of applications and
// returns the hashed identifiers as typed arrays (transferred, not copied). The main thread interns them in file order.
import { openSync, readSync, closeSync } from 'node:fs';
import { parentPort } from 'node:worker_threads';
import { MingjianError } from '../kernel/errors.ts';
import { parseApplicationLine } from './application-record.ts';
import { HashedIdentifiers, IdentifierHasher, statusCode } from './application-identifiers.ts';

export interface ChunkRequest {
  file: string;
  start: number;
  end: number;
  chunk: number;
  key: Uint8Array;
}

export interface ChunkResult {
  chunk: number;
  /** Lines in the range, blank ones included (to number lines across chunks). */
  lines: number;
  ids: string[];
  appliedAt: Float64Array;
  status: Uint8Array;
  /** Identifiers of application i are [offsets[i], offsets[i+1]). */
  offsets: Int32Array;
  hi: Int32Array;
  lo: Int32Array;
  role: Uint8Array;
  error?: { localLine: number; message: string; code: string; details: unknown[] };
}

let hasher: IdentifierHasher | null = null;
let hasherKey: Uint8Array | null = null;

function parseChunk(req: ChunkRequest): ChunkResult {
  if (!hasher || hasherKey !== req.key) { hasher = new IdentifierHasher(req.key); hasherKey = req.key; }
  const fd = openSync(req.file, 'r');
  const buf = Buffer.allocUnsafe(req.end - req.start);
  try {
    let off = 0;
    while (off < buf.length) {
      const n = readSync(fd, buf, off, buf.length - off, req.start + off);
      if (n === 0) break;
      off += n;
    }
  } finally {
    closeSync(fd);
  }
  const text = buf.toString('utf8');
  const ids: string[] = [];
  let cap = 1 << 14;
  let appliedAt = new Float64Array(cap), status = new Uint8Array(cap), offsets = new Int32Array(cap + 1);
  let icap = cap * 12;
  let hi = new Int32Array(icap), lo = new Int32Array(icap), role = new Uint8Array(icap);
  const scratch = new HashedIdentifiers();
  let n = 0, m = 0, lines = 0, start = 0;
  while (start < text.length) {
    let nl = text.indexOf('\n', start);
    if (nl < 0) nl = text.length;
    lines++;
    const line = text.slice(start, nl);
    start = nl + 1;
    if (line.trim() === '') continue;
    let r;
    try {
      r = parseApplicationLine(line, lines, req.file);
    } catch (err) {
      const e = err as MingjianError;
      return { chunk: req.chunk, lines, ids, appliedAt, status, offsets, hi, lo, role, error: { localLine: lines, message: e.message, code: e.code ?? 'VALIDATION', details: e.details ?? [] } };
    }
    hasher.hashApplication(r, scratch);
    if (n + 1 >= cap) {
      cap *= 2;
      const a = new Float64Array(cap); a.set(appliedAt); appliedAt = a;
      const s = new Uint8Array(cap); s.set(status); status = s;
      const o = new Int32Array(cap + 1); o.set(offsets); offsets = o;
    }
    if (m + scratch.n > icap) {
      icap = Math.max(icap * 2, m + scratch.n);
      const h = new Int32Array(icap); h.set(hi); hi = h;
      const l = new Int32Array(icap); l.set(lo); lo = l;
      const ro = new Uint8Array(icap); ro.set(role); role = ro;
    }
    ids.push(r.applicationId);
    appliedAt[n] = r.appliedAtMs;
    status[n] = statusCode(r.status);
    for (let i = 0; i < scratch.n; i++) { hi[m] = scratch.hi[i]!; lo[m] = scratch.lo[i]!; role[m] = scratch.role[i]!; m++; }
    n++;
    offsets[n] = m;
  }
  return { chunk: req.chunk, lines, ids, appliedAt, status, offsets, hi, lo, role };
}

parentPort?.on('message', (req: ChunkRequest) => {
  const res = parseChunk(req);
  parentPort!.postMessage(res, [res.appliedAt.buffer, res.status.buffer, res.offsets.buffer, res.hi.buffer, res.lo.buffer, res.role.buffer] as ArrayBuffer[]);
});
