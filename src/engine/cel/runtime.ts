// Runtime helpers the generated code calls. Kept tiny and monomorphic so V8 inlines them.
// Errors raised here are EvalFailure, which the flow's evaluate wrapper turns into a DecisionFailure.

export class EvalFailure extends Error {
  constructor(message: string, public node?: string, public path?: string) {
    super(message);
  }
}

function fail(msg: string): never {
  throw new EvalFailure(msg);
}

const MAX = Number.MAX_SAFE_INTEGER;

/** A scorecard attribute's value that lands in its missing bin: null, NaN, or missing text ('', 'NA', ...). */
export { isMissing } from '../../kernel/missing-values.ts';

export function iadd(a: number, b: number): number {
  const r = a + b;
  return r <= MAX && r >= -MAX ? r : fail('integer overflow');
}
export function isub(a: number, b: number): number {
  const r = a - b;
  return r <= MAX && r >= -MAX ? r : fail('integer overflow');
}
export function imul(a: number, b: number): number {
  const r = a * b;
  return r <= MAX && r >= -MAX ? r + 0 : fail('integer overflow');
}
export function idiv(a: number, b: number): number {
  if (b === 0) fail('division by zero');
  return Math.trunc(a / b) + 0;
}
export function imod(a: number, b: number): number {
  if (b === 0) fail('modulus by zero');
  return (a % b) + 0;
}
export function ineg(a: number): number {
  return -a + 0;
}

/** Deep equality for lists, maps and objects (CEL ==). Numbers compare across int/double. */
export function eq(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (a === null || b === null || typeof a !== 'object' || typeof b !== 'object') {
    return typeof a === 'number' && typeof b === 'number' ? a === b : false;
  }
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!eq(a[i], b[i])) return false;
    return true;
  }
  if (a instanceof Map) {
    if (!(b instanceof Map) || a.size !== b.size) return false;
    for (const [k, v] of a) if (!b.has(k) || !eq(v, b.get(k))) return false;
    return true;
  }
  if (Array.isArray(b) || b instanceof Map) return false;
  const ka = Object.keys(a as object), kb = Object.keys(b as object);
  if (ka.length !== kb.length) return false;
  for (const k of ka) if (!eq((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k])) return false;
  return true;
}

export function inList(x: unknown, list: unknown[]): boolean {
  for (let i = 0; i < list.length; i++) if (eq(x, list[i])) return true;
  return false;
}

export function index(list: unknown[], i: number): unknown {
  if (!Number.isInteger(i) || i < 0 || i >= list.length) fail(`index ${i} out of range (size ${list.length})`);
  return list[i];
}

export function mapGet(m: unknown, key: unknown): unknown {
  if (m instanceof Map) {
    if (!m.has(key)) fail(`no such key: ${String(key)}`);
    return m.get(key);
  }
  if (m !== null && typeof m === 'object' && typeof key === 'string' && Object.hasOwn(m, key)) return (m as Record<string, unknown>)[key];
  return fail(`no such key: ${String(key)}`);
}

export function mapHas(m: unknown, key: unknown): boolean {
  if (m instanceof Map) return m.has(key);
  return m !== null && typeof m === 'object' && typeof key === 'string' && Object.hasOwn(m, key);
}

/** CEL size of a string counts code points, not UTF-16 units. */
export function strSize(s: string): number {
  let n = s.length;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff) n--;
  }
  return n;
}

export function size(x: unknown): number {
  if (typeof x === 'string') return strSize(x);
  if (Array.isArray(x)) return x.length;
  if (x instanceof Map) return x.size;
  if (x !== null && typeof x === 'object') return Object.keys(x).length;
  return fail('size() needs a string, list or map');
}

export function toInt(x: unknown): number {
  if (typeof x === 'number') {
    if (!Number.isFinite(x)) fail(`cannot convert ${x} to int`);
    const r = Math.trunc(x) + 0;
    if (r > MAX || r < -MAX) fail('integer overflow');
    return r;
  }
  if (typeof x === 'string') {
    if (!/^[+-]?\d+$/.test(x)) fail(`cannot convert '${x}' to int`);
    const r = Number(x);
    if (r > MAX || r < -MAX) fail('integer overflow');
    return r;
  }
  if (typeof x === 'boolean') return fail('cannot convert bool to int');
  return fail(`cannot convert ${typeof x} to int`);
}

export function toDouble(x: unknown): number {
  if (typeof x === 'number') return x;
  if (typeof x === 'string') {
    const r = Number(x);
    if (x.trim() === '' || Number.isNaN(r) && x !== 'NaN') fail(`cannot convert '${x}' to double`);
    return r;
  }
  return fail(`cannot convert ${typeof x} to double`);
}

export function toStr(x: unknown, isInt: boolean): string {
  if (typeof x === 'string') return x;
  if (typeof x === 'number') {
    if (isInt) return String(x);
    if (Number.isInteger(x) && Math.abs(x) < 1e21) return String(x);
    return String(x);
  }
  if (typeof x === 'boolean') return x ? 'true' : 'false';
  if (x === null) return 'null';
  return fail(`cannot convert ${typeof x} to string`);
}

