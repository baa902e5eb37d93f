// Velocity store benchmark: ingestion rate, time to read the 20 velocity variables of one decision, memory per key.
//   npm run bench:variables [-- --json] [-- --events 200000 --keys 200000 --reads 20000]
// Redis must be running at MINGJIAN_TEST_REDIS_URL (default redis://127.0.0.1:6379); its keys use a unique prefix.

import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { Kysely } from 'kysely';
import { openStore } from '../src/store/database.ts';
import { migrateToLatest } from '../src/store/migrator.ts';
import { EmbeddedVelocityStore } from '../src/variables/embedded-velocity-store.ts';
import { RedisVelocityStore } from '../src/variables/redis-velocity-store.ts';
import { compileVelocities, type VelocityDefinition } from '../src/variables/velocity-definition.ts';
import type { VelocityEvent } from '../src/variables/velocity-event.ts';
import type { VelocityStore } from '../src/variables/velocity-store.ts';
import { connectRedis, dropPrefix, openSqlite, uniquePrefix } from '../src/variables/test-support.ts';

const { values: opts } = parseArgs({
  options: {
    json: { type: 'boolean', default: false },
    events: { type: 'string', default: '200000' },
    keys: { type: 'string', default: '200000' },
    reads: { type: 'string', default: '20000' },
  },
});
const EVENTS = Number(opts.events);
const KEYS = Number(opts.keys);
const READS = Number(opts.reads);

setFlagsFromString('--expose_gc');
const gc = runInNewContext('gc') as () => void;

// Twenty variables a consumer-loan flow might read: counts, distincts, sums and first-seen ages over six keys.
const DEFINITIONS: VelocityDefinition[] = [
  { name: 'appsPerDevice1h', aggregate: 'count', groupBy: 'deviceId', window: '1h' },
  { name: 'appsPerDevice24h', aggregate: 'count', groupBy: 'deviceId', window: '24h' },
  { name: 'idsPerDevice24h', aggregate: 'distinctCount', field: 'idNumber', groupBy: 'deviceId', window: '24h' },
  { name: 'phonesPerDevice7d', aggregate: 'distinctCount', field: 'phone', groupBy: 'deviceId', window: '7d' },
  { name: 'deviceFirstSeen30d', aggregate: 'firstSeenAge', groupBy: 'deviceId', window: '30d' },
  { name: 'appsPerIp1h', aggregate: 'count', groupBy: 'ip', window: '1h' },
  { name: 'appsPerIp24h', aggregate: 'count', groupBy: 'ip', window: '24h' },
  { name: 'devicesPerIp24h', aggregate: 'distinctCount', field: 'deviceId', groupBy: 'ip', window: '24h' },
  { name: 'appsPerPhone24h', aggregate: 'count', groupBy: 'phone', window: '24h' },
  { name: 'idsPerPhone30d', aggregate: 'distinctCount', field: 'idNumber', groupBy: 'phone', window: '30d' },
  { name: 'amountPerPhone7d', aggregate: 'sum', field: 'amount', groupBy: 'phone', window: '7d' },
  { name: 'appsPerId1h', aggregate: 'count', groupBy: 'idNumber', window: '1h' },
  { name: 'appsPerId30d', aggregate: 'count', groupBy: 'idNumber', window: '30d' },
  { name: 'devicesPerId30d', aggregate: 'distinctCount', field: 'deviceId', groupBy: 'idNumber', window: '30d' },
  { name: 'maxAmountPerId90d', aggregate: 'max', field: 'amount', groupBy: 'idNumber', window: '90d' },
  { name: 'declinesPerId90d', aggregate: 'count', groupBy: 'idNumber', window: '90d', where: [{ field: 'decision', op: 'eq', value: 'DECLINE' }] },
  { name: 'appsPerCard24h', aggregate: 'count', groupBy: 'bankCard', window: '24h' },
  { name: 'idsPerCard90d', aggregate: 'distinctCount', field: 'idNumber', groupBy: 'bankCard', window: '90d' },
  { name: 'appsPerEmail7d', aggregate: 'count', groupBy: 'email', window: '7d' },
  { name: 'minAmountPerEmail30d', aggregate: 'min', field: 'amount', groupBy: 'email', window: '30d' },
];
const definitions = compileVelocities(DEFINITIONS);
// The three of examples/flows/consumer-loan.yaml.
const exampleFlowDefinitions = compileVelocities([
  { name: 'deviceApps1h', aggregate: 'count', groupBy: 'deviceId', window: '1h' },
  { name: 'deviceDistinctIds24h', aggregate: 'distinctCount', field: 'idNumber', groupBy: 'deviceId', window: '24h' },
  { name: 'ipApps24h', aggregate: 'count', groupBy: 'ip', window: '24h' },
]);

const T0 = Date.UTC(2026, 0, 1);
const SPAN_MS = 7 * 86_400_000;

