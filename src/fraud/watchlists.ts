// Watchlists: named lists of identifiers of one kind, stored as keyed hashes with why, where from, who added them and
// until when. Lookups hash the candidate value the same way the identity graph does and test a Set: constant time.
// Changes produce a new list value plus a change summary for the audit trail; the service governs them like flows.
import { parse as parseCsv } from 'csv-parse/sync';
import { MingjianError, type ErrorDetail } from '../kernel/errors.ts';
import { KINDS, type Kind } from './identifiers.ts';
import type { IdentifierHasher } from './application-identifiers.ts';

export interface WatchlistEntry {
  /** 64-bit keyed hash (16 hex) of the normalised identifier, as in the identity graph. The value is never kept. */
  key: string;
  reason: string;
  source: string;
  addedBy: string;
  addedAt: string;
  /** ISO time after which the entry no longer matches; null = no expiry. */
  expiresAt: string | null;
}

export interface Watchlist {
  name: string;
  kind: Kind;
  description: string;
  entries: WatchlistEntry[];
}

export interface WatchlistChange {
  list: string;
  added: number;
  updated: number;
  removed: number;
}

const NAME = /^[a-z0-9][a-z0-9-]{0,63}$/;

export function validateWatchlistName(name: string): void {
  if (!NAME.test(name)) throw new MingjianError('VALIDATION', `invalid watchlist name '${name}'`, [{ path: 'name', message: 'lower-case letters, digits and dashes, at most 64, starting with a letter or digit', expected: NAME.source }]);
}

export function kindOf(name: string): Kind {
  if (!(KINDS as readonly string[]).includes(name)) throw new MingjianError('VALIDATION', `unknown identifier kind '${name}'`, [{ path: 'kind', message: `'${name}' is not an identifier kind`, expected: KINDS.join(', ') }]);
  return name as Kind;
}

export function newWatchlist(name: string, kind: string, description = ''): Watchlist {
  validateWatchlistName(name);
  return { name, kind: kindOf(kind), description, entries: [] };
}

export interface EntryInput {
  value: string;
  reason: string;
  source: string;
  expiresAt?: string | null;
}

/** Hashes clear values into entries (the only place a value is seen); rejects empty values and bad expiry dates. */
export function hashEntries(list: Watchlist, inputs: readonly EntryInput[], hasher: IdentifierHasher, addedBy: string, nowIso: string): WatchlistEntry[] {
  const kind = KINDS.indexOf(list.kind);
  const details: ErrorDetail[] = [];
  const out: WatchlistEntry[] = [];
  inputs.forEach((e, i) => {
    const key = typeof e.value === 'string' ? hasher.storedKey(kind, e.value) : null;
    if (!key) details.push({ path: `entries[${i}].value`, message: `empty or not a ${list.kind}` });
    if (!e.reason || !e.reason.trim()) details.push({ path: `entries[${i}].reason`, message: 'a reason is required' });
    if (!e.source || !e.source.trim()) details.push({ path: `entries[${i}].source`, message: 'a source is required' });
    if (e.expiresAt != null && !Number.isFinite(Date.parse(e.expiresAt))) details.push({ path: `entries[${i}].expiresAt`, message: `'${e.expiresAt}' is not a date-time`, expected: 'ISO 8601' });
    if (key) out.push({ key, reason: e.reason?.trim() ?? '', source: e.source?.trim() ?? '', addedBy, addedAt: nowIso, expiresAt: e.expiresAt ? new Date(e.expiresAt).toISOString() : null });
  });
  if (details.length) throw new MingjianError('VALIDATION', `${details.length} invalid watchlist entr${details.length === 1 ? 'y' : 'ies'}`, details);
  return out;
}