/** Rounds half away from zero (the rounding finance expects), optionally to `digits` decimals. */
export function round(x: number, digits = 0): number {
  const f = 10 ** digits;
  const y = Math.abs(x) * f;
  const r = Math.round(y);
  // Math.round rounds .5 up; correct for floating representation like 1.005 by nudging with an epsilon relative to y.
  const adj = Math.abs(y - Math.trunc(y) - 0.5) < 1e-9 * Math.max(1, y) ? Math.trunc(y) + 1 : r;
  return (Math.sign(x) * adj) / f + 0;
}

export function regex(cache: Map<string, RegExp>, pattern: string): RegExp {
  let re = cache.get(pattern);
  if (!re) {
    try {
      re = new RegExp(pattern, 'u');
    } catch {
      fail(`invalid regular expression: ${pattern}`);
    }
    cache.set(pattern, re);
  }
  return re;
}

// ----------------------------------------------------------------- dates and time
// Dates are 'YYYY-MM-DD' strings; timestamps are epoch milliseconds. `now` comes from the evaluate options.

const DAY = 86_400_000;

export function dateToEpochDay(d: string): number {
  return Math.floor(Date.UTC(+d.slice(0, 4), +d.slice(5, 7) - 1, +d.slice(8, 10)) / DAY);
}

function toEpochMs(x: string | number): number {
  return typeof x === 'number' ? x : Date.UTC(+x.slice(0, 4), +x.slice(5, 7) - 1, +x.slice(8, 10));
}

export function epochMsToDate(ms: number): string {
  return new Date(Math.floor(ms / DAY) * DAY).toISOString().slice(0, 10);
}

/** Whole years between a birth date and the `asOf` instant (birthday counted on its day; 29 Feb -> 1 Mar in common years). */
export function ageYears(birth: string, asOf: string | number): number {
  const b = new Date(toEpochMs(birth));
  const a = new Date(toEpochMs(asOf));
  let years = a.getUTCFullYear() - b.getUTCFullYear();
  const am = a.getUTCMonth(), ad = a.getUTCDate(), bm = b.getUTCMonth(), bd = b.getUTCDate();
  if (am < bm || (am === bm && ad < bd)) years--;
  return years;
}

export function daysBetween(from: string | number, to: string | number): number {
  return Math.floor(toEpochMs(to) / DAY) - Math.floor(toEpochMs(from) / DAY);
}

/** Whole calendar months from `from` to `to` (negative when `to` is earlier). */
export function monthsBetween(from: string | number, to: string | number): number {
  const a = new Date(toEpochMs(from)), b = new Date(toEpochMs(to));
  let m = (b.getUTCFullYear() - a.getUTCFullYear()) * 12 + (b.getUTCMonth() - a.getUTCMonth());
  if (m > 0 && b.getUTCDate() < a.getUTCDate()) m--;
  else if (m < 0 && b.getUTCDate() > a.getUTCDate()) m++;
  return m;
}

export function addDays(d: string, n: number): string {
  return epochMsToDate(toEpochMs(d) + n * DAY);
}

export function parseDate(s: string): string {
  if (!isIsoDate(s)) fail(`'${s}' is not a date (YYYY-MM-DD)`);
  return s;
}

export function parseTimestamp(s: string): number {
  const ms = Date.parse(s);
  if (Number.isNaN(ms) || !/^\d{4}-\d{2}-\d{2}T/.test(s)) fail(`'${s}' is not an ISO 8601 timestamp`);
  return ms;
}

export function isIsoDate(s: string): boolean {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(s)) return false;
  const d = new Date(s + 'T00:00:00Z');
  return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === s;
}

/** Day of week of a timestamp or date, 0 = Sunday (UTC). */
export function dayOfWeek(x: string | number): number {
  return new Date(toEpochMs(x)).getUTCDay();
}

export function hourOf(ts: number): number {
  return new Date(ts).getUTCHours();
}

export function resolveNow(now: string | number | undefined): number {
  if (now === undefined) return Date.now();
  if (typeof now === 'number') return now;
  const ms = Date.parse(now);
  if (Number.isNaN(ms)) fail(`options.now '${now}' is not an ISO timestamp`);
  return ms;
}

// ----------------------------------------------------------------- lists

export function sum(list: number[]): number {
  let s = 0;
  for (let i = 0; i < list.length; i++) s += list[i]!;
  return s;
}

export function minOf(args: number[]): number {
  if (args.length === 0) fail('min() of an empty list');
  let m = args[0]!;
  for (let i = 1; i < args.length; i++) if (args[i]! < m) m = args[i]!;
  return m;
}

export function maxOf(args: number[]): number {
  if (args.length === 0) fail('max() of an empty list');
  let m = args[0]!;
  for (let i = 1; i < args.length; i++) if (args[i]! > m) m = args[i]!;
  return m;
}

export function failEval(msg: string): never {
  return fail(msg);
}
