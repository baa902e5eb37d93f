// Decision-table condition cells (DMN unary tests) and the compile-time analysis of a table:
// overlapping rules and gaps where the hit policy needs uniqueness.

import { lit } from './cel/compile-expr.ts';
import type { Cell } from './types.ts';

type Scalar = string | number | boolean | null;

/** Normalised test: `any`, a union of numeric intervals, or a (possibly negated) set of discrete values. */
export type CellTest =
  | { kind: 'any' }
  | { kind: 'intervals'; intervals: Interval[] }
  | { kind: 'set'; values: Scalar[]; negate: boolean };

export interface Interval {
  lo: number; // -Infinity when open
  loInc: boolean;
  hi: number; // Infinity when open
  hiInc: boolean;
}

export class CellSyntaxError extends Error {}

const NUM = String.raw`[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?`;
const RANGE = new RegExp(String.raw`^([\[\(\]])\s*(${NUM})\s*\.\.\s*(${NUM})\s*([\]\)\[])$`);
const CMP = new RegExp(String.raw`^(<=|>=|<|>|!=|=)\s*(.+)$`);

function parseScalar(s: string): Scalar {
  const t = s.trim();
  if (t === 'true') return true;
  if (t === 'false') return false;
  if (t === 'null') return null;
  if (new RegExp(`^${NUM}$`).test(t)) return Number(t);
  if ((t.startsWith('"') && t.endsWith('"') && t.length >= 2) || (t.startsWith("'") && t.endsWith("'") && t.length >= 2)) {
    const body = t.slice(1, -1);
    if (t[0] === '"') {
      try {
        return JSON.parse(t) as string;
      } catch {
        throw new CellSyntaxError(`bad string literal ${t}`);
      }
    }
    return body;
  }
  if (/^[A-Za-z_][A-Za-z0-9_ -]*$/.test(t)) return t; // bare word: the string itself
  throw new CellSyntaxError(`cannot read '${t}' as a value (quote strings: "A")`);
}

/** Splits a comma list while respecting quotes. */
function splitList(s: string): string[] {
  const out: string[] = [];
  let cur = '';
  let q: string | null = null;
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (q) {
      cur += c;
      if (c === '\\') { cur += s[++i] ?? ''; continue; }
      if (c === q) q = null;
    } else if (c === '"' || c === "'") {
      q = c;
      cur += c;
    } else if (c === ',') {
      out.push(cur);
      cur = '';
    } else cur += c;
  }
  if (q) throw new CellSyntaxError('unterminated quote');
  out.push(cur);
  return out.map((x) => x.trim());
}

/** Parses one condition cell. */
export function parseCell(cell: Cell): CellTest {
  if (cell === null) return { kind: 'set', values: [null], negate: false };
  if (typeof cell === 'number') return { kind: 'intervals', intervals: [{ lo: cell, loInc: true, hi: cell, hiInc: true }] };
  if (typeof cell === 'boolean') return { kind: 'set', values: [cell], negate: false };
  if (typeof cell === 'object') {
    if ('in' in cell) return setOf(cell.in as Scalar[], false);
    if ('not' in cell) return setOf(cell.not as Scalar[], true);
    const c = cell as { min?: number; max?: number; minInclusive?: boolean; maxInclusive?: boolean };
    return { kind: 'intervals', intervals: [{ lo: c.min ?? -Infinity, loInc: c.min !== undefined ? c.minInclusive ?? true : false, hi: c.max ?? Infinity, hiInc: c.max !== undefined ? c.maxInclusive ?? false : false }] };
  }
  const s = cell.trim();
  if (s === '' || s === '-') return { kind: 'any' };
  const notMatch = /^not\s*\((.*)\)$/s.exec(s);
  if (notMatch) {
    const inner = parseCell(notMatch[1]!);
    if (inner.kind === 'set') return { ...inner, negate: !inner.negate };
    if (inner.kind === 'intervals') return { kind: 'intervals', intervals: complement(inner.intervals) };
    throw new CellSyntaxError('not(-) matches nothing');
  }
  const range = RANGE.exec(s);
  if (range) {
    const lo = Number(range[2]), hi = Number(range[3]);
    if (lo > hi) throw new CellSyntaxError(`empty range ${s}: ${lo} > ${hi}`);
    return { kind: 'intervals', intervals: [{ lo, loInc: range[1] === '[', hi, hiInc: range[4] === ']' }] };
  }
  const cmp = CMP.exec(s);
  if (cmp) {
    const op = cmp[1]!;
    const v = parseScalar(cmp[2]!);
    if (op === '=' || op === '!=') return v !== null && typeof v === 'number' && op === '='
      ? { kind: 'intervals', intervals: [{ lo: v, loInc: true, hi: v, hiInc: true }] }
      : setOf([v], op === '!=');
    if (typeof v !== 'number') throw new CellSyntaxError(`'${op}' needs a number, got ${JSON.stringify(v)}`);
    switch (op) {
      case '<': return { kind: 'intervals', intervals: [{ lo: -Infinity, loInc: false, hi: v, hiInc: false }] };
      case '<=': return { kind: 'intervals', intervals: [{ lo: -Infinity, loInc: false, hi: v, hiInc: true }] };
      case '>': return { kind: 'intervals', intervals: [{ lo: v, loInc: false, hi: Infinity, hiInc: false }] };
      default: return { kind: 'intervals', intervals: [{ lo: v, loInc: true, hi: Infinity, hiInc: false }] };
    }
  }
  const parts = splitList(s);
  const values = parts.map(parseScalar);
  if (values.every((v) => typeof v === 'number')) {
    return { kind: 'intervals', intervals: (values as number[]).map((v) => ({ lo: v, loInc: true, hi: v, hiInc: true })) };
  }
  return setOf(values, false);
}

