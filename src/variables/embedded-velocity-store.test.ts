import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { EmbeddedVelocityStore, KeyNumbers } from './embedded-velocity-store.ts';
import { compileVelocities } from './velocity-definition.ts';
import type { VelocityEvent } from './velocity-event.ts';
import { recountVelocity } from './velocity-window.ts';
import pg from 'pg';
import { openStore } from '../store/database.ts';
import { up as createVelocityEvents } from '../store/migrations/0100_velocity_events.ts';
import { openSqlite } from './test-support.ts';

const MIN = 60_000;
const T0 = Date.UTC(2026, 2, 1);

const defs = compileVelocities([
  { name: 'appsPerDevice1h', aggregate: 'count', groupBy: 'deviceId', window: '1h' },
  { name: 'idsPerDevice24h', aggregate: 'distinctCount', field: 'idNumber', groupBy: 'deviceId', window: '24h' },
  { name: 'amountPerDevice24h', aggregate: 'sum', field: 'amount', groupBy: 'deviceId', window: '24h', includeCurrent: false },
  { name: 'deviceFirstSeen7d', aggregate: 'firstSeenAge', groupBy: 'deviceId', window: '7d' },
]);

/** A deterministic stream: 40 devices, events every 37 s with out-of-order jitter of up to 10 minutes. */
function stream(count: number, start = T0): VelocityEvent[] {
  return Array.from({ length: count }, (_, i) => ({
    id: `ev-${start}-${i}`,
    type: 'application',
    time: start + i * 37_000 - ((i * 7919) % 600_000),
    fields: { deviceId: `dev-${(i * 13) % 40}`, idNumber: `id-${(i * 31) % 97}`, amount: (i % 50) * 100 },
  }));
}

