// The embedded velocity store: exact sliding windows in memory, events persisted to the database (SQLite, or
// PostgreSQL) so a restart rebuilds the memory without loss.
//
// Exactness at window edges. A window (at - W, at] almost never starts or ends on a bucket boundary, and every event
// eventually sits at the trailing edge, so an exact answer needs each event's own time for as long as any window can
// see it. Each key of a stream therefore keeps its events' raw times (sorted; values alongside), which is exact by
// construction:
// - count and firstSeenAge need no value: two binary searches over the sorted times answer any window in O(log n);
// - sum, min, max and distinctCount scan the events in the window while a key is small (<= 64 events); once a key
//   grows past that it also gets time buckets, one tier per window width its definitions use, the width chosen per
//   window so a window spans at most 60 buckets (1 minute -> 1 s buckets, 24 hours -> 30 min, 90 days -> 2 d).
//   A read merges the partial aggregates (count, sum, min, max, earliest, distinct set) of the buckets lying wholly
//   inside the window and scans raw events only in the two partial buckets at the edges, found by binary search.
//   So a read costs at most ~60 bucket merges plus two edge scans, whatever the key's volume.
//
// Streams over the same events grouped by the same field (count, distinct ids and a sum by device, say) share one map
// entry per key with a slot per stream, so an event costs one map update per grouping field.
//
// Memory stays bounded: a stream keeps events for its longest window plus the allowed lateness behind the newest
// event; older events and buckets are dropped when their key is touched, and keys nobody touches again are found
// through an expiry queue of (key, time) in arrival order (16 bytes per stored event), so nothing scans the map.

import type { Kysely } from 'kysely';
import type { CompiledVelocity, StreamValueKind, VelocityValue } from './velocity-definition.ts';
import type { VelocityEvent } from './velocity-event.ts';
import { DEFAULT_MAX_LATENESS_MS, type VelocityStore } from './velocity-store.ts';
import { WindowAccumulator } from './velocity-window.ts';
import { MAX_WINDOW_MS } from './velocity-definition.ts';

export interface VelocityEventsTable {
  id: string;
  type: string;
  occurred_at: number;
  fields: string;
}

const BUCKET_WIDTHS_MS = [1, 2, 5, 10, 15, 30].map((s) => s * 1000)
  .concat([1, 2, 5, 10, 15, 30].map((m) => m * 60_000))
  .concat([1, 2, 3, 6, 12].map((h) => h * 3_600_000))
  .concat([1, 2].map((d) => d * 86_400_000));

const MAX_BUCKETS_PER_WINDOW = 60;
/** A key of a value stream gets buckets once it holds more events than this; below, scanning is cheaper. */
export const HOT_KEY_EVENTS = 64;

/** The narrowest bucket width that covers the window in at most 60 buckets. */
export function bucketWidthFor(windowMs: number): number {
  for (const w of BUCKET_WIDTHS_MS) if (windowMs / w <= MAX_BUCKETS_PER_WINDOW) return w;
  return BUCKET_WIDTHS_MS[BUCKET_WIDTHS_MS.length - 1]!;
}

