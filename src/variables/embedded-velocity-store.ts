// The embedded velocity store: exact sliding windows in memory, events persisted to the database (SQLite, or
// PostgreSQL) so a restart rebuilds the memory without loss.
//
// Exactness at window edges. A window (at - W, at] almost never starts or ends on a bucket boundary, and every event
// eventually sits at the trailing edge, so an exact answer needs each event's own time for as long as any window can
// see it. Each key therefore keeps its events' raw times (sorted; values alongside), which is exact by construction:
// - count and firstSeenAge need no value: two binary searches over the sorted times answer any window in O(log n);
// - sum, min, max and distinctCount scan the events in the window while a key is small (<= 64 events); once a key
//   grows past that it also gets time buckets, one tier per window width its definitions use, the width chosen per
//   window so a window spans at most 60 buckets (1 minute -> 1 s buckets, 24 hours -> 30 min, 90 days -> 2 d).
//   A read merges the partial aggregates (count, sum, min, max, earliest, distinct set) of the buckets lying wholly
//   inside the window and scans raw events only in the two partial buckets at the edges, found by binary search.
//   So a read costs at most ~60 bucket merges plus two edge scans, whatever the key's volume.
//
// Layout, compiled once per configuration. Definitions over the same events (types, conditions) grouped by the same
// field form a key space: by device, say, a count (1 hour, 24 hours, first seen), distinct ID numbers and distinct
// phones. A key space maps each key to a small integer once, and an event appends its time once per key space, with
// one value column per value stream (an absent value marks an event that stream does not admit). So an event costs
// one map lookup per grouping field, however many aggregates and windows read it.
//
// The times and numeric values live in typed arrays (one slab per key space, each key a segment of it that doubles
// when full; once the slab fills, the live segments are compacted in slab order, into a slab three times their size
// when it must grow), distinct values in one plain
// array per column. Nothing per event or per key is a heap object of its own, so the garbage collector has little
// to trace however many events are held; only hot keys' buckets are objects.
//
// Memory stays bounded: a key space keeps events for its longest window plus the allowed lateness behind the newest
// event. Keys nobody touches again are found through an expiry queue of (key number, time) per key space in arrival
// order (12 bytes per stored event), so nothing scans the map; empty keys are deleted and their numbers reused.

import { randomInt } from 'node:crypto';
import type { CompiledQuery, Kysely } from 'kysely';
import type { CompiledVelocity, StreamValueKind, VelocityValue } from './velocity-definition.ts';
import { distinctKeyOf, MAX_WINDOW_MS } from './velocity-definition.ts';
import { readPath, type VelocityEvent } from './velocity-event.ts';
import { DEFAULT_MAX_LATENESS_MS, type VelocityInTransaction, type VelocityStore } from './velocity-store.ts';
import { WindowAccumulator } from './velocity-window.ts';

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
/** A key gets buckets in its value streams once it holds more events than this; below, scanning is cheaper. */
export const HOT_KEY_EVENTS = 64;

/** The narrowest bucket width that covers the window in at most 60 buckets. */
export function bucketWidthFor(windowMs: number): number {
  for (const w of BUCKET_WIDTHS_MS) if (windowMs / w <= MAX_BUCKETS_PER_WINDOW) return w;
  return BUCKET_WIDTHS_MS[BUCKET_WIDTHS_MS.length - 1]!;
}