function setOf(values: Scalar[], negate: boolean): CellTest {
  return { kind: 'set', values: [...new Set(values)], negate };
}

function complement(iv: Interval[]): Interval[] {
  const sorted = [...iv].sort((a, b) => a.lo - b.lo);
  const out: Interval[] = [];
  let lo = -Infinity, loInc = false;
  for (const x of sorted) {
    if (x.lo > lo || (x.lo === lo && !x.loInc && loInc)) out.push({ lo, loInc, hi: x.lo, hiInc: !x.loInc });
    lo = x.hi;
    loInc = !x.hiInc;
  }
  if (lo < Infinity) out.push({ lo, loInc, hi: Infinity, hiInc: false });
  return out;
}

/** JavaScript condition for a test applied to the value in `v` (a generated identifier). */
export function cellCode(t: CellTest, v: string): string {
  switch (t.kind) {
    case 'any': return 'true';
    case 'intervals': {
      const parts = t.intervals.map((i) => {
        if (i.lo === i.hi && i.loInc && i.hiInc) return `${v} === ${lit(i.lo)}`;
        const c: string[] = [];
        if (i.lo !== -Infinity) c.push(`${v} ${i.loInc ? '>=' : '>'} ${lit(i.lo)}`);
        if (i.hi !== Infinity) c.push(`${v} ${i.hiInc ? '<=' : '<'} ${lit(i.hi)}`);
        return c.length ? c.join(' && ') : `typeof ${v} === "number"`;
      });
      return parts.length === 1 ? `(${parts[0]})` : `(${parts.map((p) => `(${p})`).join(' || ')})`;
    }
    case 'set': {
      const eqs = t.values.map((x) => `${v} === ${lit(x)}`).join(' || ');
      return t.negate ? `!(${eqs})` : `(${eqs})`;
    }
  }
}

/** Values of a column type a test may compare with (for compile-time type checks of cells). */
export function cellKinds(t: CellTest): Set<'number' | 'string' | 'boolean' | 'null'> {
  const s = new Set<'number' | 'string' | 'boolean' | 'null'>();
  if (t.kind === 'intervals') s.add('number');
  if (t.kind === 'set') for (const v of t.values) s.add(v === null ? 'null' : (typeof v as 'number' | 'string' | 'boolean'));
  return s;
}

export function describeTest(t: CellTest): string {
  switch (t.kind) {
    case 'any': return 'any';
    case 'intervals': return t.intervals.map(describeInterval).join(' or ');
    case 'set': return `${t.negate ? 'not ' : ''}${t.values.map((v) => JSON.stringify(v)).join(', ')}`;
  }
}

function describeInterval(i: Interval): string {
  if (i.lo === i.hi) return String(i.lo);
  if (i.lo === -Infinity) return `${i.hiInc ? '<=' : '<'} ${i.hi}`;
  if (i.hi === Infinity) return `${i.loInc ? '>=' : '>'} ${i.lo}`;
  return `${i.loInc ? '[' : '('}${i.lo}..${i.hi}${i.hiInc ? ']' : ')'}`;
}

// ------------------------------------------------------------------ analysis

/** A column's universe for gap checking. */
export type ColumnDomain =
  | { kind: 'numeric'; integer: boolean }
  | { kind: 'discrete'; values: Scalar[]; open: boolean }; // open: values beyond those listed exist (free strings)