/** Adds entries (an existing key is replaced: new reason, source, expiry) and removes keys; returns the new list. */
export function changeWatchlist(list: Watchlist, add: readonly WatchlistEntry[], removeKeys: readonly string[] = []): { list: Watchlist; change: WatchlistChange } {
  const byKey = new Map(list.entries.map((e) => [e.key, e]));
  let added = 0, updated = 0, removed = 0;
  for (const e of add) {
    if (byKey.has(e.key)) updated++; else added++;
    byKey.set(e.key, e);
  }
  for (const k of removeKeys) if (byKey.delete(k)) removed++;
  return { list: { ...list, entries: [...byKey.values()] }, change: { list: list.name, added, updated, removed } };
}

/** CSV bulk import: header row with `value,reason,source[,expiresAt]`; every bad row reported with its line. */
export function parseWatchlistCsv(text: string, list: Watchlist, hasher: IdentifierHasher, addedBy: string, nowIso: string): { entries: WatchlistEntry[]; duplicates: number } {
  let rows: string[][];
  try {
    rows = parseCsv(text, { bom: true, skip_empty_lines: true, trim: true, relax_column_count: true }) as string[][];
  } catch (err) {
    throw new MingjianError('VALIDATION', `watchlist CSV is not valid CSV: ${(err as Error).message}`, [{ path: 'csv', message: (err as Error).message }]);
  }
  const header = rows[0]?.map((h) => h.toLowerCase());
  if (!header || !header.includes('value') || !header.includes('reason') || !header.includes('source')) {
    throw new MingjianError('VALIDATION', 'watchlist CSV needs a header row with value, reason, source (and optionally expiresAt)', [{ line: 1, path: 'header', message: `got '${rows[0]?.join(',') ?? ''}'` }]);
  }
  const col = (name: string) => header.indexOf(name.toLowerCase());
  const iv = col('value'), ir = col('reason'), is = col('source'), ie = col('expiresAt');
  const details: ErrorDetail[] = [];
  const entries = new Map<string, WatchlistEntry>();
  let duplicates = 0;
  for (let r = 1; r < rows.length; r++) {
    const row = rows[r]!;
    const line = r + 1;
    try {
      const [entry] = hashEntries(list, [{ value: row[iv] ?? '', reason: row[ir] ?? '', source: row[is] ?? '', expiresAt: ie >= 0 && row[ie] ? row[ie] : null }], hasher, addedBy, nowIso);
      if (entries.has(entry!.key)) duplicates++;
      entries.set(entry!.key, entry!);
    } catch (err) {
      for (const d of (err as MingjianError).details ?? []) details.push({ ...d, line, path: d.path?.replace(/^entries\[0\]\./, '') });
    }
  }
  if (details.length) throw new MingjianError('VALIDATION', `watchlist CSV has ${details.length} invalid field${details.length === 1 ? '' : 's'}`, details);
  return { entries: [...entries.values()], duplicates };
}

/** Constant-time membership over loaded lists; expired entries do not match. Satisfies the engine's
 * `inWatchlist(list, value)` lookup (has(list, value)). */
export class WatchlistIndex {
  private readonly lists = new Map<string, { kind: number; entries: Map<string, WatchlistEntry> }>();

  constructor(lists: readonly Watchlist[], private readonly hasher: IdentifierHasher, private readonly clock: () => number) {
    for (const l of lists) this.lists.set(l.name, { kind: KINDS.indexOf(l.kind), entries: new Map(l.entries.map((e) => [e.key, e])) });
  }

  get names(): string[] {
    return [...this.lists.keys()];
  }

  /** The entry matching a clear value, or undefined (unknown list, no match, or expired). */
  lookup(list: string, value: unknown): WatchlistEntry | undefined {
    const l = this.lists.get(list);
    if (!l || (typeof value !== 'string' && typeof value !== 'number')) return undefined;
    const key = this.hasher.storedKey(l.kind, String(value));
    if (!key) return undefined;
    const e = l.entries.get(key);
    if (!e) return undefined;
    if (e.expiresAt !== null && Date.parse(e.expiresAt) <= this.clock()) return undefined;
    return e;
  }

  has(list: string, value: unknown): boolean {
    return this.lookup(list, value) !== undefined;
  }

  hasList(list: string): boolean {
    return this.lists.has(list);
  }
}
