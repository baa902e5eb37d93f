import fc from 'fast-check';
import type { Redis } from 'ioredis';
import type { Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EmbeddedVelocityStore, bucketWidthFor } from './embedded-velocity-store.ts';
import { RedisVelocityStore } from './redis-velocity-store.ts';
import { compileVelocities, type VelocityDefinition } from './velocity-definition.ts';
import type { VelocityEvent } from './velocity-event.ts';
import { recountVelocity } from './velocity-window.ts';
import { connectRedis, dropPrefix, openSqlite, uniquePrefix } from './test-support.ts';

const MIN = 60_000;
const HOUR = 60 * MIN;
const T0 = Date.UTC(2026, 0, 1);

const DEFINITIONS: VelocityDefinition[] = [
  { name: 'appsPerDevice1m', aggregate: 'count', groupBy: 'deviceId', window: '1m' },
  { name: 'appsPerDevice1h', aggregate: 'count', groupBy: 'deviceId', window: '1h' },
  { name: 'appsPerDevice1hExcl', aggregate: 'count', groupBy: 'deviceId', window: '1h', includeCurrent: false },
  { name: 'idsPerDevice24h', aggregate: 'distinctCount', field: 'idNumber', groupBy: 'deviceId', window: '24h' },
  { name: 'idsPerDevice5mExcl', aggregate: 'distinctCount', field: 'idNumber', groupBy: 'deviceId', window: '5m', includeCurrent: false },
  { name: 'amountPerPhone1h', aggregate: 'sum', field: 'amount', groupBy: 'phone', window: '1h' },
  { name: 'minAmountPerIp5m', aggregate: 'min', field: 'amount', groupBy: 'ip', window: '5m' },
  { name: 'maxAmountPerIp24h', aggregate: 'max', field: 'amount', groupBy: 'ip', window: '24h', includeCurrent: false },
  { name: 'ipFirstSeen24h', aggregate: 'firstSeenAge', groupBy: 'ip', window: '24h' },
  { name: 'ipFirstSeen1mExcl', aggregate: 'firstSeenAge', groupBy: 'ip', window: '1m', includeCurrent: false },
  { name: 'declinesPerDevice1h', aggregate: 'count', groupBy: 'deviceId', window: '1h', where: [{ field: 'decision', op: 'eq', value: 'DECLINE' }] },
  { name: 'loginsPerDevice5m', aggregate: 'count', groupBy: 'deviceId', window: '5m', eventTypes: ['login'] },
  { name: 'bigAmountsPerPhone24h', aggregate: 'count', groupBy: 'phone', window: '24h', where: [{ field: 'amount', op: 'gte', value: 500 }] },
];
const compiled = compileVelocities(DEFINITIONS);

// Times cluster on a few anchors plus window-length offsets of -1, 0, +1 ms, so events land exactly on window edges.
const offsetArb = fc.oneof(
  fc.integer({ min: 0, max: 3 * HOUR }),
  fc.tuple(fc.constantFrom(0, 17 * MIN, 90 * MIN), fc.constantFrom(0, MIN, 5 * MIN, HOUR), fc.constantFrom(-1, 0, 1)).map(([a, w, d]) => a + w + d),
);

const eventArb = fc.record({
  type: fc.constantFrom('application', 'application', 'login'),
  offset: offsetArb,
  deviceId: fc.option(fc.constantFrom('d1', 'd2', 'd3'), { nil: undefined, freq: 8 }),
  phone: fc.constantFrom('p1', 'p2'),
  ip: fc.constantFrom('10.0.0.1', '10.0.0.2', '10.0.0.3'),
  idNumber: fc.option(fc.constantFrom('A', 'B', 'C', 'D', 7), { nil: undefined, freq: 6 }),
  amount: fc.option(fc.integer({ min: -1000, max: 1000 }), { nil: undefined, freq: 6 }),
  decision: fc.constantFrom('APPROVE', 'DECLINE', 'REVIEW'),
});

type GenEvent = { type: string; offset: number } & Record<string, unknown>;

function toEvent(g: GenEvent, id: string): VelocityEvent {
  const { type, offset, ...rest } = g;
  const fields: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(rest)) if (v !== undefined) fields[k] = v;
  return { id, type, time: T0 + offset, fields };
}

