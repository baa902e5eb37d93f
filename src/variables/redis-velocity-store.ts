// The Redis velocity store, for several server instances sharing counts.
//
// One sorted set per (stream, key): score = event time, member = event id (+ 0x1f + stored value). Windows of every
// length read the same set with ZCOUNT / ZRANGEBYSCORE over (at - W, at], so answers are exact at the edges. All the
// variables of one decision are read by one Lua script call: one round trip whatever their number.
// Members older than the stream's retention behind the event being added are removed on each add, and every key
// expires after the retention of wall-clock inactivity.

import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { CompiledVelocity, VelocityValue } from './velocity-definition.ts';
import type { VelocityEvent } from './velocity-event.ts';
import { DEFAULT_MAX_LATENESS_MS, type VelocityStore } from './velocity-store.ts';
import { WindowAccumulator } from './velocity-window.ts';

// KEYS: per definition read, its stream's sorted set and the set of its reserved events (events of decisions still
// running, see VelocityStore.readAndReserve); then the reserved sets the event being decided goes into.
// ARGV: the number of definitions read; per definition aggregate, lo (exclusive), hi (inclusive), current distinct
// value ('' = none, else '=' .. value), '1' when reserved events count for it; per reservation time, member, ttl ms,
// and an event time at or before which reserved members are stale (a minute behind the wall clock: left by an
// instance that died mid-decision) and dropped.
// Returns one string per definition: count / sum / min / max / earliest time / distinct count ('' = no event).
// Reads and reservations run as one script, so of two decisions on two instances one always sees the other.
const READ_SCRIPT = `
local n = tonumber(ARGV[1])
local out = {}
for i = 1, n do
  local b = 1 + (i - 1) * 5
  local agg, lo, hi, cur, withReserved = ARGV[b + 1], '(' .. ARGV[b + 2], ARGV[b + 3], ARGV[b + 4], ARGV[b + 5] == '1'
  local k, rk = KEYS[2 * i - 1], KEYS[2 * i]
  if agg == 'count' then
    local c = redis.call('ZCOUNT', k, lo, hi)
    if withReserved then c = c + redis.call('ZCOUNT', rk, lo, hi) end
    out[i] = tostring(c)
  elseif agg == 'firstSeenAge' then
    local r = redis.call('ZRANGEBYSCORE', k, lo, hi, 'WITHSCORES', 'LIMIT', 0, 1)
    local earliest = r[2]
    if withReserved then
      local p = redis.call('ZRANGEBYSCORE', rk, lo, hi, 'WITHSCORES', 'LIMIT', 0, 1)
      if p[2] and (earliest == nil or tonumber(p[2]) < tonumber(earliest)) then earliest = p[2] end
    end
    out[i] = earliest or ''
  else
    local ms = redis.call('ZRANGEBYSCORE', k, lo, hi)
    if withReserved then
      for _, m in ipairs(redis.call('ZRANGEBYSCORE', rk, lo, hi)) do ms[#ms + 1] = m end
    end
    if agg == 'distinctCount' then
      local seen, c = {}, 0
      if cur ~= '' then seen[string.sub(cur, 2)] = true; c = 1 end
      for _, m in ipairs(ms) do
        local v = string.sub(m, string.find(m, '\\31', 1, true) + 1)
        if not seen[v] then seen[v] = true; c = c + 1 end
      end
      out[i] = tostring(c)
    else
      local acc, s = nil, 0
      for _, m in ipairs(ms) do
        local v = tonumber(string.sub(m, string.find(m, '\\31', 1, true) + 1))
        if agg == 'sum' then s = s + v
        elseif acc == nil or (agg == 'min' and v < acc) or (agg == 'max' and v > acc) then acc = v end
      end
      if agg == 'sum' then out[i] = string.format('%.17g', s)
      elseif acc == nil then out[i] = ''
      else out[i] = string.format('%.17g', acc) end
    end
  end
end
local r0 = 1 + n * 5
for j = 1, (#ARGV - r0) / 4 do
  local b = r0 + (j - 1) * 4
  local rk = KEYS[2 * n + j]
  redis.call('ZREMRANGEBYSCORE', rk, '-inf', ARGV[b + 4])
  redis.call('ZADD', rk, ARGV[b + 1], ARGV[b + 2])
  redis.call('PEXPIRE', rk, ARGV[b + 3])
end
return out
`;

