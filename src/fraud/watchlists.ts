// Watchlists: named lists of identifiers of one kind, stored as keyed hashes with why, where from, who added them and
// until when. Lookups hash the candidate value the same way the identity graph does and test a Set: constant time.
// Every change is a change set (create a list, add, import, remove, or a confirmed case's proposals) that holds keyed
// hashes and masked previews only: values are hashed on arrival. The service governs change sets like flows (proposed
// by one user, approved by another, then applied); this module builds, checks and applies them as plain data.
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
export function parseWatchlistCsv(text: string, list: Watchlist, hasher: IdentifierHasher, addedBy: string, nowIso: string): { entries: WatchlistEntry[]; previews: string[]; duplicates: number } {
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
  // Masked previews by key, in the entries' order, for the approver of the change set.
  const previews = new Map<string, string>();
  let duplicates = 0;
  for (let r = 1; r < rows.length; r++) {
    const row = rows[r]!;
    const line = r + 1;
    try {
      const [entry] = hashEntries(list, [{ value: row[iv] ?? '', reason: row[ir] ?? '', source: row[is] ?? '', expiresAt: ie >= 0 && row[ie] ? row[ie] : null }], hasher, addedBy, nowIso);
      if (entries.has(entry!.key)) duplicates++;
      entries.set(entry!.key, entry!);
      previews.set(entry!.key, maskIdentifier(row[iv] ?? ''));
    } catch (err) {
      for (const d of (err as MingjianError).details ?? []) details.push({ ...d, line, path: d.path?.replace(/^entries\[0\]\./, '') });
    }
  }
  if (details.length) throw new MingjianError('VALIDATION', `watchlist CSV has ${details.length} invalid field${details.length === 1 ? '' : 's'}`, details);
  return { entries: [...entries.values()], previews: [...entries.keys()].map((k) => previews.get(k)!), duplicates };
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

// ---- change sets ------------------------------------------------------------------------------------------------

export const CHANGE_OPERATIONS = ['create', 'add', 'import', 'remove', 'case'] as const;
export type ChangeOperation = (typeof CHANGE_OPERATIONS)[number];

/** An entry to add: the keyed hash and a masked preview for the approver; never the value. */
export interface ProposedEntry {
  key: string;
  /** Masked value (`62**********22`) or, for entries from a case, where the identifier came from. */
  preview: string;
  reason: string;
  source: string;
  expiresAt: string | null;
}

/** A proposed change to one watchlist, as stored while it waits for approval (the governed body). */
export interface WatchlistChangeSet {
  /** Change-set id (the governed object id). */
  id: string;
  list: string;
  operation: ChangeOperation;
  /** Why the change is proposed (the proposer's words, or the case that confirmed fraud). */
  reason: string;
  /** Where it comes from: `api`, `csv`, `case:<id>`. */
  source: string;
  proposedBy: string;
  proposedAt: string;
  /** Only for `create`. */
  create?: { kind: Kind; description: string };
  add: ProposedEntry[];
  remove: string[];
  /** CSV rows that repeated an earlier row's value (kept once). */
  duplicates?: number;
}

const KEY = /^[0-9a-f]{16}$/;
const CHANGE_ID = /^wlc_[A-Za-z0-9_-]{1,60}$/;

/**
 * A preview that lets an approver recognise a value without the change set holding it: the first and last two
 * characters of long values, one of medium ones, nothing of short ones. The rest are stars.
 */
export function maskIdentifier(value: string): string {
  const v = value.trim();
  const n = [...v].length;
  const chars = [...v];
  const keep = n >= 8 ? 2 : n >= 5 ? 1 : 0;
  return chars.map((c, i) => (i < keep || i >= n - keep ? c : '*')).join('');
}

/** Hashed entries as change-set entries, with the preview of each clear value (same order as `inputs`). */
export function proposeEntries(entries: readonly WatchlistEntry[], previews: readonly string[]): ProposedEntry[] {
  return entries.map((e, i) => ({ key: e.key, preview: previews[i] ?? '', reason: e.reason, source: e.source, expiresAt: e.expiresAt }));
}

/**
 * Everything wrong with a change set, against the lists as they are now (`lists`: the live ones). Paths name the
 * field. An empty result means it can be applied.
 */
export function checkChangeSet(body: unknown, lists: ReadonlyMap<string, Pick<Watchlist, 'kind'>>): ErrorDetail[] {
  const out: ErrorDetail[] = [];
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return [{ path: '(root)', message: 'expected a watchlist change set' }];
  const c = body as Partial<WatchlistChangeSet>;
  if (typeof c.id !== 'string' || !CHANGE_ID.test(c.id)) out.push({ path: 'id', message: 'expected a change-set id', expected: CHANGE_ID.source });
  if (typeof c.list !== 'string' || !NAME.test(c.list)) out.push({ path: 'list', message: 'expected a watchlist name', expected: NAME.source });
  if (!CHANGE_OPERATIONS.includes(c.operation as ChangeOperation)) out.push({ path: 'operation', message: `expected one of ${CHANGE_OPERATIONS.join(', ')}` });
  for (const f of ['reason', 'source', 'proposedBy', 'proposedAt'] as const) {
    if (typeof c[f] !== 'string' || !c[f]!.trim()) out.push({ path: f, message: `${f} is required` });
  }
  if (!Array.isArray(c.add)) out.push({ path: 'add', message: 'expected an array' });
  else c.add.forEach((e, i) => {
    if (!e || typeof e.key !== 'string' || !KEY.test(e.key)) out.push({ path: `add[${i}].key`, message: 'expected a 16-hex keyed hash' });
    if (!e || typeof e.preview !== 'string' || e.preview.length > 200) out.push({ path: `add[${i}].preview`, message: 'expected a masked preview' });
    if (!e || typeof e.reason !== 'string' || !e.reason.trim()) out.push({ path: `add[${i}].reason`, message: 'a reason is required' });
    if (!e || typeof e.source !== 'string' || !e.source.trim()) out.push({ path: `add[${i}].source`, message: 'a source is required' });
    if (e && e.expiresAt != null && !Number.isFinite(Date.parse(e.expiresAt))) out.push({ path: `add[${i}].expiresAt`, message: 'expected an ISO date-time or null' });
  });
  if (!Array.isArray(c.remove)) out.push({ path: 'remove', message: 'expected an array' });
  else c.remove.forEach((k, i) => { if (typeof k !== 'string' || !KEY.test(k)) out.push({ path: `remove[${i}]`, message: 'expected a 16-hex keyed hash' }); });
  if (out.length) return out;
  const live = lists.get(c.list!);
  if (c.operation === 'create') {
    if (!c.create || !(KINDS as readonly string[]).includes(c.create.kind)) out.push({ path: 'create.kind', message: 'expected an identifier kind', expected: KINDS.join(', ') });
    if (c.add!.length || c.remove!.length) out.push({ path: 'operation', message: 'creating a list changes no entries; propose them once it exists' });
    if (live) out.push({ path: 'list', message: `watchlist ${c.list} already exists` });
    return out;
  }
  if (c.create) out.push({ path: 'create', message: `only a create change set has 'create'` });
  if (!live) out.push({ path: 'list', message: `watchlist ${c.list} not found` });
  if (c.operation === 'remove' ? c.remove!.length === 0 || c.add!.length > 0 : c.add!.length === 0 || c.remove!.length > 0) {
    out.push({ path: c.operation === 'remove' ? 'remove' : 'add', message: c.operation === 'remove' ? 'a remove change set lists keys to remove and nothing to add' : `an ${c.operation} change set lists entries to add and nothing to remove` });
  }
  return out;
}

/** The live entries a change set writes: its proposed entries, added by the proposer at `appliedAt`. */
export function entriesOf(change: WatchlistChangeSet, appliedAt: string): WatchlistEntry[] {
  return change.add.map((e) => ({ key: e.key, reason: e.reason, source: e.source, addedBy: change.proposedBy, addedAt: appliedAt, expiresAt: e.expiresAt }));
}