/** A deterministic application stream over a week: ~50k devices, 20k IPs (some busy), 100k people. */
function application(i: number): VelocityEvent {
  const person = (i * 7919) % 100_000;
  return {
    id: `app-${i}`,
    type: 'application',
    time: T0 + Math.floor((i / EVENTS) * SPAN_MS) - ((i * 104_729) % 120_000), // out of order by up to 2 minutes
    fields: {
      deviceId: `dev-${(i * 31) % 50_000}`,
      ip: `10.${(i * 17) % 20}.${(i * 13) % 256}.${(person % 50)}`,
      phone: `1${String(person).padStart(10, '0')}`,
      idNumber: `ID${String(person).padStart(8, '0')}`,
      bankCard: `card-${person % 80_000}`,
      email: `u${person}@example.com`,
      amount: 100_00 + (i % 400) * 500,
      decision: i % 5 === 0 ? 'DECLINE' : 'APPROVE',
    },
  };
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

interface Figures {
  ingestPerSecond: number;
  /** Events per second of this process's CPU time: the rate on a core of its own (the machine may be shared). */
  ingestPerCpuSecond: number;
  /** The same with only the example consumer-loan flow's 3 velocity variables (2 streams). */
  ingest3VarsPerSecond: number;
  /** Mean CPU time of the 20-variable read loop per read (includes the timing calls). */
  read20MeanCpuMicros: number;
  read20P50Micros: number;
  read20P99Micros: number;
  bytesPerKey: number;
}

async function ingestAll(store: VelocityStore): Promise<{ wall: number; cpu: number }> {
  const batch = 1000;
  const batches: VelocityEvent[][] = [];
  for (let i = 0; i < EVENTS; i += batch) {
    const events: VelocityEvent[] = [];
    for (let j = i; j < Math.min(EVENTS, i + batch); j++) events.push(application(j));
    batches.push(events);
  }
  const started = performance.now();
  const cpu = process.cpuUsage();
  for (const events of batches) await store.ingest(events);
  const used = process.cpuUsage(cpu);
  return { wall: EVENTS / ((performance.now() - started) / 1000), cpu: EVENTS / ((used.user + used.system) / 1e6) };
}

async function readTimes(read: (e: VelocityEvent) => Promise<unknown> | unknown): Promise<{ p50: number; p99: number; meanCpu: number }> {
  const times: number[] = [];
  let cpu = { user: 0, system: 0 };
  for (let i = 0; i < READS + 1000; i++) {
    const e = application((i * 997) % EVENTS);
    const current = { ...e, id: `decision-${i}`, time: T0 + SPAN_MS };
    if (i === 1000) cpu = process.cpuUsage(); // the first thousand warm the JIT
    const started = process.hrtime.bigint();
    await read(current);
    const micros = Number(process.hrtime.bigint() - started) / 1000;
    if (i >= 1000) times.push(micros);
  }
  const used = process.cpuUsage(cpu);
  times.sort((a, b) => a - b);
  return { p50: percentile(times, 50), p99: percentile(times, 99), meanCpu: (used.user + used.system) / READS };
}

/** Collects garbage and lets freed ArrayBuffers' memory go (it is released after the collection, not during it). */
async function settle(): Promise<void> {
  for (let i = 0; i < 3; i++) {
    gc();
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Heap and ArrayBuffer bytes per key of one count stream holding one event per key. */
async function embeddedBytesPerKey(): Promise<number> {
  const db = await openSqlite();
  const defs = compileVelocities([{ name: 'appsPerDevice24h', aggregate: 'count', groupBy: 'deviceId', window: '24h' }]);
  const store = await EmbeddedVelocityStore.open({ db, definitions: defs });
  // The heap plus ArrayBuffer memory: the store keeps event times in typed arrays, outside the V8 heap.
  const used = () => {
    const m = process.memoryUsage();
    return m.heapUsed + m.arrayBuffers;
  };
  await settle();
  const before = used();
  for (let i = 0; i < KEYS; i += 5000) {
    const events: VelocityEvent[] = [];
    for (let j = i; j < Math.min(KEYS, i + 5000); j++) events.push({ id: `k${j}`, type: 'application', time: T0 + j, fields: { deviceId: `device-${j}` } });
    await store.ingest(events);
  }
  await settle();
  const bytes = (used() - before) / store.keyCount();
  await db.destroy();
  return bytes;
}

async function redisBytesPerKey(): Promise<number> {
  const redis = connectRedis();
  const prefix = uniquePrefix('bench-mem');
  const defs = compileVelocities([{ name: 'appsPerDevice24h', aggregate: 'count', groupBy: 'deviceId', window: '24h' }]);
  const store = new RedisVelocityStore({ redis, prefix, definitions: defs });
  const used = async () => Number(/used_memory:(\d+)/.exec(await redis.info('memory'))![1]);
  const before = await used();
  const n = Math.min(KEYS, 200_000);
  for (let i = 0; i < n; i += 5000) {
    const events: VelocityEvent[] = [];
    for (let j = i; j < Math.min(n, i + 5000); j++) events.push({ id: `k${j}`, type: 'application', time: T0 + j, fields: { deviceId: `device-${j}` } });
    await store.ingest(events);
  }
  const bytes = ((await used()) - before) / n;
  await dropPrefix(redis, prefix);
  redis.disconnect();
  return bytes;
}

async function benchEmbedded(): Promise<Figures> {
  const dir = mkdtempSync(join(tmpdir(), 'mingjian-bench-'));
  // The service's own SQLite store (WAL, every commit fsynced before it resolves, statement cache) and migrations.
  const open = async (file: string) => {
    const store = await openStore(`sqlite:${join(dir, file)}`);
    await migrateToLatest(store.db);
    return store.db as unknown as Kysely<any>;
  };
  const db = await open('velocity.sqlite');
  try {
    // Memory first, while no other store's memory is there to be freed during the measurement.
    const bytesPerKey = await embeddedBytesPerKey();
    const store = await EmbeddedVelocityStore.open({ db, definitions });
    const ingest = await ingestAll(store);
    const { p50, p99, meanCpu } = await readTimes((e) => store.readSync(e));
    const db3 = await open('velocity3.sqlite');
    const ingest3 = await ingestAll(await EmbeddedVelocityStore.open({ db: db3, definitions: exampleFlowDefinitions }));
    await db3.destroy();
    return { ingestPerSecond: ingest.wall, ingestPerCpuSecond: ingest.cpu, ingest3VarsPerSecond: ingest3.wall, read20P50Micros: p50, read20P99Micros: p99, read20MeanCpuMicros: meanCpu, bytesPerKey };
  } finally {
    await db.destroy();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function benchRedis(): Promise<Figures> {
  const redis = connectRedis();
  const prefix = uniquePrefix('bench');
  try {
    const store = new RedisVelocityStore({ redis, prefix, definitions });
    // The client's CPU is not Redis's: for Redis only the wall-clock rate means anything.
    const ingest = await ingestAll(store);
    const { p50, p99 } = await readTimes((e) => store.read(e));
    const bytesPerKey = await redisBytesPerKey();
    const prefix3 = uniquePrefix('bench3');
    const ingest3 = await ingestAll(new RedisVelocityStore({ redis, prefix: prefix3, definitions: exampleFlowDefinitions }));
    await dropPrefix(redis, prefix3);
    return { ingestPerSecond: ingest.wall, ingestPerCpuSecond: NaN, ingest3VarsPerSecond: ingest3.wall, read20P50Micros: p50, read20P99Micros: p99, read20MeanCpuMicros: NaN, bytesPerKey };
  } finally {
    await dropPrefix(redis, prefix);
    redis.disconnect();
  }
}

const embedded = await benchEmbedded();
const redis = await benchRedis();
const round = (f: Figures) => ({
  ingestPerSecond: Math.round(f.ingestPerSecond),
  ...(Number.isNaN(f.ingestPerCpuSecond) ? {} : { ingestPerCpuSecond: Math.round(f.ingestPerCpuSecond) }),
  ingest3VarsPerSecond: Math.round(f.ingest3VarsPerSecond),
  read20P50Micros: Math.round(f.read20P50Micros * 10) / 10,
  read20P99Micros: Math.round(f.read20P99Micros * 10) / 10,
  ...(Number.isNaN(f.read20MeanCpuMicros) ? {} : { read20MeanCpuMicros: Math.round(f.read20MeanCpuMicros * 10) / 10 }),
  bytesPerKey: Math.round(f.bytesPerKey),
});
const result = { embedded: round(embedded), redis: round(redis) };

if (opts.json) {
  process.stdout.write(JSON.stringify(result) + '\n');
} else {
  const rows = [
    ['store', 'ingest events/s', 'per CPU-second', 'ingest, 3 vars', 'read 20 p50 us', 'read 20 p99 us', 'read 20 CPU us', 'bytes/key', 'MB per million keys'],
    ...Object.entries(result).map(([name, f]) => [name, String(f.ingestPerSecond), 'ingestPerCpuSecond' in f ? String(f.ingestPerCpuSecond) : '-', String(f.ingest3VarsPerSecond), String(f.read20P50Micros), String(f.read20P99Micros), 'read20MeanCpuMicros' in f ? String(f.read20MeanCpuMicros) : '-', String(f.bytesPerKey), String(Math.round(f.bytesPerKey))]),
  ];
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  for (const r of rows) process.stdout.write(r.map((cell, c) => cell.padEnd(widths[c]!)).join('  ') + '\n');
  process.stdout.write(`\nload average ${loadavg().map((l) => l.toFixed(1)).join(' ')} on ${cpus().length} cores; ${EVENTS} events over ${SPAN_MS / 86_400_000} days, 20 velocity variables, ${READS} reads; memory from ${KEYS} keys with one event each.\n`);
}