describe('embedded velocity store', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mingjian-velocity-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('rebuilds its memory from SQLite after a restart, without loss', async () => {
    const file = join(dir, 'restart.sqlite');
    const events = stream(12000);
    const probes = Array.from({ length: 40 }, (_, i): VelocityEvent => ({ id: `probe-${i}`, type: 'application', time: T0 + 12000 * 37_000 - i * 61_001, fields: { deviceId: `dev-${i}`, idNumber: 'id-new', amount: 1 } }));

    let db = await openSqlite(file);
    let store = await EmbeddedVelocityStore.open({ db, definitions: defs });
    await store.ingest(events.slice(0, 1000));
    for (const e of events.slice(1000, 1500)) await store.ingest([e]);
    await store.ingest(events.slice(1500));
    const before = probes.map((p) => store.readSync(p));
    await store.close();
    await db.destroy();

    db = await openSqlite(file);
    store = await EmbeddedVelocityStore.open({ db, definitions: defs });
    const after = probes.map((p) => store.readSync(p));
    expect(after).toEqual(before);
    expect(after).toEqual(probes.map((p) => Object.fromEntries(defs.map((d) => [d.name, recountVelocity(d, events, p)]))));
    expect(after.some((v) => (v.appsPerDevice1h ?? 0) > 1)).toBe(true);
    await db.destroy();
  });

  it('persists to PostgreSQL as well, rebuilding in pages after a restart', async () => {
    const base = process.env.MINGJIAN_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
    const schema = `t_velocity_${process.pid}_${Math.random().toString(36).slice(2, 8)}`;
    const url = `${base}?schema=${schema}`;
    const events = stream(6000);
    const probes = Array.from({ length: 10 }, (_, i): VelocityEvent => ({ id: `probe-${i}`, type: 'application', time: T0 + 6000 * 37_000 - i * 300_001, fields: { deviceId: `dev-${i}`, idNumber: 'id-new', amount: 1 } }));
    let store = await openStore(url);
    try {
      await createVelocityEvents(store.db);
      const first = await EmbeddedVelocityStore.open({ db: store.db, definitions: defs });
      await first.ingest(events);
      await store.close();
      store = await openStore(url);
      const reopened = await EmbeddedVelocityStore.open({ db: store.db, definitions: defs });
      expect(probes.map((p) => reopened.readSync(p))).toEqual(probes.map((p) => Object.fromEntries(defs.map((d) => [d.name, recountVelocity(d, events, p)]))));
    } finally {
      await store.close();
      const client = new pg.Client({ connectionString: base });
      await client.connect();
      await client.query(`drop schema if exists "${schema}" cascade`);
      await client.end();
    }
  });

  it('writes concurrent ingests together, each told how many of its events were new', async () => {
    const db = await openSqlite();
    const store = await EmbeddedVelocityStore.open({ db, definitions: defs });
    const events = stream(50);
    const results = await Promise.all([...events.map((e) => store.ingest([e])), store.ingest([events[0]!, events[1]!])]);
    expect(results.slice(0, 50)).toEqual(Array(50).fill(1));
    expect(results[50]).toBe(0);
    const rows = await db.selectFrom('velocity_events').select((eb) => eb.fn.countAll().as('n')).executeTakeFirst();
    expect(Number(rows!.n)).toBe(50);
    const probe: VelocityEvent = { id: 'p', type: 'application', time: events[49]!.time + 1, fields: { deviceId: events[49]!.fields.deviceId as string } };
    expect(store.readSync(probe)).toEqual(Object.fromEntries(defs.map((d) => [d.name, recountVelocity(d, events, probe)])));
    await db.destroy();
  });


  it('writes a batch of several INSERT chunks whole, or, when some ids were stored before, exactly its new events', async () => {
    const db = await openSqlite();
    const store = await EmbeddedVelocityStore.open({ db, definitions: defs });
    const events = stream(9000);
    expect(await store.ingest(events.slice(0, 4000))).toBe(4000); // two chunks, all new: one transaction
    // Three chunks whose last holds ids stored before, and whose second repeats one of its own: the optimistic
    // transaction rolls back (its first chunk too) and the batch is written again learning which ids were new.
    const batch = [...events.slice(4000, 6500), events[6400]!, ...events.slice(6500, 9000), events[10]!, events[3999]!];
    expect(await store.ingest(batch)).toBe(5000);
    const rows = await db.selectFrom('velocity_events').select((eb) => eb.fn.countAll().as('n')).executeTakeFirst();
    expect(Number(rows!.n)).toBe(9000);
    const probes = [events[8999]!, events[6400]!, events[10]!].map((e, i): VelocityEvent => ({ ...e, id: `probe-${i}`, time: events[8999]!.time + 1 }));
    expect(probes.map((p) => store.readSync(p))).toEqual(probes.map((p) => Object.fromEntries(defs.map((d) => [d.name, recountVelocity(d, events, p)]))));
    await db.destroy();
  });
  it('counts the events of running decisions it reserved as if stored, except where the outcome decides, until released', async () => {
    const withOutcome = compileVelocities([
      ...defs.map((d) => d.definition),
      { name: 'declinesPerDevice24h', aggregate: 'count', groupBy: 'deviceId', window: '24h', where: [{ field: 'decision', op: 'ne', value: 'APPROVE' }] },
    ]);
    const db = await openSqlite(join(dir, 'reserve.sqlite'));
    const store = await EmbeddedVelocityStore.open({ db, definitions: withOutcome });
    const stored = stream(400).map((e) => ({ ...e, fields: { ...e.fields, decision: 'DECLINE' } }));
    await store.ingest(stored);
    const at = T0 + 400 * 37_000;
    // Five applications of one device at once, and one of another; each reserves its event before the next reads.
    const burst = Array.from({ length: 5 }, (_, i): VelocityEvent => ({ id: `burst-${i}`, type: 'application', time: at + i, fields: { deviceId: 'dev-7', idNumber: `id-b${i % 3}`, amount: 100 * (i + 1) } }));
    const other: VelocityEvent = { id: 'other', type: 'application', time: at, fields: { deviceId: 'dev-8', idNumber: 'id-x', amount: 5 } };
    const releases = [other, ...burst].map((e) => store.reserve(e, ['decision']));
    expect(store.reservationCount()).toBe(6);
    const probe: VelocityEvent = { id: 'probe', type: 'application', time: at + 10, fields: { deviceId: 'dev-7', idNumber: 'id-new', amount: 1 } };
    const seen = store.readSync(probe);
    // Definitions that do not read the outcome count the burst exactly as if it were stored; the one that does counts
    // only what is stored (a reserved event has no outcome yet).
    for (const d of withOutcome) {
      expect(seen[d.name], d.name).toEqual(recountVelocity(d, d.name === 'declinesPerDevice24h' ? stored : [...stored, ...burst], probe));
    }
    expect(seen.appsPerDevice1h).toBe((recountVelocity(withOutcome[0]!, stored, probe) as number) + 5);
    // One of the burst counts the two reserved before its time, not the later two (its window ends at its own time), and
    // itself once (includeCurrent, not also as reserved).
    expect(store.readSync(burst[2]!).appsPerDevice1h).toBe((recountVelocity(withOutcome[0]!, stored, burst[2]!) as number) + 2);
    // Released and stored: counted once, now with the outcome.
    await store.ingest(burst.map((e) => ({ ...e, fields: { ...e.fields, decision: 'REVIEW' } })));
    releases.forEach((release) => release());
    releases[1]!(); // a second release changes nothing
    expect(store.reservationCount()).toBe(0);
    const after = store.readSync(probe);
    const all = [...stored, ...burst.map((e) => ({ ...e, fields: { ...e.fields, decision: 'REVIEW' } }))];
    for (const d of withOutcome) expect(after[d.name], d.name).toEqual(recountVelocity(d, all, probe));
    // A reservation released without its event stored (the decision failed) leaves nothing behind.
    const failed = store.reserve({ id: 'failed', type: 'application', time: at + 20, fields: { deviceId: 'dev-7', idNumber: 'id-f', amount: 9 } }, ['decision']);
    expect(store.readSync(probe).appsPerDevice1h).toBe((after.appsPerDevice1h as number) + 0);
    failed();
    expect(store.readSync({ ...probe, time: at + 30 })).toEqual(Object.fromEntries(withOutcome.map((d) => [d.name, recountVelocity(d, all, { ...probe, time: at + 30 })])));
    await db.destroy();
  });

  it('keeps a short window exact at the oldest read the lateness allows, while its buckets expire early', async () => {
    const db = await openSqlite();
    const both = compileVelocities([
      { name: 'ids5m', aggregate: 'distinctCount', field: 'idNumber', groupBy: 'deviceId', window: '5m', includeCurrent: false },
      { name: 'ids24h', aggregate: 'distinctCount', field: 'idNumber', groupBy: 'deviceId', window: '24h', includeCurrent: false },
      { name: 'sum5m', aggregate: 'sum', field: 'amount', groupBy: 'deviceId', window: '5m', includeCurrent: false },
    ]);
    const store = await EmbeddedVelocityStore.open({ db, definitions: both, maxLatenessMs: MIN, hotKeyEvents: 4 });
    // One event every 7 s for 20 minutes on one device: the key is hot, so reads go through the buckets.
    const events = Array.from({ length: 172 }, (_, i): VelocityEvent => ({ id: `h${i}`, type: 'application', time: T0 + i * 7000, fields: { deviceId: 'd', idNumber: `id${i}`, amount: i } }));
    for (const e of events) await store.ingest([e]);
    const newest = events[events.length - 1]!.time;
    for (let at = newest - MIN; at <= newest + 6 * MIN; at += 1234) {
      const probe: VelocityEvent = { id: 'q', type: 'application', time: at, fields: { deviceId: 'd' } };
      expect(store.readSync(probe)).toEqual(Object.fromEntries(both.map((d) => [d.name, recountVelocity(d, events, probe)])));
    }
    await db.destroy();
  });

  it('drops expired buckets so memory follows the live window, and still answers exactly', async () => {
    const db = await openSqlite();
    const short = compileVelocities([{ name: 'apps1m', aggregate: 'count', groupBy: 'deviceId', window: '1m' }]);
    const store = await EmbeddedVelocityStore.open({ db, definitions: short, maxLatenessMs: MIN, persistedRetentionMs: 10 * MIN });
    // 5000 distinct devices, one event each, one per second: only the last ~2 minutes (window + lateness) stay.
    const events = Array.from({ length: 5000 }, (_, i): VelocityEvent => ({ id: `x${i}`, type: 'application', time: T0 + i * 1000, fields: { deviceId: `d${i}` } }));
    for (let i = 0; i < events.length; i += 100) await store.ingest(events.slice(i, i + 100));
    expect(store.keyCount()).toBeLessThan(5000 / 2);
    const last = events[events.length - 1]!;
    for (const probe of [last, events[events.length - 30]!, { ...last, id: 'new', time: last.time + 59_999 }]) {
      expect(store.readSync({ ...probe, id: 'q' })).toEqual({ apps1m: recountVelocity(short[0]!, events, { ...probe, id: 'q' }) });
    }
    expect(await store.prunePersisted()).toBeGreaterThan(4000);
    await db.destroy();
  });
  it('stays exact over thousands of keys while segments grow, expire, move down, compact and numbers are reused', async () => {
    const db = await openSqlite();
    const churn = compileVelocities([
      { name: 'apps10m', aggregate: 'count', groupBy: 'deviceId', window: '10m' },
      { name: 'first30m', aggregate: 'firstSeenAge', groupBy: 'deviceId', window: '30m', includeCurrent: false },
      { name: 'ids30m', aggregate: 'distinctCount', field: 'idNumber', groupBy: 'deviceId', window: '30m' },
      { name: 'sum30m', aggregate: 'sum', field: 'amount', groupBy: 'deviceId', window: '30m', includeCurrent: false },
      { name: 'max10m', aggregate: 'max', field: 'amount', groupBy: 'deviceId', window: '10m' },
    ]);
    const store = await EmbeddedVelocityStore.open({ db, definitions: churn, maxLatenessMs: 5 * MIN, hotKeyEvents: 16 });
    // 40,000 events over ~3 hours on 3,000 devices whose activity moves along (so keys expire and new ones come),
    // a few busy devices (hot: buckets), up to 4 minutes out of order; amounts and ids missing now and then.
    const events: VelocityEvent[] = Array.from({ length: 40_000 }, (_, i) => {
      const busy = i % 7 === 0;
      const device = busy ? `busy-${i % 3}` : `dev-${(Math.floor(i / 40) * 3 + ((i * 7919) % 97)) % 3000}`;
      const fields: Record<string, unknown> = { deviceId: device };
      if (i % 11 !== 0) fields.idNumber = `id-${(i * 31) % 500}`;
      if (i % 13 !== 0) fields.amount = (i * 37) % 1000;
      return { id: `c${i}`, type: 'application', time: T0 + i * 270 - ((i * 104_729) % 240_000), fields };
    });
    const probeAll = (at: number, upTo: number) => {
      const byDevice = new Map<string, VelocityEvent[]>(); // the recount filters by key anyway: hand it the key's events
      for (const e of events.slice(0, upTo)) byDevice.set(e.fields.deviceId as string, [...(byDevice.get(e.fields.deviceId as string) ?? []), e]);
      for (const [deviceId, seen] of byDevice) {
        const probe: VelocityEvent = { id: 'p', type: 'application', time: at, fields: { deviceId, idNumber: 'id-new', amount: 5 } };
        expect(store.readSync(probe), deviceId).toEqual(Object.fromEntries(churn.map((d) => [d.name, recountVelocity(d, seen, probe)])));
      }
    };
    for (let i = 0; i < events.length; i += 500) {
      await store.ingest(events.slice(i, i + 500));
      if (i === 20_000) probeAll(Math.max(...events.slice(0, i + 500).map((e) => e.time)), i + 500);
    }
    const newest = Math.max(...events.map((e) => e.time));
    expect(store.keyCount()).toBeLessThan(3000); // devices no event touched within the retention were dropped
    probeAll(newest, events.length);
    probeAll(newest - 5 * MIN, events.length); // the oldest read the lateness keeps exact
    await db.destroy();
  });
});

