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

// ARGV per key: aggregate, lo (exclusive), hi (inclusive), current distinct value ('' = none, else '=' .. value).
// Returns one string per key: count / sum / min / max / earliest time / distinct count ('' = no event).
const READ_SCRIPT = `
local out = {}
for i = 1, #KEYS do
  local b = (i - 1) * 4
  local agg, lo, hi, cur = ARGV[b + 1], '(' .. ARGV[b + 2], ARGV[b + 3], ARGV[b + 4]
  local k = KEYS[i]
  if agg == 'count' then
    out[i] = tostring(redis.call('ZCOUNT', k, lo, hi))
  elseif agg == 'firstSeenAge' then
    local r = redis.call('ZRANGEBYSCORE', k, lo, hi, 'WITHSCORES', 'LIMIT', 0, 1)
    out[i] = r[2] or ''
  else
    local ms = redis.call('ZRANGEBYSCORE', k, lo, hi)
    if agg == 'distinctCount' then
      local seen, n = {}, 0
      if cur ~= '' then seen[string.sub(cur, 2)] = true; n = 1 end
      for _, m in ipairs(ms) do
        local v = string.sub(m, string.find(m, '\\31', 1, true) + 1)
        if not seen[v] then seen[v] = true; n = n + 1 end
      end
      out[i] = tostring(n)
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
return out
`;

// ARGV per key: time, member, cutoff (members at or before it are dropped), ttl ms. Returns ZADD's count per key.
const INGEST_SCRIPT = `
local added = {}
for i = 1, #KEYS do
  local b = (i - 1) * 4
  added[i] = redis.call('ZADD', KEYS[i], ARGV[b + 1], ARGV[b + 2])
  redis.call('ZREMRANGEBYSCORE', KEYS[i], '-inf', ARGV[b + 3])
  redis.call('PEXPIRE', KEYS[i], ARGV[b + 4])
end
return added
`;

/** Events per ingest script call: large enough to amortise the round trip, small enough not to block Redis long. */
const INGEST_CHUNK = 250;

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
}

interface StreamInfo {
  admitter: CompiledVelocity;
  keyPrefix: string;
  retentionMs: number;
}

export class RedisVelocityStore implements VelocityStore {
  readonly kind = 'redis' as const;
  private readonly redis: RedisWithScript;
  private readonly streams: StreamInfo[] = [];
  private readonly byName = new Map<string, { def: CompiledVelocity; stream: StreamInfo }>();

  constructor(options: RedisVelocityStoreOptions) {
    if (!('mingjianVelocityRead' in options.redis)) {
      options.redis.defineCommand('mingjianVelocityRead', { lua: READ_SCRIPT });
      options.redis.defineCommand('mingjianVelocityIngest', { lua: INGEST_SCRIPT });
    }
    this.redis = options.redis as RedisWithScript;
    const lateness = options.maxLatenessMs ?? DEFAULT_MAX_LATENESS_MS;
    const byStream = new Map<string, StreamInfo>();
    for (const def of options.definitions) {
      let s = byStream.get(def.streamId);
      if (!s) {
        const hash = createHash('sha256').update(def.streamId).digest('hex').slice(0, 12);
        s = { admitter: def, keyPrefix: `${options.prefix}v:${hash}:`, retentionMs: 0 };
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
          keys.push(s.keyPrefix + k);
          args.push(e.time, value === null ? e.id : `${e.id}\x1f${value}`, e.time - s.retentionMs, s.retentionMs);
          owner.push(n);
        }
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

  async read(event: VelocityEvent, names?: readonly string[]): Promise<Record<string, VelocityValue>> {
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
      keys.push(stream.keyPrefix + key);
      args.push(def.aggregate, at - def.windowMs, at, def.aggregate === 'distinctCount' && typeof current === 'string' ? `=${current}` : '');
      asked.push(def);
    }
    if (!asked.length) return out;
    const replies = await this.redis.mingjianVelocityRead(keys.length, ...keys, ...args);
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
    return out;
  }

  async close(): Promise<void> {
    // The Redis connection belongs to the caller.
  }
}