/** Elementary regions of a column: representative values such that every test is constant on each region. */
function regions(domain: ColumnDomain, tests: CellTest[]): { rep: Scalar; label: string }[] {
  if (domain.kind === 'discrete') {
    const vals = new Set<Scalar>(domain.values);
    for (const t of tests) if (t.kind === 'set') for (const v of t.values) vals.add(v);
    const out = [...vals].filter((v) => v !== null).map((v) => ({ rep: v, label: `= ${JSON.stringify(v)}` }));
    if (domain.open) out.push({ rep: '\u0000other', label: 'is any other value' });
    return out;
  }
  const points = new Set<number>();
  for (const t of tests) if (t.kind === 'intervals') for (const i of t.intervals) { if (Number.isFinite(i.lo)) points.add(i.lo); if (Number.isFinite(i.hi)) points.add(i.hi); }
  const ps = [...points].sort((a, b) => a - b);
  const out: { rep: Scalar; label: string }[] = [];
  const between = (a: number, b: number, label: string) => {
    let rep: number | undefined;
    if (domain.integer) {
      const lo = a === -Infinity ? b - 1 : Math.floor(a) + 1;
      const hi = b === Infinity ? a + 1 : Math.ceil(b) - 1;
      if (lo <= hi) rep = a === -Infinity ? hi : lo;
    } else {
      rep = a === -Infinity ? b - 1 : b === Infinity ? a + 1 : (a + b) / 2;
    }
    if (rep !== undefined) out.push({ rep, label: label.startsWith('(') ? `in ${label}` : label });
  };
  if (ps.length === 0) return [{ rep: 0, label: 'is any number' }];
  between(-Infinity, ps[0]!, `< ${ps[0]}`);
  for (let k = 0; k < ps.length; k++) {
    out.push({ rep: ps[k]!, label: `= ${ps[k]}` });
    if (k + 1 < ps.length) between(ps[k]!, ps[k + 1]!, `(${ps[k]}..${ps[k + 1]})`);
  }
  between(ps[ps.length - 1]!, Infinity, `> ${ps[ps.length - 1]}`);
  return out;
}

export function testMatches(t: CellTest, v: Scalar): boolean {
  switch (t.kind) {
    case 'any': return true;
    case 'intervals':
      return typeof v === 'number' && t.intervals.some((i) => (i.loInc ? v >= i.lo : v > i.lo) && (i.hiInc ? v <= i.hi : v < i.hi));
    case 'set': {
      const has = t.values.some((x) => x === v);
      return t.negate ? !has : has;
    }
  }
}

export interface TableAnalysis {
  /** Pairs of rules (0-based) that can both match, with an example. */
  overlaps: { a: number; b: number; example: string }[];
  /** Example input combinations no rule matches. */
  gaps: string[];
  /** False when the table was too large to enumerate; the caller reports a warning. */
  complete: boolean;
}

const MAX_CELLS = 200_000;

/** Enumerates the elementary regions of all columns (bounded) and finds overlaps and gaps. */
export function analyseTable(columns: { name: string; domain: ColumnDomain }[], rows: CellTest[][], limit = 5): TableAnalysis {
  const regs = columns.map((c, ci) => regions(c.domain, rows.map((r) => r[ci]!)));
  const total = regs.reduce((n, r) => n * Math.max(1, r.length), 1);
  const result: TableAnalysis = { overlaps: [], gaps: [], complete: total <= MAX_CELLS };
  if (!result.complete) return result;
  const seenPair = new Set<string>();
  const idx = new Array<number>(columns.length).fill(0);
  for (let cell = 0; cell < total; cell++) {
    let rem = cell;
    for (let c = columns.length - 1; c >= 0; c--) {
      const n = regs[c]!.length;
      idx[c] = rem % n;
      rem = Math.floor(rem / n);
    }
    const matched: number[] = [];
    for (let r = 0; r < rows.length; r++) {
      let ok = true;
      for (let c = 0; c < columns.length && ok; c++) ok = testMatches(rows[r]![c]!, regs[c]![idx[c]!]!.rep);
      if (ok) matched.push(r);
    }
    const example = () => columns.map((col, c) => `${col.name} ${regs[c]![idx[c]!]!.label}`).join(', ');
    if (matched.length === 0 && result.gaps.length < limit) result.gaps.push(example());
    if (matched.length > 1 && result.overlaps.length < limit) {
      for (let i = 0; i < matched.length; i++) {
        for (let j = i + 1; j < matched.length; j++) {
          const key = `${matched[i]}:${matched[j]}`;
          if (!seenPair.has(key) && result.overlaps.length < limit) {
            seenPair.add(key);
            result.overlaps.push({ a: matched[i]!, b: matched[j]!, example: example() });
          }
        }
      }
    }
  }
  return result;
}