// KEYS per event and stream: the stream's sorted set and its reserved set. ARGV per key pair: time, member, cutoff
// (members at or before it are dropped), ttl ms. Stores the member and ends its reservation in one step, so no read
// counts it twice or not at all. Returns ZADD's count per pair.
const INGEST_SCRIPT = `
local added = {}
for i = 1, #KEYS / 2 do
  local b = (i - 1) * 4
  local k = KEYS[2 * i - 1]
  added[i] = redis.call('ZADD', k, ARGV[b + 1], ARGV[b + 2])
  redis.call('ZREMRANGEBYSCORE', k, '-inf', ARGV[b + 3])
  redis.call('PEXPIRE', k, ARGV[b + 4])
  redis.call('ZREM', KEYS[2 * i], ARGV[b + 2])
end
return added
`;

/** How long a reservation may stand: a decision never runs this long, so older ones were left by a dead instance. */
const RESERVATION_MS = 60_000;

/** Events per ingest script call: large enough to amortise the round trip, small enough not to block Redis long. */
const INGEST_CHUNK = 250;

/** An event's member in a stream's sorted set (and in its reserved set): its id, and the value it stores if any. */
function memberOf(event: VelocityEvent, value: number | string | null): string {
  return value === null ? event.id : `${event.id}\x1f${value}`;
}

type RedisWithScript = Redis & {
  mingjianVelocityRead(numKeys: number, ...args: (string | number)[]): Promise<string[]>;
  mingjianVelocityIngest(numKeys: number, ...args: (string | number)[]): Promise<number[]>;
};

export interface RedisVelocityStoreOptions {
  redis: Redis;
  /** Prefix of every key, e.g. `mingjian:velocity:` (a unique one per test). */
  prefix: string;
  definitions: readonly CompiledVelocity[];
  maxLatenessMs?: number;
  /**
   * Wall clock (epoch ms). A reservation whose event time is more than a minute behind it was left by an instance
   * that died mid-decision, and is dropped by the next reservation of its key (decisions run at the time they record).
   */
  now?: () => number;
}

interface StreamInfo {
  admitter: CompiledVelocity;
  keyPrefix: string;
  /** Prefix of the sets of reserved events (decisions still running). */
  reservedPrefix: string;
  retentionMs: number;
}

export class RedisVelocityStore implements VelocityStore {
  readonly kind = 'redis' as const;
  private readonly redis: RedisWithScript;
  private readonly streams: StreamInfo[] = [];
  private readonly byName = new Map<string, { def: CompiledVelocity; stream: StreamInfo }>();
  /** Reservations this instance holds: their members, until ingested or released. */
  private readonly reserved = new Map<string, { keys: string[]; members: string[] }>();
  private readonly now: () => number;

  constructor(options: RedisVelocityStoreOptions) {
    if (!('mingjianVelocityRead' in options.redis)) {
      options.redis.defineCommand('mingjianVelocityRead', { lua: READ_SCRIPT });
      options.redis.defineCommand('mingjianVelocityIngest', { lua: INGEST_SCRIPT });
    }
    this.redis = options.redis as RedisWithScript;
    this.now = options.now ?? Date.now;
    const lateness = options.maxLatenessMs ?? DEFAULT_MAX_LATENESS_MS;
    const byStream = new Map<string, StreamInfo>();
    for (const def of options.definitions) {
      let s = byStream.get(def.streamId);
      if (!s) {
        const hash = createHash('sha256').update(def.streamId).digest('hex').slice(0, 12);
        s = { admitter: def, keyPrefix: `${options.prefix}v:${hash}:`, reservedPrefix: `${options.prefix}r:${hash}:`, retentionMs: 0 };
        byStream.set(def.streamId, s);
        this.streams.push(s);
      }
      s.retentionMs = Math.max(s.retentionMs, def.windowMs + lateness);
      this.byName.set(def.name, { def, stream: s });
    }
  }

  async ingest(events: readonly VelocityEvent[]): Promise<number> {
    let added = 0;
    for (let c = 0; c < events.length; c += INGEST_CHUNK) {
      const keys: string[] = [];
      const args: (string | number)[] = [];
      const owner: number[] = []; // index in the chunk of the event behind each key
      const chunk = events.slice(c, c + INGEST_CHUNK);
      chunk.forEach((e, n) => {
        for (const s of this.streams) {
          const k = s.admitter.keyOf(e);
          if (k === undefined) continue;
          const value = s.admitter.admitKeyed(e);
          if (value === undefined) continue;
          keys.push(s.keyPrefix + k, s.reservedPrefix + k);
          args.push(e.time, memberOf(e, value), e.time - s.retentionMs, s.retentionMs);
          owner.push(n);
        }
        // Stored now: the script ends its reservation, nothing is left to release.
        this.reserved.delete(e.id);
      });
      if (!keys.length) continue;
      const results = await this.redis.mingjianVelocityIngest(keys.length, ...keys, ...args);
      const isNew = new Set<number>();
      results.forEach((r, i) => {
        if (r > 0) isNew.add(owner[i]!);
      });
      added += isNew.size;
    }
    return added;
  }

