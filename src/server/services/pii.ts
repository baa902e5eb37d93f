// Personal data in decision records: sealed (encrypted) by the flow's pii paths before storage; on the way out every
// sealed value is either masked or, for callers allowed and asking, decrypted. Sealed values carry their own marker,
// so reading needs no knowledge of which flow version marked which field.
import { isSealed, maskValue, type KeyRing } from '../../kernel/crypto.ts';

type Transform = (value: unknown) => unknown;

function applyAt(value: unknown, segments: string[], fn: Transform): unknown {
  if (value === null || value === undefined) return value;
  if (Array.isArray(value)) return value.map((item) => applyAt(item, segments, fn));
  if (segments.length === 0) return fn(value);
  if (typeof value !== 'object') return value;
  const [head, ...rest] = segments as [string, ...string[]];
  const obj = value as Record<string, unknown>;
  if (!(head in obj)) return value;
  return { ...obj, [head]: applyAt(obj[head], rest, fn) };
}

/** A pii path's segments (list markers dropped), split once per path: flows have few, and the decision path reuses them. */
const splitPaths = new Map<string, string[]>();
const segmentsOf = (path: string): string[] => {
  let segments = splitPaths.get(path);
  if (!segments) splitPaths.set(path, (segments = path.replace(/\[[^\]]*\]/g, '').split('.').filter(Boolean)));
  return segments;
};

/** Encrypts the values at the given dotted paths (list items included); other values are left as they are. */
export function sealPaths(data: unknown, piiPaths: readonly string[], keyRing: KeyRing): unknown {
  const seal = (v: unknown) => (isSealed(v) ? v : keyRing.encrypt(JSON.stringify(v)));
  if (piiPaths.length === 0 || data === null || typeof data !== 'object' || Array.isArray(data)) {
    let out = data;
    for (const path of piiPaths) out = applyAt(out, segmentsOf(path), seal);
    return out;
  }
  // An application: one copy of its top level, each personal field replaced in it (the caller's object is untouched).
  const out: Record<string, unknown> = { ...(data as Record<string, unknown>) };
  for (const path of piiPaths) {
    const [head, ...rest] = segmentsOf(path);
    if (head !== undefined && head in out) out[head] = applyAt(out[head], rest, seal);
  }
  return out;
}

/** Seals trace values read from pii fields (rule conditions record the values they read, keyed by field path). */
export function sealTraceValues(trace: unknown, piiPaths: readonly string[], keyRing: KeyRing): unknown {
  if (piiPaths.length === 0) return trace;
  const names = new Set<string>();
  for (const p of piiPaths) {
    const segs = segmentsOf(p);
    names.add(segs.join('.'));
    names.add(segs[segs.length - 1]!);
  }
  const walk = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(walk);
    if (v === null || typeof v !== 'object') return v;
    const out: Record<string, unknown> = {};
    for (const [k, val] of Object.entries(v as Record<string, unknown>)) {
      out[k] = names.has(k) && val !== null && val !== undefined && (typeof val !== 'object' || Array.isArray(val)) ? (isSealed(val) ? val : keyRing.encrypt(JSON.stringify(val))) : walk(val);
    }
    return out;
  };
  return walk(trace);
}

/** Replaces every sealed value: `mask` shows `138****5678`, `reveal` decrypts. */
export function openSealed(data: unknown, keyRing: KeyRing, mode: 'mask' | 'reveal'): unknown {
  if (isSealed(data)) {
    const plain = JSON.parse(keyRing.decrypt(data)) as unknown;
    return mode === 'reveal' ? plain : maskValue(plain);
  }
  if (Array.isArray(data)) return data.map((v) => openSealed(v, keyRing, mode));
  if (data === null || typeof data !== 'object') return data;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(data as Record<string, unknown>)) out[k] = openSealed(v, keyRing, mode);
  return out;
}

/** Masks the values at the pii paths of data that was never sealed (a fresh evaluation's trace or input echo). */
export function maskPaths(data: unknown, piiPaths: readonly string[]): unknown {
  let out = data;
  for (const path of piiPaths) out = applyAt(out, segmentsOf(path), (v) => maskValue(v));
  return out;
}

export function containsSealed(data: unknown): boolean {
  if (isSealed(data)) return true;
  if (Array.isArray(data)) return data.some(containsSealed);
  if (data === null || typeof data !== 'object') return false;
  return Object.values(data as Record<string, unknown>).some(containsSealed);
}