describe('velocity stores equal a brute-force recount', () => {
  let db: Kysely<any>;
  let redis: Redis;
  const prefixes: string[] = [];

  beforeAll(async () => {
    db = await openSqlite();
    redis = connectRedis();
  });
  afterAll(async () => {
    for (const p of prefixes) await dropPrefix(redis, p);
    redis.disconnect();
    await db.destroy();
  });

  it('on random out-of-order streams with reads at window edges, ingesting in batches', async () => {
    let run = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.array(eventArb, { minLength: 1, maxLength: 25 }), { minLength: 1, maxLength: 3 }),
        fc.array(fc.tuple(eventArb, fc.nat(), fc.constantFrom(0, MIN, 5 * MIN, HOUR, 24 * HOUR), fc.constantFrom(-1, 0, 1)), { minLength: 1, maxLength: 6 }),
        async (batches, reads) => {
          run++;
          await db.deleteFrom('velocity_events').execute();
          const embedded = await EmbeddedVelocityStore.open({ db, definitions: compiled, maxLatenessMs: 48 * HOUR });
          // Every key past its first event gets buckets here, so the bucketed read path meets the same streams.
          const bucketed = await EmbeddedVelocityStore.open({ db, definitions: compiled, maxLatenessMs: 48 * HOUR, hotKeyEvents: 1 });
          const prefix = uniquePrefix(`prop${run}`);
          prefixes.push(prefix);
          const redisStore = new RedisVelocityStore({ redis, prefix, definitions: compiled, maxLatenessMs: 48 * HOUR });
          const stored: VelocityEvent[] = [];
          let n = 0;
          for (const batch of batches) {
            const events = batch.map((g) => toEvent(g as GenEvent, `e${n++}`));
            await embedded.ingest(events);
            await bucketed.ingest(events.map((e) => ({ ...e, id: `b-${e.id}` })));
            await redisStore.ingest(events);
            stored.push(...events);
            for (const [g, pick, w, d] of reads) {
              // Read at an existing event's time shifted by a window length and -1/0/+1 ms: exactly on the edges.
              const base = stored[pick % stored.length]!;
              const current = { ...toEvent(g as GenEvent, 'current'), time: base.time + w + d };
              const expected = Object.fromEntries(compiled.map((def) => [def.name, recountVelocity(def, stored, current)]));
              expect(embedded.readSync(current)).toEqual(expected);
              expect(bucketed.readSync(current)).toEqual(expected);
              expect(await redisStore.read(current)).toEqual(expected);
            }
          }
        },
      ),
      { numRuns: 100 },
    );
  });

  it('stays exact while expiring: a long stream with little lateness, reads no older than the lateness allows', async () => {
    const LATENESS = MIN;
    let run = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(eventArb, fc.oneof(fc.integer({ min: 0, max: 2 * MIN }), fc.integer({ min: 0, max: 3 * HOUR })), fc.integer({ min: 0, max: LATENESS })), { minLength: 5, maxLength: 80 }),
        fc.array(fc.tuple(eventArb, fc.nat(), fc.constantFrom(0, MIN, 5 * MIN, HOUR, 24 * HOUR), fc.constantFrom(-1, 0, 1)), { minLength: 1, maxLength: 12 }),
        async (steps, reads) => {
          run++;
          await db.deleteFrom('velocity_events').execute();
          const opts = { db, definitions: compiled, maxLatenessMs: LATENESS };
          const embedded = await EmbeddedVelocityStore.open(opts);
          const bucketed = await EmbeddedVelocityStore.open({ ...opts, hotKeyEvents: 1 });
          const prefix = uniquePrefix(`expiry${run}`);
          prefixes.push(prefix);
          const redisStore = new RedisVelocityStore({ redis, prefix, definitions: compiled, maxLatenessMs: LATENESS });
          // Time moves forward by seconds to hours per event, over days; each event may be up to a minute late.
          let clock = T0;
          const stored: VelocityEvent[] = steps.map(([g, gap, late], i) => {
            clock += gap;
            return { ...toEvent(g as GenEvent, `x${i}`), time: clock - late };
          });
          for (let i = 0; i < stored.length; i += 10) {
            const batch = stored.slice(i, i + 10);
            await embedded.ingest(batch);
            await bucketed.ingest(batch.map((e) => ({ ...e, id: `b-${e.id}` })));
            await redisStore.ingest(batch);
          }
          const watermark = Math.max(...stored.map((e) => e.time));
          for (const [g, pick, w, d] of reads) {
            const at = Math.max(watermark - LATENESS, stored[pick % stored.length]!.time + w + d);
            const current = { ...toEvent(g as GenEvent, 'current'), time: at };
            const expected = Object.fromEntries(compiled.map((def) => [def.name, recountVelocity(def, stored, current)]));
            expect(embedded.readSync(current)).toEqual(expected);
            expect(bucketed.readSync(current)).toEqual(expected);
            expect(await redisStore.read(current)).toEqual(expected);
          }
        },
      ),
      { numRuns: 60 },
    );
  });

  it('counts the events of running decisions as stored until stored with their outcome or released, in both stores', async () => {
    let run = 0;
    const readsOutcome = new Set(compiled.filter((d) => d.fieldsRead === null || d.fieldsRead.includes('decision')).map((d) => d.name));
    expect([...readsOutcome]).toEqual(['declinesPerDevice1h']);
    await fc.assert(
      fc.asyncProperty(
        fc.array(eventArb, { minLength: 0, maxLength: 20 }),
        // Each decision reads and reserves, then one running decision (picked by index) is stored, fails, or goes on.
        // Their times stay within a minute of the wall clock (older reservations are stale, see the next test).
        fc.array(fc.tuple(eventArb, fc.integer({ min: -50_000, max: 50_000 }), fc.constantFrom('store', 'fail', 'run'), fc.nat()), { minLength: 1, maxLength: 12 }),
        async (history, decisions) => {
          run++;
          await db.deleteFrom('velocity_events').execute();
          const embedded = await EmbeddedVelocityStore.open({ db, definitions: compiled, maxLatenessMs: 48 * HOUR });
          const prefix = uniquePrefix(`reserve${run}`);
          prefixes.push(prefix);
          // The wall clock of these decisions: they run at the time they record.
          const redisStore = new RedisVelocityStore({ redis, prefix, definitions: compiled, maxLatenessMs: 48 * HOUR, now: () => T0 + HOUR });
          const stored = history.map((g, i) => toEvent(g as GenEvent, `h${i}`));
          await embedded.ingest(stored);
          await redisStore.ingest(stored);
          const running: { event: VelocityEvent; outcome: unknown; releases: (() => void)[] }[] = [];
          for (const [i, [g, offset, end, pick]] of decisions.entries()) {
            const { decision: outcome, ...fields } = g as GenEvent;
            // A running decision's event has no outcome yet.
            const current = { ...toEvent({ ...fields, type: g.type, offset: g.offset } as GenEvent, `d${i}`), time: T0 + HOUR + offset };
            const expected = Object.fromEntries(compiled.map((def) => [def.name, recountVelocity(def, readsOutcome.has(def.name) ? stored : [...stored, ...running.map((r) => r.event)], current)]));
            const a = await embedded.readAndReserve(current, undefined, ['decision']);
            const b = await redisStore.readAndReserve(current, undefined, ['decision']);
            expect(a.values, 'embedded').toEqual(expected);
            expect(b.values, 'redis').toEqual(expected);
            running.push({ event: current, outcome, releases: [a.release, b.release] });
            const chosen = running[pick % running.length]!;
            if (end === 'run') continue;
            running.splice(running.indexOf(chosen), 1);
            if (end === 'store') {
              const decided = { ...chosen.event, fields: { ...chosen.event.fields, decision: chosen.outcome } };
              await embedded.ingest([decided]);
              await redisStore.ingest([decided]);
              stored.push(decided);
            }
            // After a store as the decision path does (the embedded store counts, then releases in the same turn), or
            // alone for a failed decision.
            chosen.releases.forEach((release) => release());
          }
          const probe: VelocityEvent = { id: 'probe', type: 'application', time: T0 + HOUR + 2 * MIN, fields: { deviceId: 'd1', phone: 'p1', ip: '10.0.0.1', idNumber: 'Z', amount: 1 } };
          for (const r of running) r.releases.forEach((release) => release());
          expect(embedded.reservationCount()).toBe(0);
          expect(redisStore.reservationCount()).toBe(0);
          const expected = Object.fromEntries(compiled.map((def) => [def.name, recountVelocity(def, stored, probe)]));
          expect(embedded.readSync(probe)).toEqual(expected);
          expect(await redisStore.read(probe)).toEqual(expected);
        },
      ),
      { numRuns: 60 },
    );
  });

  it('shares reservations between instances on one Redis, and drops one left a minute behind by a dead instance', async () => {
    const defs = compileVelocities([{ name: 'apps', aggregate: 'count', groupBy: 'deviceId', window: '1h' }]);
    const prefix = uniquePrefix('instances');
    prefixes.push(prefix);
    let clock = T0;
    const [one, two] = [0, 1].map(() => new RedisVelocityStore({ redis, prefix, definitions: defs, now: () => clock }));
    const at = (id: string, time: number): VelocityEvent => ({ id, type: 'application', time, fields: { deviceId: 'd-shared' } });
    const first = await one!.readAndReserve(at('i1', T0), undefined, ['decision']);
    const second = await two!.readAndReserve(at('i2', T0 + 5), undefined, ['decision']);
    expect([first.values.apps, second.values.apps]).toEqual([1, 2]);
    // Instance one dies with i1 running: two minutes on, the next reservation of the key counts it a last time and drops it.
    second.release();
    clock = T0 + 2 * MIN;
    expect((await two!.readAndReserve(at('i3', clock), undefined, ['decision'])).values.apps).toBe(2);
    expect((await two!.read(at('i4', clock + 1))).apps).toBe(2); // i3 running, i1 gone
  });

  it('counts an event id once however often it is ingested', async () => {
    await db.deleteFrom('velocity_events').execute();
    const defs = compileVelocities([{ name: 'apps', aggregate: 'count', groupBy: 'deviceId', window: '1h', includeCurrent: false }]);
    const embedded = await EmbeddedVelocityStore.open({ db, definitions: defs });
    const prefix = uniquePrefix('dupe');
    prefixes.push(prefix);
    const redisStore = new RedisVelocityStore({ redis, prefix, definitions: defs });
    const e: VelocityEvent = { id: 'a1', type: 'application', time: T0, fields: { deviceId: 'd1' } };
    expect(await embedded.ingest([e, e])).toBe(1);
    expect(await embedded.ingest([e])).toBe(0);
    expect(await redisStore.ingest([e, e])).toBe(1);
    const current = { ...e, id: 'a2', time: T0 + 1 };
    expect(embedded.readSync(current)).toEqual({ apps: 1 });
    expect(await redisStore.read(current)).toEqual({ apps: 1 });
  });
});