  read(event: VelocityEvent, names?: readonly string[]): Promise<Record<string, VelocityValue>> {
    return this.readReserving(event, names, null).then((r) => r.values);
  }

  async readAndReserve(event: VelocityEvent, names: readonly string[] | undefined, unknownFields: readonly string[]): Promise<{ values: Record<string, VelocityValue>; release: () => void }> {
    const { values } = await this.readReserving(event, names, unknownFields);
    return { values, release: () => this.release(event.id) };
  }

  /** One script call: the values of the definitions asked, and, unless `unknownFields` is null, the event reserved. */
  private async readReserving(event: VelocityEvent, names: readonly string[] | undefined, unknownFields: readonly string[] | null): Promise<{ values: Record<string, VelocityValue> }> {
    const out: Record<string, VelocityValue> = {};
    const at = event.time;
    const entries = names ? names.map((n) => this.byName.get(n)).filter((x) => x !== undefined) : [...this.byName.values()];
    const keys: string[] = [];
    const args: (string | number)[] = [];
    const asked: CompiledVelocity[] = [];
    for (const { def, stream } of entries) {
      const key = def.keyOf(event);
      if (key === undefined) {
        out[def.name] = def.emptyValue;
        continue;
      }
      const current = def.includeCurrent ? def.admit(event) : undefined;
      keys.push(stream.keyPrefix + key, stream.reservedPrefix + key);
      args.push(def.aggregate, at - def.windowMs, at, def.aggregate === 'distinctCount' && typeof current === 'string' ? `=${current}` : '', def.fieldsRead === null ? '0' : '1');
      asked.push(def);
    }
    const reservation = unknownFields ? this.reservationOf(event, unknownFields) : null;
    if (reservation) {
      const stale = this.now() - RESERVATION_MS;
      for (let j = 0; j < reservation.keys.length; j++) {
        keys.push(reservation.keys[j]!);
        args.push(at, reservation.members[j]!, RESERVATION_MS, stale);
      }
      this.reserved.set(event.id, reservation);
    }
    if (!keys.length) return { values: out };
    let replies: string[];
    try {
      replies = await this.redis.mingjianVelocityRead(keys.length, ...keys, asked.length, ...args);
    } catch (err) {
      if (reservation) this.release(event.id);
      throw err;
    }
    const acc = new WindowAccumulator();
    asked.forEach((def, i) => {
      const reply = replies[i]!;
      if (def.aggregate === 'distinctCount') {
        out[def.name] = Number(reply);
        return;
      }
      acc.reset();
      // Rebuild the stored part as an accumulator so the current event combines exactly as in the embedded store.
      if (def.aggregate === 'count') acc.count = Number(reply);
      else if (def.aggregate === 'sum') acc.sum = Number(reply);
      else if (reply !== '') {
        acc.count = 1;
        if (def.aggregate === 'min') acc.min = Number(reply);
        else if (def.aggregate === 'max') acc.max = Number(reply);
        else acc.earliest = Number(reply);
      }
      if (def.includeCurrent) {
        const v = def.admit(event);
        if (v !== undefined) acc.add(at, v);
      }
      out[def.name] = acc.result(def.aggregate, at);
    });
    return { values: out };
  }

  /**
   * The reserved sets an event goes into: those of the streams admitting it whose definitions read no field of
   * `unknownFields` (a stream's definitions all read the same fields, its admitter stands for them).
   */
  private reservationOf(event: VelocityEvent, unknownFields: readonly string[]): { keys: string[]; members: string[] } | null {
    const keys: string[] = [];
    const members: string[] = [];
    for (const s of this.streams) {
      const read = s.admitter.fieldsRead;
      if (read === null || read.some((f) => unknownFields.includes(f))) continue;
      const k = s.admitter.keyOf(event);
      if (k === undefined) continue;
      const value = s.admitter.admitKeyed(event);
      if (value === undefined) continue;
      keys.push(s.reservedPrefix + k);
      members.push(memberOf(event, value));
    }
    return keys.length ? { keys, members } : null;
  }

  /** Ends a reservation not ended by the event's ingest (its decision failed); best effort, the set expires anyway. */
  private release(eventId: string): void {
    const r = this.reserved.get(eventId);
    if (!r) return;
    this.reserved.delete(eventId);
    const pipeline = this.redis.multi();
    r.keys.forEach((k, j) => pipeline.zrem(k, r.members[j]!));
    pipeline.exec().catch(() => undefined);
  }

  /** Reservations this instance holds (tests: every one is released). */
  reservationCount(): number {
    return this.reserved.size;
  }

  async close(): Promise<void> {
    // The Redis connection belongs to the caller.
  }
}