/** First index in [from, to) whose time is > t (so the number of times <= t is the result minus `from`). */
function upperBound(times: Float64Array, from: number, to: number, t: number): number {
  let lo = from;
  let hi = to;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (times[mid]! <= t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
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

/** Seed of the key hash, random per process, so which keys collide cannot be known from outside. */
const HASH_SEED = randomInt(0x7fffffff);

/** A seeded 32-bit string hash (multiply-xorshift per UTF-16 unit, then a finaliser). */
function hashKey(key: string): number {
  let h = HASH_SEED ^ key.length;
  for (let i = 0; i < key.length; i++) {
    h = Math.imul(h ^ key.charCodeAt(i), 0x5bd1e995);
    h ^= h >>> 13;
  }
  h = Math.imul(h ^ (h >>> 15), 0x27d4eb2d);
  return h ^ (h >>> 16);
}

const MIN_TABLE = 1024;

/**
 * Keys numbered 0, 1, 2, ... (numbers of deleted keys reused): an open-addressing table (linear probing, at most half
 * full, backward-shift deletion) of key numbers in an Int32Array, with each key's hash kept by number. Measured on
 * the benchmark's keys it looks a key up in about half the time of a Map<string, number>, and it holds no per-entry
 * object. Exported for its tests.
 */
export class KeyNumbers {
  private slots = new Int32Array(MIN_TABLE).fill(-1);
  private mask = MIN_TABLE - 1;
  private hashes = new Int32Array(256);
  private readonly keys: (string | undefined)[] = [];
  private readonly free: number[] = [];
  size = 0;

  /** The key's number, or -1. */
  find(key: string): number {
    return this.findHashed(key, hashKey(key));
  }

  private findHashed(key: string, h: number): number {
    const slots = this.slots;
    const mask = this.mask;
    for (let i = h & mask; ; i = (i + 1) & mask) {
      const id = slots[i]!;
      if (id < 0) return -1;
      if (this.hashes[id] === h && this.keys[id] === key) return id;
    }
  }

  /** The key's number, numbering it when new (a number freed before may come back). */
  numberOf(key: string): number {
    const h = hashKey(key);
    const found = this.findHashed(key, h);
    if (found >= 0) return found;
    let id = this.free.pop();
    if (id === undefined) {
      id = this.keys.length;
      this.keys.push(key);
      if (id === this.hashes.length) {
        const hashes = new Int32Array(id * 2);
        hashes.set(this.hashes);
        this.hashes = hashes;
      }
    } else {
      this.keys[id] = key;
    }
    this.hashes[id] = h;
    this.size++;
    if (this.size * 2 > this.slots.length) this.resize(this.slots.length * 2);
    else this.place(id);
    return id;
  }

  private place(id: number): void {
    const mask = this.mask;
    let i = this.hashes[id]! & mask;
    while (this.slots[i]! >= 0) i = (i + 1) & mask;
    this.slots[i] = id;
  }

  private resize(capacity: number): void {
    this.slots = new Int32Array(capacity).fill(-1);
    this.mask = capacity - 1;
    for (let id = 0; id < this.keys.length; id++) if (this.keys[id] !== undefined) this.place(id);
  }

  /** Deletes the key numbered id; its number is reused. */
  remove(id: number): void {
    const slots = this.slots;
    const mask = this.mask;
    let i = this.hashes[id]! & mask;
    while (slots[i] !== id) i = (i + 1) & mask;
    // Backward shift: move later entries of the probe run into the hole unless their home lies between hole and them.
    for (let j = (i + 1) & mask; ; j = (j + 1) & mask) {
      const other = slots[j]!;
      if (other < 0) break;
      const home = this.hashes[other]! & mask;
      if (i <= j ? i < home && home <= j : i < home || home <= j) continue;
      slots[i] = other;
      i = j;
    }
    slots[i] = -1;
    this.keys[id] = undefined;
    this.free.push(id);
    this.size--;
    if (this.size * 8 < this.slots.length && this.slots.length > MIN_TABLE) this.resize(this.slots.length / 2);
  }

  has(id: number): boolean {
    return this.keys[id] !== undefined;
  }

  /** One more than the highest number handed out. */
  get span(): number {
    return this.keys.length;
  }
}

/** A stream of a key space that stores a value per event (sum, min, max, distinctCount): a column of the slab. */
class ValueStream {
  /** Bucket tiers of the hot keys, by key number (one bucket list per width, same order as `widths`). */
  readonly tiers = new Map<number, Bucket[][]>();
  constructor(
    /** The definition that decides the stored value (all of the stream's agree). */
    readonly admitter: CompiledVelocity,
    readonly kind: 'number' | 'distinct',
    /** Index of the column in the key space's `numbers` or `strings`. */
    readonly column: number,
    /** Index of the value's field in the store's per-event field reads. */
    readonly field: number,
    /** Bucket widths of the stream's definitions. */
    readonly widths: readonly number[],
    /** Per width: the longest window using it plus the lateness; a tier keeps buckets no longer than that. */
    readonly tierRetentionMs: readonly number[],
  ) {}
}

const MIN_SLAB = 1024;

/**
 * The keys of the streams that group by the same field over the same events, and every such stream's events: per key
 * a segment [base, base + cap) of the slab whose slots [start, start + len) hold its sorted times and one value per
 * value stream (the slots before `start` held events since expired).
 */
class KeySpace {
  readonly ids = new KeyNumbers();
  private base = new Int32Array(256);
  start = new Int32Array(256);
  len = new Int32Array(256);
  private cap = new Int32Array(256);
  /** 1 for keys with bucket tiers in their value streams. */
  private hot = new Uint8Array(256);
  times = new Float64Array(MIN_SLAB);
  /** Per numeric value stream: its values (NaN where the stream does not admit the event). */
  numbers: Float64Array[];
  /** Per distinct-count stream: its values (undefined where the stream does not admit the event), as long as `times`. */
  strings: (string | undefined)[][];
  /**
   * At each segment's base: its key's number while live, else minus its capacity. Compaction walks the slab in this
   * order, so it reads and writes memory in sequence (in the order of key numbers it would jump all over the slab).
   */
  private owner = new Int32Array(MIN_SLAB);
  /** Slab slots handed out, and those held by live keys' segments (the rest is garbage until compaction). */
  private top = 0;
  private live = 0;
  /** Expiry queue: (key number, event time) per stored event, in arrival order, in a growable ring. */
  private qIds = new Int32Array(MIN_SLAB);
  private qTimes = new Float64Array(MIN_SLAB);
  private qHead = 0;
  private qTail = 0;
  /** Values of the event being added, one per value stream (undefined: that stream does not admit it). */
  readonly incoming: (number | string | undefined)[];

  constructor(
    /** The definition that decides admission (type, conditions, predicate: all of the space's agree) and the key. */
    readonly admitter: CompiledVelocity,
    /** Index of the grouping field in the store's per-event field reads. */
    readonly keyField: number,
    /** Whether a count or firstSeenAge stream reads the space (then every admitted event is stored). */
    readonly hasCount: boolean,
    readonly valueStreams: readonly ValueStream[],
    numberColumns: number,
    stringColumns: number,
    /** Longest window of the space's definitions plus the allowed lateness. */
    readonly retentionMs: number,
    private readonly hotKeyEvents: number,
  ) {
    this.numbers = Array.from({ length: numberColumns }, () => new Float64Array(MIN_SLAB));
    this.strings = Array.from({ length: stringColumns }, () => new Array<string | undefined>(MIN_SLAB));
    this.incoming = valueStreams.map(() => undefined);
  }

  get size(): number {
    return this.ids.size;
  }

  /** Stores an event of the key (values in `incoming`); its time is after `watermark - retentionMs` (the caller checks). */
  add(key: string, time: number, watermark: number): void {
    const id = this.ids.numberOf(key);
    if (id >= this.start.length) this.growKeyArrays();
    if (this.len[id] === 0) this.newKey(id); // a key held is never empty: this one is new
    if (this.start[id]! + this.len[id]! === this.base[id]! + this.cap[id]!) this.makeRoom(id);
    const l = this.len[id]!;
    const s = this.start[id]!;
    const times = this.times;
    let pos = s + l;
    if (l > 0 && times[pos - 1]! > time) {
      // Late: shift the key's younger events up one slot (a few, and late events are a small share).
      pos = upperBound(times, s, s + l, time);
      times.copyWithin(pos + 1, pos, s + l);
      for (const col of this.numbers) col.copyWithin(pos + 1, pos, s + l);
      for (const col of this.strings) for (let j = s + l; j > pos; j--) col[j] = col[j - 1];
    }
    times[pos] = time;
    const streams = this.valueStreams;
    const incoming = this.incoming;
    for (let i = 0; i < streams.length; i++) {
      const st = streams[i]!;
      const v = incoming[i];
      if (st.kind === 'number') this.numbers[st.column]![pos] = v === undefined ? NaN : (v as number);
      else this.strings[st.column]![pos] = v as string | undefined;
    }
    this.len[id] = l + 1;
    this.enqueue(id, time);
    if (streams.length === 0) return;
    if (this.hot[id]) {
      for (let i = 0; i < streams.length; i++) {
        const st = streams[i]!;
        const tiers = st.tiers.get(id)!;
        trimTiers(st, tiers, watermark);
        const v = incoming[i];
        if (v !== undefined) for (let t = 0; t < st.widths.length; t++) addToTier(tiers[t]!, st.widths[t]!, st.kind, time, v);
      }
    } else if (l + 1 > this.hotKeyEvents) {
      this.hot[id] = 1;
      for (const st of streams) {
        const tiers: Bucket[][] = st.widths.map(() => []);
        for (let j = s; j < s + l + 1; j++) {
          const v = this.valueAt(st, j);
          if (v !== undefined) for (let t = 0; t < st.widths.length; t++) addToTier(tiers[t]!, st.widths[t]!, st.kind, times[j]!, v);
        }
        st.tiers.set(id, tiers);
      }
    }
  }

  private valueAt(st: ValueStream, j: number): number | string | undefined {
    if (st.kind === 'distinct') return this.strings[st.column]![j];
    const v = this.numbers[st.column]![j]!;
    return v === v ? v : undefined; // NaN marks an event the stream does not admit
  }

  /** Gives a key just numbered (a live key always holds an event) a segment of one slot. */
  private newKey(id: number): void {
    // len and cap are 0 here (new, or reset when freed), so a compaction inside reserve moves nothing of it.
    const at = this.reserve(1);
    this.base[id] = at;
    this.start[id] = at;
    this.cap[id] = 1;
    this.owner[at] = id;
    this.live += 1;
  }

  private growKeyArrays(): void {
    const n = this.start.length * 2;
    const widen = <T extends Int32Array | Uint8Array>(a: T, make: (n: number) => T): T => {
      const b = make(n);
      b.set(a);
      return b;
    };
    this.base = widen(this.base, (k) => new Int32Array(k));
    this.start = widen(this.start, (k) => new Int32Array(k));
    this.len = widen(this.len, (k) => new Int32Array(k));
    this.cap = widen(this.cap, (k) => new Int32Array(k));
    this.hot = widen(this.hot, (k) => new Uint8Array(k));
  }

  /**
   * Makes room after the key's last event: moves its events down to the segment's base when expiry has emptied at
   * least half of it, else moves them to a segment twice as large at the top of the slab.
   */
  private makeRoom(id: number): void {
    const l = this.len[id]!;
    const oldCap = this.cap[id]!;
    if (l * 2 <= oldCap && this.start[id]! > this.base[id]!) {
      this.moveEvents(this.start[id]!, this.base[id]!, l);
      this.start[id] = this.base[id]!;
      return;
    }
    const newCap = oldCap * 2;
    const to = this.reserve(newCap); // may compact: read the segment's place after it
    const oldBase = this.base[id]!;
    this.moveEvents(this.start[id]!, to, l);
    this.owner[oldBase] = -oldCap;
    this.owner[to] = id;
    this.base[id] = to;
    this.start[id] = to;
    this.cap[id] = newCap;
    this.live += newCap - oldCap;
  }

  /** Moves n events' slots from `from` down or up to `to`, leaving no string behind in slots no longer used. */
  private moveEvents(from: number, to: number, n: number): void {
    if (n < 32) {
      // Most segments are a few slots: a loop beats copyWithin's fixed cost (as in compact).
      const times = this.times;
      if (to < from) for (let j = 0; j < n; j++) times[to + j] = times[from + j]!;
      else for (let j = n - 1; j >= 0; j--) times[to + j] = times[from + j]!;
      for (const col of this.numbers) {
        if (to < from) for (let j = 0; j < n; j++) col[to + j] = col[from + j]!;
        else for (let j = n - 1; j >= 0; j--) col[to + j] = col[from + j]!;
      }
    } else {
      this.times.copyWithin(to, from, from + n);
      for (const col of this.numbers) col.copyWithin(to, from, from + n);
    }
    for (const col of this.strings) {
      if (to < from) for (let j = 0; j < n; j++) col[to + j] = col[from + j];
      else for (let j = n - 1; j >= 0; j--) col[to + j] = col[from + j];
      for (let j = from; j < from + n; j++) if (j < to || j >= to + n) col[j] = undefined;
    }
  }

  /** Hands out n slots at the top of the slab, compacting or widening it first when they do not fit. */
  private reserve(n: number): number {
    if (this.top + n > this.times.length) this.compact(n);
    const at = this.top;
    this.top += n;
    return at;
  }

  /**
   * Moves the live segments down over the garbage, in slab order, into a slab of three times what they need when the
   * present one is too small or far too large (a compaction costs in proportion to what is live, so it comes only
   * after as many slots again have been handed out).
   */
  private compact(extra: number): void {
    const need = this.live + extra;
    const length = this.times.length;
    const size = Math.max(MIN_SLAB, need * 2 > length || need * 8 < length ? need * 3 : length);
    const resized = size !== length;
    const times = resized ? new Float64Array(size) : this.times;
    const numbers = resized ? this.numbers.map(() => new Float64Array(size)) : this.numbers;
    const strings = resized ? this.strings.map(() => new Array<string | undefined>(size)) : this.strings; // holey: unset slots read undefined
    const owner = resized ? new Int32Array(size) : this.owner;
    const oldOwner = this.owner;
    const top = this.top;
    // Adjacent live segments move as one run; `to` never passes `p`, so moving within the same arrays is safe.
    let to = 0;
    let runFrom = 0;
    let runTo = 0;
    let runLength = 0;
    const flush = (): void => {
      if (runLength === 0 || (runFrom === runTo && !resized)) return;
      if (runLength < 32) {
        // Most runs are a few slots: a loop beats the calls' fixed cost.
        for (let j = 0; j < runLength; j++) times[runTo + j] = this.times[runFrom + j]!;
        for (let k = 0; k < numbers.length; k++) {
          const from = this.numbers[k]!;
          const into = numbers[k]!;
          for (let j = 0; j < runLength; j++) into[runTo + j] = from[runFrom + j]!;
        }
      } else if (resized) {
        times.set(this.times.subarray(runFrom, runFrom + runLength), runTo);
        for (let k = 0; k < numbers.length; k++) numbers[k]!.set(this.numbers[k]!.subarray(runFrom, runFrom + runLength), runTo);
      } else {
        times.copyWithin(runTo, runFrom, runFrom + runLength);
        for (const col of numbers) col.copyWithin(runTo, runFrom, runFrom + runLength);
      }
      for (let k = 0; k < strings.length; k++) {
        const from = this.strings[k]!;
        const into = strings[k]!;
        for (let j = 0; j < runLength; j++) into[runTo + j] = from[runFrom + j];
      }
    };
    for (let p = 0; p < top; ) {
      const id = oldOwner[p]!;
      if (id < 0) {
        flush();
        runLength = 0;
        p -= id;
        continue;
      }
      const c = this.cap[id]!;
      if (runLength === 0) {
        runFrom = p;
        runTo = to;
      }
      runLength += c;
      this.base[id] = to;
      this.start[id] = this.start[id]! + to - p;
      owner[to] = id;
      to += c;
      p += c;
    }
    flush();
    if (!resized) for (const col of strings) for (let j = to; j < top; j++) col[j] = undefined;
    this.times = times;
    this.numbers = numbers;
    this.strings = strings;
    this.owner = owner;
    this.top = to;
  }

  private enqueue(id: number, time: number): void {
    if (this.qTail === this.qIds.length) {
      // Full: copy the pending entries to the start of a ring twice their number (grows or shrinks it).
      const pending = this.qTail - this.qHead;
      const size = Math.max(MIN_SLAB, pending * 2);
      const ids = new Int32Array(size);
      const times = new Float64Array(size);
      ids.set(this.qIds.subarray(this.qHead, this.qTail));
      times.set(this.qTimes.subarray(this.qHead, this.qTail));
      this.qIds = ids;
      this.qTimes = times;
      this.qHead = 0;
      this.qTail = pending;
    }
    this.qIds[this.qTail] = id;
    this.qTimes[this.qTail] = time;
    this.qTail++;
  }

  /**
   * Drops what expired: the queue holds (key, time) for every event stored, in arrival order, so the keys whose
   * events reach the cutoff are found without scanning the map. Late events sit behind newer ones and leave at most
   * the allowed lateness later. An entry may name a key number freed and reused since: trimming that key to the
   * same cutoff is still right.
   */
  expire(watermark: number): void {
    const cutoff = watermark - this.retentionMs;
    let h = this.qHead;
    const tail = this.qTail;
    while (h < tail && this.qTimes[h]! <= cutoff) {
      const id = this.qIds[h++]!;
      if (!this.ids.has(id)) continue;
      this.trimFront(id, cutoff);
      if (this.len[id] === 0) this.freeKey(id);
    }
    if (h === tail) this.qHead = this.qTail = 0;
    else this.qHead = h;
  }

  /** Drops the key's events at or before the cutoff (their slots are reused when the key next needs room). */
  private trimFront(id: number, cutoff: number): void {
    const s = this.start[id]!;
    const l = this.len[id]!;
    if (l === 0 || this.times[s]! > cutoff) return;
    const n = upperBound(this.times, s, s + l, cutoff) - s;
    for (const col of this.strings) for (let j = s; j < s + n; j++) col[j] = undefined;
    this.start[id] = s + n;
    this.len[id] = l - n;
  }

  private freeKey(id: number): void {
    const s = this.start[id]!;
    for (const col of this.strings) for (let j = s; j < s + this.len[id]!; j++) col[j] = undefined;
    this.ids.remove(id);
    this.owner[this.base[id]!] = -this.cap[id]!;
    this.live -= this.cap[id]!;
    this.len[id] = 0;
    this.cap[id] = 0;
    if (this.hot[id]) {
      this.hot[id] = 0;
      for (const st of this.valueStreams) st.tiers.delete(id);
    }
  }

  /** Adds the number and the earliest time of the key's events in (lo, hi] (count and firstSeenAge). */
  collectCount(id: number, lo: number, hi: number, acc: WindowAccumulator): void {
    const s = this.start[id]!;
    const e = s + this.len[id]!;
    const i0 = upperBound(this.times, s, e, lo);
    const i1 = upperBound(this.times, i0, e, hi);
    if (i1 > i0) {
      acc.count += i1 - i0;
      if (this.times[i0]! < acc.earliest) acc.earliest = this.times[i0]!;
    }
  }

  /** Adds the stream's values of the key's events with a time in (from, to] to the accumulator. */
  private scan(id: number, st: ValueStream, from: number, to: number, acc: WindowAccumulator): void {
    const s = this.start[id]!;
    const e = s + this.len[id]!;
    const times = this.times;
    const i0 = upperBound(times, s, e, from);
    const i1 = upperBound(times, i0, e, to);
    if (st.kind === 'number') {
      const col = this.numbers[st.column]!;
      for (let j = i0; j < i1; j++) {
        const v = col[j]!;
        if (v === v) acc.add(times[j]!, v);
      }
    } else {
      const col = this.strings[st.column]!;
      for (let j = i0; j < i1; j++) {
        const v = col[j];
        if (v !== undefined) acc.add(times[j]!, v);
      }
    }
  }

  /** Adds the stream's values of the key's events in (lo, hi]; `tier` is the index of the reader's bucket width. */
  collectValues(id: number, st: ValueStream, lo: number, hi: number, tier: number, acc: WindowAccumulator): void {
    const tiers = this.hot[id] ? st.tiers.get(id) : undefined;
    if (!tiers) return this.scan(id, st, lo, hi, acc);
    const width = st.widths[tier]!;
    const fullFrom = floorTo(lo, width) + width; // first bucket start after lo: buckets from here start inside
    const fullTo = floorTo(hi + 1, width); // buckets starting before this end inside
    if (fullFrom >= fullTo) return this.scan(id, st, lo, hi, acc);
    this.scan(id, st, lo, fullFrom - 1, acc);
    this.scan(id, st, fullTo - 1, hi, acc);
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

/** Drops the buckets every one of whose events is older than its tier's retention. */
function trimTiers(st: ValueStream, tiers: Bucket[][], watermark: number): void {
  for (let t = 0; t < tiers.length; t++) {
    const tier = tiers[t]!;
    const w = st.widths[t]!;
    const cutoff = watermark - st.tierRetentionMs[t]!;
    let k = 0;
    while (k < tier.length && tier[k]!.start + w - 1 <= cutoff) k++;
    if (k) tier.splice(0, k);
  }
}

interface ReadPlan {
  def: CompiledVelocity;
  space: KeySpace;
  /** The value stream read (null for count and firstSeenAge, which read the space's times). */
  stream: ValueStream | null;
  /** Indexes of the key space's and the stream's read caches. */
  spaceIndex: number;
  streamIndex: number;
  /** Index of the bucket tier of the definition's width (-1 without a value stream). */
  tier: number;
}

export interface EmbeddedVelocityStoreOptions {
  /** A Kysely instance over SQLite or PostgreSQL with migration 0100_velocity_events applied. */
  db: Kysely<any>;
  definitions: readonly CompiledVelocity[];
  /** How far behind the newest event an event may arrive and still count (default 1 hour). */
  maxLatenessMs?: number;
  /** Events kept in the table, so a definition added later is filled from history (default 90 days + lateness). */
  persistedRetentionMs?: number;
  /** Events a key holds before its value streams get buckets (default 64; tests lower it to exercise buckets). */
  hotKeyEvents?: number;
}


const INSERT_CHUNK = 2000;
const REBUILD_PAGE = 5000;
/** Thrown inside insertAllNew's transaction to roll it back when an event was not new. */
const SOME_NOT_NEW = new Error('some velocity events were stored before');

/** An event reserved by a running decision (see VelocityStore.reserve). */
interface InFlightEvent {
  event: VelocityEvent;
  unknownFields: readonly string[];
}

interface PendingIngest {
  events: readonly VelocityEvent[];
  resolve: (added: number) => void;
  reject: (err: unknown) => void;
}

export class EmbeddedVelocityStore implements VelocityStore {
  readonly kind = 'embedded' as const;
  private readonly db: Kysely<{ velocity_events: VelocityEventsTable }>;
  private readonly defs: readonly CompiledVelocity[];
  private readonly byName = new Map<string, ReadPlan>();
  private readonly all: ReadPlan[] = [];
  /** Per key space and per stream, what the current read already looked up. */
  private readonly readSpaces: { epoch: number; id: number; key: string | undefined }[] = [];
  /** Per key space: the reserved events of running decisions by key (see reserve). Empty almost always. */
  private readonly inFlight: Map<string, InFlightEvent[]>[] = [];
  private readonly spaceHeads: CompiledVelocity[] = [];
  private readonly readStreams: { epoch: number; current: number | string | null | undefined }[] = [];
  private readEpoch = 0;
  private readonly spaces: KeySpace[] = [];
  /** Event field paths read once per ingested event, shared by the key spaces (keys) and value streams (values). */
  private readonly fieldPaths: (readonly string[])[] = [];
  private readonly fieldValues: unknown[] = [];
  private readonly persistedRetentionMs: number;
  private watermark = -Infinity;
  private readonly pending: PendingIngest[] = [];
  private writing = false;
  private readonly acc = new WindowAccumulator();
  /** Kysely's compiled multi-row INSERTs by row count, negative without RETURNING (the text depends only on these). */
  private readonly insertQueries = new Map<number, CompiledQuery>();

  private constructor(options: EmbeddedVelocityStoreOptions) {
    this.db = options.db as Kysely<{ velocity_events: VelocityEventsTable }>;
    this.defs = options.definitions;
    const lateness = options.maxLatenessMs ?? DEFAULT_MAX_LATENESS_MS;
    this.persistedRetentionMs = options.persistedRetentionMs ?? MAX_WINDOW_MS + lateness;
    const hotKeyEvents = options.hotKeyEvents ?? HOT_KEY_EVENTS;
    const fieldIndex = new Map<string, number>();
    const fieldOf = (path: readonly string[]): number => {
      const name = path.join('.');
      let i = fieldIndex.get(name);
      if (i === undefined) {
        i = this.fieldPaths.length;
        fieldIndex.set(name, i);
        this.fieldPaths.push(path);
        this.fieldValues.push(undefined);
      }
      return i;
    };
    // Definitions over the same events grouped by the same field share a key space (the stream id minus its value);
    // within it, those storing the same value share a stream.
    const bySpace = new Map<string, Map<string, CompiledVelocity[]>>();
    for (const def of this.defs) {
      const { t, w, g, p } = JSON.parse(def.streamId) as Record<string, unknown>;
      const spaceId = JSON.stringify({ t, w, g, p });
      let streams = bySpace.get(spaceId);
      if (!streams) bySpace.set(spaceId, (streams = new Map()));
      streams.set(def.streamId, [...(streams.get(def.streamId) ?? []), def]);
    }
    for (const streamDefs of bySpace.values()) {
      const groups = [...streamDefs.values()];
      const first = groups[0]![0]!;
      const retention = Math.max(...groups.flat().map((d) => d.windowMs)) + lateness;
      const valueStreams: ValueStream[] = [];
      const plans: { def: CompiledVelocity; stream: ValueStream | null; widths: number[] }[] = [];
      let numberColumns = 0;
      let stringColumns = 0;
      for (const defs of groups) {
        const head = defs[0]!;
        if (head.valueKind === 'none') {
          for (const def of defs) plans.push({ def, stream: null, widths: [] });
          continue;
        }
        const widths = [...new Set(defs.map((d) => bucketWidthFor(d.windowMs)))];
        const tierRetention = widths.map((w) => Math.max(...defs.filter((d) => bucketWidthFor(d.windowMs) === w).map((d) => d.windowMs)) + lateness);
        const kind = head.valueKind;
        const column = kind === 'number' ? numberColumns++ : stringColumns++;
        const stream = new ValueStream(head, kind, column, fieldOf(head.fieldPath), widths, tierRetention);
        valueStreams.push(stream);
        for (const def of defs) plans.push({ def, stream, widths });
      }
      const hasCount = groups.some((defs) => defs[0]!.valueKind === 'none');
      const space = new KeySpace(first, fieldOf(first.groupPath), hasCount, valueStreams, numberColumns, stringColumns, retention, hotKeyEvents);
      const spaceIndex = this.readSpaces.length;
      this.spaces.push(space);
      this.readSpaces.push({ epoch: 0, id: -1, key: undefined });
      this.inFlight.push(new Map());
      this.spaceHeads.push(first);
      const streamIndexes = new Map<ValueStream | null, number>();
      for (const { def, stream, widths } of plans) {
        let streamIndex = streamIndexes.get(stream);
        if (streamIndex === undefined) {
          streamIndex = this.readStreams.length;
          this.readStreams.push({ epoch: 0, current: undefined });
          streamIndexes.set(stream, streamIndex);
        }
        const plan: ReadPlan = { def, space, stream, spaceIndex, streamIndex, tier: stream ? widths.indexOf(bucketWidthFor(def.windowMs)) : -1 };
        this.byName.set(def.name, plan);
      }
    }
    // Answers in the order of the definitions.
    for (const def of this.defs) this.all.push(this.byName.get(def.name)!);
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
    const maxRetention = Math.max(0, ...this.spaces.map((s) => s.retentionMs));
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
   * records one event, and every commit waits for an fsync. A call resolves once its events are committed (durably)
   * and applied in memory.
   */
  ingest(events: readonly VelocityEvent[]): Promise<number> {
    if (!events.length) return Promise.resolve(0); // nothing to write (an empty INSERT is not SQL)
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
          const events = batch.length === 1 ? batch[0]!.events : batch.flatMap((b) => b.events);
          const isNew = await this.persist(events);
          let at = 0;
          for (const b of batch) {
            let added = 0;
            for (let i = 0; i < b.events.length; i++) added += isNew[at + i]!;
            at += b.events.length;
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

  /** Writes the events, applies the new ones in memory, and flags them (1 per new event, by index). */
  private async persist(events: readonly VelocityEvent[]): Promise<Uint8Array> {
    const isNew = (await this.insertAllNew(events))
      ? new Uint8Array(events.length).fill(1)
      : await this.db.transaction().execute((trx) => this.insertLearningNew(trx, events));
    this.applyNew(events, isNew);
    return isNew;
  }

  /** The INSERTs of the events in chunks (a statement's bound parameters are limited), in order. */
  private *chunks(events: readonly VelocityEvent[]): Generator<readonly VelocityEvent[]> {
    if (events.length <= INSERT_CHUNK) yield events;
    else for (let i = 0; i < events.length; i += INSERT_CHUNK) yield events.slice(i, i + INSERT_CHUNK);
  }

  /** Inserts the events learning which ids were new (`RETURNING id`); flags those (1 per new event, by index). */
  private async insertLearningNew(db: Kysely<any>, events: readonly VelocityEvent[]): Promise<Uint8Array> {
    const isNew = new Uint8Array(events.length);
    let at = 0;
    for (const chunk of this.chunks(events)) {
      await this.insertChunk(chunk, isNew.subarray(at, at + chunk.length), db);
      at += chunk.length;
    }
    return isNew;
  }

  private applyNew(events: readonly VelocityEvent[], isNew: Uint8Array): void {
    for (let i = 0; i < events.length; i++) if (isNew[i]) this.apply(events[i]!);
    this.expireAll();
  }

  /**
   * The common case first: all the events are new. Their INSERTs without RETURNING (about a fifth cheaper in SQLite
   * than learning each new id) run in one transaction, so one commit; when some row already existed the transaction
   * rolls back, writes nothing, and persist() writes again (in one transaction) learning which ids were new. Resolves whether it wrote.
   */
  private async insertAllNew(events: readonly VelocityEvent[]): Promise<boolean> {
    try {
      await this.db.transaction().execute(async (trx) => {
        for (const chunk of this.chunks(events)) {
          const { numAffectedRows } = await trx.executeQuery(this.insertQuery(chunk, false));
          // A repeated id (stored before, or twice in this chunk) inserts fewer rows than the chunk holds.
          if (Number(numAffectedRows) !== chunk.length) throw SOME_NOT_NEW;
        }
      });
      return true;
    } catch (err) {
      if (err === SOME_NOT_NEW) return false;
      throw err;
    }
  }

  /** Inserts the chunk learning which ids were new (`RETURNING id`), and flags those. */
  private async insertChunk(chunk: readonly VelocityEvent[], flags: Uint8Array, db: Kysely<any>): Promise<void> {
    const { rows } = await db.executeQuery<{ id: string }>(this.insertQuery(chunk, true));
    if (rows.length === chunk.length) {
      flags.fill(1); // every row inserted: so every id was new and none repeated within the chunk
      return;
    }
    const ids = new Set(rows.map((r) => r.id));
    for (let i = 0; i < chunk.length; i++) if (ids.delete(chunk[i]!.id)) flags[i] = 1; // delete: an id repeated within the chunk counts once
  }

  /**
   * One multi-row `INSERT ... ON CONFLICT DO NOTHING [RETURNING id]` (SQLite and PostgreSQL alike) with the chunk's
   * values bound. Kysely compiles the statement once per row count and form; each call only binds the values.
   */
  private insertQuery(chunk: readonly VelocityEvent[], returning: boolean): CompiledQuery {
    const templateKey = returning ? chunk.length : -chunk.length;
    let template = this.insertQueries.get(templateKey);
    if (!template) {
      const placeholder = { id: '', type: '', occurred_at: 0, fields: '' };
      const insert = this.db
        .insertInto('velocity_events')
        .values(Array.from({ length: chunk.length }, () => placeholder))
        .onConflict((oc) => oc.column('id').doNothing());
      template = returning ? insert.returning('id').compile() : insert.compile();
      if (template.parameters.length !== chunk.length * 4) throw new Error('velocity events: unexpected INSERT parameters');
      if (this.insertQueries.size > 16) this.insertQueries.clear();
      this.insertQueries.set(templateKey, template);
    }
    const parameters: unknown[] = new Array(chunk.length * 4);
    for (let i = 0, p = 0; i < chunk.length; i++) {
      const e = chunk[i]!;
      parameters[p++] = e.id;
      parameters[p++] = e.type;
      parameters[p++] = e.time;
      parameters[p++] = JSON.stringify(e.fields);
    }
    return { ...template, parameters };
  }

  private apply(event: VelocityEvent): void {
    const time = event.time;
    if (time > this.watermark) this.watermark = time;
    const watermark = this.watermark;
    const fields = event.fields;
    const paths = this.fieldPaths;
    const values = this.fieldValues;
    for (let i = 0; i < paths.length; i++) values[i] = readPath(fields, paths[i]!);
    for (const space of this.spaces) {
      if (time <= watermark - space.retentionMs) continue;
      const key = distinctKeyOf(values[space.keyField]);
      if (key === undefined || !space.admitter.admitsEvent(event)) continue;
      let stores = space.hasCount;
      const streams = space.valueStreams;
      const incoming = space.incoming;
      for (let i = 0; i < streams.length; i++) {
        const st = streams[i]!;
        const v = st.admitter.valueFrom(values[st.field]) ?? undefined;
        incoming[i] = v;
        if (v !== undefined) stores = true;
      }
      if (stores) space.add(key, time, watermark);
    }
  }

  /** Drops what every key space's retention has passed; once per batch rather than per event. */
  private expireAll(): void {
    for (const space of this.spaces) space.expire(this.watermark);
  }

  /** Synchronous read (the embedded store needs no IO to answer). */
  readSync(event: VelocityEvent, names?: readonly string[]): Record<string, VelocityValue> {
    const out: Record<string, VelocityValue> = {};
    const at = event.time;
    const acc = this.acc;
    const entries = names ? names.map((n) => this.byName.get(n)).filter((x) => x !== undefined) : this.all;
    // Definitions of one key space share the key, those of one stream the current event's admission.
    const epoch = ++this.readEpoch;
    for (const { def, space, stream, tier, spaceIndex, streamIndex } of entries) {
      const s = this.readSpaces[spaceIndex]!;
      if (s.epoch !== epoch) {
        s.epoch = epoch;
        const key = def.keyOf(event);
        s.key = key;
        s.id = key === undefined ? -2 : space.ids.find(key);
      }
      if (s.id === -2) {
        out[def.name] = def.emptyValue; // the event has no key: it counts nowhere
        continue;
      }
      acc.reset();
      if (s.id >= 0) {
        if (stream) space.collectValues(s.id, stream, at - def.windowMs, at, tier, acc);
        else space.collectCount(s.id, at - def.windowMs, at, acc);
      }
      const running = this.inFlight[spaceIndex]!.size ? this.inFlight[spaceIndex]!.get(s.key!) : undefined;
      if (running) this.collectInFlight(running, def, event, acc);
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

  /** Adds the reserved events of one key that the definition sees at the read event's time, as if stored. */
  private collectInFlight(running: readonly InFlightEvent[], def: CompiledVelocity, event: VelocityEvent, acc: WindowAccumulator): void {
    const at = event.time;
    const from = at - def.windowMs;
    for (const { event: other, unknownFields } of running) {
      if (other.id === event.id || other.time <= from || other.time > at) continue;
      if (unknownFields.length && (def.fieldsRead === null || def.fieldsRead.some((f) => unknownFields.includes(f)))) continue;
      const v = def.admitKeyed(other);
      if (v !== undefined) acc.add(other.time, v);
    }
  }

  async readAndReserve(event: VelocityEvent, names: readonly string[] | undefined, unknownFields: readonly string[]): Promise<{ values: Record<string, VelocityValue>; release: () => void }> {
    // Both before the first await: no other read comes between.
    const values = this.readSync(event, names);
    return { values, release: this.reserve(event, unknownFields) };
  }

  /** Counts a running decision's event in every read until released (see VelocityStore.readAndReserve). */
  reserve(event: VelocityEvent, unknownFields: readonly string[]): () => void {
    const entry: InFlightEvent = { event, unknownFields };
    const held: { map: Map<string, InFlightEvent[]>; key: string }[] = [];
    for (let i = 0; i < this.spaces.length; i++) {
      const key = this.spaceHeads[i]!.keyOf(event);
      if (key === undefined) continue;
      const map = this.inFlight[i]!;
      const list = map.get(key);
      if (list) list.push(entry);
      else map.set(key, [entry]);
      held.push({ map, key });
    }
    let released = false;
    return () => {
      if (released) return;
      released = true;
      for (const { map, key } of held) {
        const list = map.get(key)!;
        if (list.length === 1) map.delete(key);
        else list.splice(list.indexOf(entry), 1);
      }
    };
  }

  /** Events reserved and not yet released (tests: every reservation is released). */
  reservationCount(): number {
    const events = new Set<InFlightEvent>();
    for (const map of this.inFlight) for (const list of map.values()) for (const e of list) events.add(e);
    return events.size;
  }

  /** Deletes persisted events no definition can see any more (call from a periodic job). Returns rows deleted. */
  async prunePersisted(): Promise<number> {
    if (this.watermark === -Infinity) return 0;
    const res = await this.db.deleteFrom('velocity_events').where('occurred_at', '<=', this.watermark - this.persistedRetentionMs).executeTakeFirst();
    return Number(res.numDeletedRows);
  }

  /** Keys held in memory across all key spaces (for the memory report). */
  keyCount(): number {
    let n = 0;
    for (const space of this.spaces) n += space.size;
    return n;
  }

  async close(): Promise<void> {
    // The Kysely instance belongs to the caller; nothing of the store's own needs closing.
  }

  /** The decision path writes a decision's event in the decision's transaction (see VelocityInTransaction). */
  readonly inTransaction: VelocityInTransaction = {
    write: async (trx, events) => {
      const isNew = await this.insertLearningNew(trx, events);
      return () => this.applyNew(events, isNew);
    },
  };
}