describe('window edges', () => {
  it('counts events in (at - window, at]: the event exactly one window old is out, one ms younger is in', async () => {
    const db = await openSqlite();
    const defs = compileVelocities([{ name: 'apps1h', aggregate: 'count', groupBy: 'deviceId', window: '1h', includeCurrent: false }]);
    const store = await EmbeddedVelocityStore.open({ db, definitions: defs });
    const at = T0 + 5 * HOUR + 12_345; // deliberately off every bucket boundary
    const ev = (id: string, time: number): VelocityEvent => ({ id, type: 'application', time, fields: { deviceId: 'd' } });
    await store.ingest([ev('old', at - HOUR), ev('edge', at - HOUR + 1), ev('mid', at - 30 * MIN), ev('now', at), ev('future', at + 1)]);
    const current = ev('current', at);
    expect(store.readSync(current)).toEqual({ apps1h: 3 });
    expect(store.readSync({ ...current, time: at + 1 })).toEqual({ apps1h: 3 }); // 'edge' leaves, 'future' enters
    expect(store.readSync({ ...current, time: at - 1 })).toEqual({ apps1h: 3 }); // 'old' enters, 'now' leaves
    expect(store.readSync({ ...current, time: at + HOUR })).toEqual({ apps1h: 1 }); // only 'future' is younger than an hour
    await db.destroy();
  });

  it('chooses bucket widths so a window spans at most 60 buckets', () => {
    expect(bucketWidthFor(MIN)).toBe(1000);
    expect(bucketWidthFor(HOUR)).toBe(MIN);
    expect(bucketWidthFor(24 * HOUR)).toBe(30 * MIN);
    expect(bucketWidthFor(90 * 24 * HOUR)).toBe(2 * 24 * HOUR);
  });
});