/** Number of sorted times that are <= t. */
function upperBound(times: readonly number[], t: number): number {
  let lo = 0;
  let hi = times.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (times[mid]! <= t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Adds the events with a time in (from, to] to the accumulator. */
function scanValues(times: readonly number[], values: readonly (number | string)[], from: number, to: number, acc: WindowAccumulator): void {
  for (let j = upperBound(times, from), end = upperBound(times, to); j < end; j++) acc.add(times[j]!, values[j]!);
}

function floorTo(t: number, width: number): number {
  return t - (((t % width) + width) % width);
}

interface Bucket {
  start: number;
  count: number;
  sum: number;
  min: number;
  max: number;
  earliest: number;
  distinct: Set<string> | null;
}

/** Events of one key in a value stream: sorted times, values alongside, bucket tiers once the key is hot. */
interface ValueLog {
  times: number[];
  values: (number | string)[];
  /** One bucket list per width of the stream's definitions (same order as `BucketedStream.widths`). */
  tiers: Bucket[][] | null;
}

/** Inserts keeping `times` sorted; returns the index used. Late events are rare, so a splice is fine. */
function insertSorted(times: number[], time: number): number {
  const n = times.length;
  if (n === 0 || times[n - 1]! <= time) {
    times.push(time);
    return n;
  }
  const i = upperBound(times, time);
  times.splice(i, 0, time);
  return i;
}

function addToBucket(b: Bucket, time: number, value: number | string): void {
  b.count++;
  if (time < b.earliest) b.earliest = time;
  if (typeof value === 'number') {
    b.sum += value;
    if (value < b.min) b.min = value;
    if (value > b.max) b.max = value;
  } else {
    b.distinct!.add(value);
  }
}

function addToTier(tier: Bucket[], width: number, kind: StreamValueKind, time: number, value: number | string): void {
  const start = floorTo(time, width);
  const last = tier[tier.length - 1];
  let b: Bucket | undefined;
  if (last && last.start === start) b = last;
  else {
    let lo = 0;
    let hi = tier.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (tier[mid]!.start < start) lo = mid + 1;
      else hi = mid;
    }
    b = tier[lo];
    if (!b || b.start !== start) {
      b = { start, count: 0, sum: 0, min: Infinity, max: -Infinity, earliest: Infinity, distinct: kind === 'distinct' ? new Set() : null };
      tier.splice(lo, 0, b);
    }
  }
  addToBucket(b, time, value);
}

/**
 * A key's events in a stream: a bare time while the key has one event in a stream storing no value (most keys: it
 * saves an array per key), sorted times for more, or a ValueLog in value streams.
 */
type KeyEvents = number | number[] | ValueLog;

/**
 * Keys of the streams that group by the same field over the same events (types, conditions): one map entry per key
 * holds every such stream's events in its slot, so an event costs one map update per grouping field, not per stream.
 */
class KeySpace {
  /** With one stream the map holds its events directly (no slot array): most spaces of small configurations. */
  readonly map = new Map<string, KeyEvents | (KeyEvents | undefined)[]>();
  readonly single: boolean;
  constructor(readonly slots: number) {
    this.single = slots === 1;
  }

  /** The stream's events in a map value. */
  eventsOf(held: KeyEvents | (KeyEvents | undefined)[] | undefined, slot: number): KeyEvents | undefined {
    if (held === undefined || this.single) return held as KeyEvents | undefined;
    return (held as (KeyEvents | undefined)[])[slot];
  }

  /** Stores a stream's events for a key (`held` is the key's current map value). */
  store(key: string, held: KeyEvents | (KeyEvents | undefined)[] | undefined, slot: number, events: KeyEvents): KeyEvents | (KeyEvents | undefined)[] {
    if (this.single) {
      if (held !== events) this.map.set(key, events);
      return events;
    }
    let slots = held as (KeyEvents | undefined)[] | undefined;
    if (!slots) {
      slots = new Array<KeyEvents | undefined>(this.slots).fill(undefined);
      this.map.set(key, slots);
    }
    slots[slot] = events;
    return slots;
  }

  /** Drops a stream's events for a key, and the key once no stream holds any. */
  drop(key: string, held: KeyEvents | (KeyEvents | undefined)[], slot: number): void {
    if (this.single) {
      this.map.delete(key);
      return;
    }
    const slots = held as (KeyEvents | undefined)[];
    slots[slot] = undefined;
    for (const e of slots) if (e !== undefined) return;
    this.map.delete(key);
  }
}

/** The events of one stream, by key (in its slot of the key space). */
class BucketedStream {
  private readonly queueKeys: string[] = [];
  private readonly queueTimes: number[] = [];
  private queueHead = 0;

  constructor(
    readonly space: KeySpace,
    readonly slot: number,
    readonly valueKind: StreamValueKind,
    /** Bucket widths of the stream's definitions (value streams only). */
    readonly widths: readonly number[],
    /** Per width: the longest window using it plus the lateness; a tier keeps buckets no longer than that. */
    private readonly tierRetentionMs: readonly number[],
    /** Longest window of the definitions reading this stream plus the allowed lateness. */
    readonly retentionMs: number,
    private readonly hotKeyEvents: number,
  ) {}

  /**
   * Adds an event (its time after `watermark - retentionMs`: the caller checks) to the key's events and returns them;
   * a new value when they change form (absent -> one time -> sorted times), else the same object, updated.
   */
  add(entry: KeyEvents | undefined, key: string, time: number, value: number | string | null, watermark: number): KeyEvents {
    const cutoff = watermark - this.retentionMs;
    this.queueKeys.push(key);
    this.queueTimes.push(time);
    if (this.valueKind === 'none') {
      if (entry === undefined || (typeof entry === 'number' && entry <= cutoff)) return time;
      if (typeof entry === 'number') return entry <= time ? [entry, time] : [time, entry];
      this.trim(entry, cutoff);
      insertSorted(entry as number[], time);
      return entry;
    }
    if (!entry) return { times: [time], values: [value!], tiers: null };
    const log = entry as ValueLog;
    this.trim(log, cutoff);
    const i = insertSorted(log.times, time);
    if (i === log.values.length) log.values.push(value!);
    else log.values.splice(i, 0, value!);
    if (log.tiers) {
      for (let t = 0; t < this.widths.length; t++) addToTier(log.tiers[t]!, this.widths[t]!, this.valueKind, time, value!);
    } else if (log.times.length > this.hotKeyEvents) {
      log.tiers = this.widths.map(() => []);
      for (let j = 0; j < log.times.length; j++) {
        for (let t = 0; t < this.widths.length; t++) addToTier(log.tiers[t]!, this.widths[t]!, this.valueKind, log.times[j]!, log.values[j]!);
      }
    }
    return log;
  }

  /** Drops events at or before the cutoff, and buckets whose every event is. */
  private trim(entry: number[] | ValueLog, cutoff: number): void {
    if (Array.isArray(entry)) {
      if (entry.length && entry[0]! <= cutoff) entry.splice(0, upperBound(entry, cutoff));
      return;
    }
    if (entry.times.length && entry.times[0]! <= cutoff) {
      const n = upperBound(entry.times, cutoff);
      entry.times.splice(0, n);
      entry.values.splice(0, n);
    }
    this.trimTiers(entry, cutoff);
  }

  private trimTiers(entry: ValueLog, streamCutoff: number): void {
    if (!entry.tiers) return;
    // The stream's cutoff is its longest retention; a tier's own is later by the difference.
    const newest = streamCutoff + this.retentionMs;
    entry.tiers.forEach((tier, t) => {
      const w = this.widths[t]!;
      const cutoff = newest - this.tierRetentionMs[t]!;
      let k = 0;
      while (k < tier.length && tier[k]!.start + w - 1 <= cutoff) k++;
      if (k) tier.splice(0, k);
    });
  }

  /**
   * Drops what expired since the last call: the expiry queue holds (key, time) for every event added, in arrival
   * order, so the keys whose events reach the cutoff are found without scanning the map. Late events sit behind
   * newer ones and leave at most the allowed lateness later.
   */
  expire(watermark: number): void {
    const cutoff = watermark - this.retentionMs;
    const keys = this.queueKeys;
    const times = this.queueTimes;
    let head = this.queueHead;
    while (head < keys.length && times[head]! <= cutoff) {
      const key = keys[head++]!;
      const held = this.space.map.get(key);
      const entry = this.space.eventsOf(held, this.slot);
      if (entry === undefined) continue;
      if (typeof entry === 'number') {
        if (entry > cutoff) continue;
      } else {
        this.trim(entry, cutoff);
        if (Array.isArray(entry) ? entry.length : entry.times.length) continue;
      }
      this.space.drop(key, held!, this.slot);
    }
    if (head > 4096 && head * 2 > keys.length) {
      keys.splice(0, head);
      times.splice(0, head);
      head = 0;
    }
    this.queueHead = head;
  }

  /** Adds the key's events (its slot in the key space) with a time in (lo, hi] to the accumulator; `tier` is the index of the reader's width. */
  collect(entry: KeyEvents | undefined, lo: number, hi: number, tier: number, acc: WindowAccumulator): void {
    if (entry === undefined) return;
    if (typeof entry === 'number') {
      if (entry > lo && entry <= hi) {
        acc.count += 1;
        if (entry < acc.earliest) acc.earliest = entry;
      }
      return;
    }
    if (Array.isArray(entry)) {
      const i0 = upperBound(entry, lo);
      const i1 = upperBound(entry, hi);
      if (i1 > i0) {
        acc.count += i1 - i0;
        if (entry[i0]! < acc.earliest) acc.earliest = entry[i0]!;
      }
      return;
    }
    const { times, values, tiers } = entry;
    if (!tiers) return scanValues(times, values, lo, hi, acc);
    const width = this.widths[tier]!;
    const fullFrom = floorTo(lo, width) + width; // first bucket start after lo: buckets from here start inside
    const fullTo = floorTo(hi + 1, width); // buckets starting before this end inside
    if (fullFrom >= fullTo) return scanValues(times, values, lo, hi, acc);
    scanValues(times, values, lo, fullFrom - 1, acc);
    scanValues(times, values, fullTo - 1, hi, acc);
    const buckets = tiers[tier]!;
    for (let i = buckets.length - 1; i >= 0; i--) {
      const b = buckets[i]!;
      if (b.start >= fullTo) continue;
      if (b.start < fullFrom) break;
      acc.count += b.count;
      if (b.earliest < acc.earliest) acc.earliest = b.earliest;
      if (b.distinct) {
        for (const v of b.distinct) acc.distinct.add(v);
      } else {
        acc.sum += b.sum;
        if (b.min < acc.min) acc.min = b.min;
        if (b.max > acc.max) acc.max = b.max;
      }
    }
  }
}

interface ReadPlan {
  def: CompiledVelocity;
  stream: BucketedStream;
  /** Indexes of the key space's and the stream's read caches. */
  spaceIndex: number;
  streamIndex: number;
  /** Index of the bucket tier of the definition's width (-1 in streams that keep none). */
  tier: number;
}

export interface EmbeddedVelocityStoreOptions {
  /** A Kysely instance over SQLite with migration 0100_velocity_events applied. */
  db: Kysely<any>;
  definitions: readonly CompiledVelocity[];
  /** How far behind the newest event an event may arrive and still count (default 1 hour). */
  maxLatenessMs?: number;
  /** Events kept in the table, so a definition added later is filled from history (default 90 days + lateness). */
  persistedRetentionMs?: number;
  /** Events a key of a value stream holds before it gets buckets (default 64; tests lower it to exercise buckets). */
  hotKeyEvents?: number;
}

const INSERT_CHUNK = 2000;
const REBUILD_PAGE = 5000;

export class EmbeddedVelocityStore implements VelocityStore {
  readonly kind = 'embedded' as const;
  private readonly db: Kysely<{ velocity_events: VelocityEventsTable }>;
  private readonly defs: readonly CompiledVelocity[];
  private readonly byName = new Map<string, ReadPlan>();
  private readonly all: ReadPlan[] = [];
  /** Per key space and per stream, what the current read already looked up. */
  private readonly readSpaces: { epoch: number; key: string | undefined; held: KeyEvents | (KeyEvents | undefined)[] | undefined }[] = [];
  private readonly readStreams: { epoch: number; current: number | string | null | undefined }[] = [];
  private readEpoch = 0;
  /** Key spaces, each with its streams: the definition that decides admission (all of a stream's agree) and its buckets. */
  private readonly spaces: { space: KeySpace; keyer: CompiledVelocity; streams: { admitter: CompiledVelocity; stream: BucketedStream }[] }[] = [];
  private readonly streams: { admitter: CompiledVelocity; stream: BucketedStream }[] = [];
  private readonly persistedRetentionMs: number;
  private watermark = -Infinity;
  private readonly pending: { events: readonly VelocityEvent[]; resolve: (added: number) => void; reject: (err: unknown) => void }[] = [];
  private writing = false;
  private readonly acc = new WindowAccumulator();

  private constructor(options: EmbeddedVelocityStoreOptions) {
    this.db = options.db as Kysely<{ velocity_events: VelocityEventsTable }>;
    this.defs = options.definitions;
    const lateness = options.maxLatenessMs ?? DEFAULT_MAX_LATENESS_MS;
    this.persistedRetentionMs = options.persistedRetentionMs ?? MAX_WINDOW_MS + lateness;
    const groups = new Map<string, CompiledVelocity[]>();
    for (const def of this.defs) groups.set(def.streamId, [...(groups.get(def.streamId) ?? []), def]);
    // Streams over the same events grouped by the same field share a key space (the stream id minus its value).
    const bySpace = new Map<string, CompiledVelocity[][]>();
    for (const defs of groups.values()) {
      const { t, w, g, p } = JSON.parse(defs[0]!.streamId) as Record<string, unknown>;
      const spaceId = JSON.stringify({ t, w, g, p });
      bySpace.set(spaceId, [...(bySpace.get(spaceId) ?? []), defs]);
    }
    for (const streamsDefs of bySpace.values()) {
      const space = new KeySpace(streamsDefs.length);
      const spaceIndex = this.readSpaces.length;
      this.readSpaces.push({ epoch: 0, key: undefined, held: undefined });
      const entry = { space, keyer: streamsDefs[0]![0]!, streams: [] as { admitter: CompiledVelocity; stream: BucketedStream }[] };
      this.spaces.push(entry);
      streamsDefs.forEach((defs, slot) => {
        const first = defs[0]!;
        const retention = Math.max(...defs.map((d) => d.windowMs)) + lateness;
        const widths = first.valueKind === 'none' ? [] : [...new Set(defs.map((d) => bucketWidthFor(d.windowMs)))];
        const tierRetention = widths.map((w) => Math.max(...defs.filter((d) => bucketWidthFor(d.windowMs) === w).map((d) => d.windowMs)) + lateness);
        const stream = new BucketedStream(space, slot, first.valueKind, widths, tierRetention, retention, options.hotKeyEvents ?? HOT_KEY_EVENTS);
        entry.streams.push({ admitter: first, stream });
        this.streams.push({ admitter: first, stream });
        const streamIndex = this.readStreams.length;
        this.readStreams.push({ epoch: 0, current: undefined });
        for (const def of defs) {
          const plan = { def, stream, spaceIndex, streamIndex, tier: first.valueKind === 'none' ? -1 : widths.indexOf(bucketWidthFor(def.windowMs)) };
          this.byName.set(def.name, plan);
          this.all.push(plan);
        }
      });
    }
  }

  /** Opens the store and rebuilds its memory from the persisted events. */
  static async open(options: EmbeddedVelocityStoreOptions): Promise<EmbeddedVelocityStore> {
    const store = new EmbeddedVelocityStore(options);
    await store.rebuild();
    return store;
  }

  private async rebuild(): Promise<void> {
    const newest = await this.db.selectFrom('velocity_events').select((eb) => eb.fn.max('occurred_at').as('t')).executeTakeFirst();
    if (newest?.t === null || newest?.t === undefined) return;
    const maxRetention = Math.max(0, ...this.streams.map((s) => s.stream.retentionMs));
    this.watermark = Number(newest.t);
    const from = this.watermark - maxRetention;
    // Keyset pages rather than a cursor: streaming needs a driver option PostgreSQL pools may not have.
    let after: { t: number; id: string } | null = null;
    for (;;) {
      const cursor: { t: number; id: string } | null = after;
      const rows: VelocityEventsTable[] = await this.db
        .selectFrom('velocity_events')
        .select(['id', 'type', 'occurred_at', 'fields'])
        .where('occurred_at', '>', from)
        .$if(cursor !== null, (q) => q.where((eb) => eb.or([eb('occurred_at', '>', cursor!.t), eb.and([eb('occurred_at', '=', cursor!.t), eb('id', '>', cursor!.id)])])))
        .orderBy('occurred_at')
        .orderBy('id')
        .limit(REBUILD_PAGE)
        .execute();
      for (const r of rows) {
        this.apply({ id: r.id, type: r.type, time: Number(r.occurred_at), fields: JSON.parse(r.fields) as Record<string, unknown> });
      }
      this.expireAll();
      if (rows.length < REBUILD_PAGE) return;
      const last: VelocityEventsTable = rows[rows.length - 1]!;
      after = { t: Number(last.occurred_at), id: last.id };
    }
  }

  /**
   * Calls arriving while a write is in flight are written together by the next one (group commit): one decision
   * records one event, and with SQLite's `synchronous = FULL` every write is an fsync.
   */
  ingest(events: readonly VelocityEvent[]): Promise<number> {
    return new Promise((resolve, reject) => {
      this.pending.push({ events, resolve, reject });
      if (!this.writing) void this.writePending();
    });
  }

  private async writePending(): Promise<void> {
    this.writing = true;
    try {
      while (this.pending.length) {
        const batch = this.pending.splice(0, this.pending.length);
        try {
          const isNew = await this.persist(batch.flatMap((b) => b.events));
          for (const b of batch) {
            let added = 0;
            for (const e of b.events) if (isNew.delete(e)) added++; // the same event object twice counts once
            b.resolve(added);
          }
        } catch (err) {
          for (const b of batch) b.reject(err);
        }
      }
    } finally {
      this.writing = false;
    }
  }

  /** Writes the events, applies the new ones in memory, and returns them. */
  private async persist(events: readonly VelocityEvent[]): Promise<Set<VelocityEvent>> {
    const isNew = new Set<VelocityEvent>();
    for (let i = 0; i < events.length; i += INSERT_CHUNK) {
      const chunk = events.slice(i, i + INSERT_CHUNK);
      const inserted = await this.db
        .insertInto('velocity_events')
        .values(chunk.map((e) => ({ id: e.id, type: e.type, occurred_at: e.time, fields: JSON.stringify(e.fields) })))
        .onConflict((oc) => oc.column('id').doNothing())
        .returning('id')
        .execute();
      const ids = new Set(inserted.map((r) => r.id));
      for (const e of chunk) {
        if (!ids.delete(e.id)) continue; // delete: an id repeated within the chunk counts once
        this.apply(e);
        isNew.add(e);
      }
      this.expireAll();
    }
    return isNew;
  }

  private apply(event: VelocityEvent): void {
    if (event.time > this.watermark) this.watermark = event.time;
    const time = event.time;
    for (const { space, keyer, streams } of this.spaces) {
      const key = keyer.keyOf(event);
      if (key === undefined) continue;
      let held = space.map.get(key);
      for (const { admitter, stream } of streams) {
        if (time <= this.watermark - stream.retentionMs) continue;
        const value = admitter.admitKeyed(event);
        if (value === undefined) continue;
        const before = space.eventsOf(held, stream.slot);
        const after = stream.add(before, key, time, value, this.watermark);
        if (after !== before) held = space.store(key, held, stream.slot, after);
      }
    }
  }

  /** Drops what every stream's retention has passed; once per batch rather than per event (add trims its own key). */
  private expireAll(): void {
    for (const { stream } of this.streams) stream.expire(this.watermark);
  }

  /** Synchronous read (the embedded store needs no IO to answer). */
  readSync(event: VelocityEvent, names?: readonly string[]): Record<string, VelocityValue> {
    const out: Record<string, VelocityValue> = {};
    const at = event.time;
    const acc = this.acc;
    const entries = names ? names.map((n) => this.byName.get(n)).filter((x) => x !== undefined) : this.all;
    // Definitions of one key space share the key and its events, those of one stream the current event's admission.
    const epoch = ++this.readEpoch;
    for (const { def, stream, tier, spaceIndex, streamIndex } of entries) {
      const s = this.readSpaces[spaceIndex]!;
      if (s.epoch !== epoch) {
        s.epoch = epoch;
        s.key = def.keyOf(event);
        s.held = s.key === undefined ? undefined : stream.space.map.get(s.key);
      }
      if (s.key === undefined) {
        out[def.name] = def.emptyValue;
        continue;
      }
      acc.reset();
      stream.collect(stream.space.eventsOf(s.held, stream.slot), at - def.windowMs, at, tier, acc);
      if (def.includeCurrent) {
        const c = this.readStreams[streamIndex]!;
        if (c.epoch !== epoch) {
          c.epoch = epoch;
          c.current = def.admitKeyed(event);
        }
        if (c.current !== undefined) acc.add(at, c.current);
      }
      out[def.name] = acc.result(def.aggregate, at);
    }
    return out;
  }

  async read(event: VelocityEvent, names?: readonly string[]): Promise<Record<string, VelocityValue>> {
    return this.readSync(event, names);
  }

  /** Deletes persisted events no definition can see any more (call from a periodic job). Returns rows deleted. */
  async prunePersisted(): Promise<number> {
    if (this.watermark === -Infinity) return 0;
    const res = await this.db.deleteFrom('velocity_events').where('occurred_at', '<=', this.watermark - this.persistedRetentionMs).executeTakeFirst();
    return Number(res.numDeletedRows);
  }

  /** Keys held in memory across all streams (for the memory report). */
  keyCount(): number {
    let n = 0;
    for (const { space } of this.spaces) n += space.map.size;
    return n;
  }

  async close(): Promise<void> {
    // The Kysely instance belongs to the caller; nothing of the store's own needs closing.
  }
}