describe('key numbers', () => {
  it('finds every key it holds and no other, through any mix of adding and removing', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.boolean(), fc.integer({ min: 0, max: 5000 })), { minLength: 1, maxLength: 4000 }), (ops) => {
        const table = new KeyNumbers();
        const model = new Map<string, number>();
        for (const [add, k] of ops) {
          const key = `k${k}`;
          if (add) {
            const id = table.numberOf(key);
            if (model.has(key)) expect(id).toBe(model.get(key));
            else {
              expect([...model.values()]).not.toContain(id); // a number is never held by two keys
              model.set(key, id);
            }
          } else if (model.has(key)) {
            table.remove(model.get(key)!);
            model.delete(key);
          }
        }
        expect(table.size).toBe(model.size);
        for (let k = 0; k <= 5000; k++) expect(table.find(`k${k}`)).toBe(model.get(`k${k}`) ?? -1);
      }),
      { numRuns: 30 },
    );
  });

  it('grows past and shrinks back under its first table size', () => {
    const table = new KeyNumbers();
    const ids = Array.from({ length: 20_000 }, (_, i) => table.numberOf(`key-${i}`));
    expect(new Set(ids).size).toBe(20_000);
    for (let i = 0; i < 19_900; i++) table.remove(ids[i]!);
    for (let i = 0; i < 20_000; i++) expect(table.find(`key-${i}`)).toBe(i < 19_900 ? -1 : ids[i]);
    expect(table.numberOf('again')).toBeLessThan(20_000); // freed numbers come back
  });
});
