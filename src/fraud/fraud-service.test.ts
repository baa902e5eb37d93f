// The fraud service against real databases: SQLite in a temporary file and PostgreSQL in a private schema.
import { rmSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { openStore, type Store } from '../store/database.ts';
import { migrateToLatest } from '../store/migrator.ts';
import { listAudit, verifyAuditChain } from '../store/audit-store.ts';
import { databaseUrlFor, dropSchema, DIALECTS } from '../../test/service/helpers.ts';
import { FraudService } from './fraud-service.ts';
import { generatePopulation } from './population.ts';

const KEY = Buffer.alloc(32, 0x42);
const investigator = { userId: 'ivy', keyId: 'k1' };

async function openDb(url: string): Promise<Store> {
  const store = await openStore(url);
  await migrateToLatest(store.db, { schema: store.capabilities.schema });
  return store;
}

describe.each(DIALECTS)('fraud service on %s', (dialect) => {
  const { url, where, dir } = databaseUrlFor(dialect, 'fraud');
  let clock = Date.UTC(2025, 4, 1, 8);
  const now = () => clock;
  afterAll(async () => {
    if (dialect === 'postgres') await dropSchema(where);
    rmSync(dir, { recursive: true, force: true });
  });

  it('keeps the graph across a restart, detects a planted ring, opens a case, and confirming it blocks the device', async () => {
    const pop = generatePopulation({ n: 1500, seed: 21, ringShare: 0.03, startMs: Date.UTC(2025, 0, 1), days: 90 });
    const records = [...pop.records()];
    let store = await openDb(url);
    let fraud = await FraudService.open(store.db, { key: KEY, now });
    for (const r of records.slice(0, 1000)) await fraud.recordApplication({ applicationId: r.applicationId, appliedAt: r.appliedAt, identifiers: r });
    const probe = records[999]!;
    const before = fraud.variablesFor(probe, Date.parse(probe.appliedAt));
    await store.close();

    // Restart: the graph is rebuilt from the database, identical to before.
    store = await openDb(url);
    fraud = await FraudService.open(store.db, { key: KEY, now });
    expect(fraud.graph.appCount).toBe(1000);
    expect(fraud.variablesFor(probe, Date.parse(probe.appliedAt))).toEqual(before);
    for (const r of records.slice(1000)) await fraud.recordApplication({ applicationId: r.applicationId, appliedAt: r.appliedAt, identifiers: r });
    await expect(fraud.recordApplication({ applicationId: records[0]!.applicationId, appliedAt: records[0]!.appliedAt, identifiers: records[0]! })).rejects.toThrow(/already in the identity graph/);

    const { rings, casesOpened } = await fraud.detect(investigator);
    const planted = new Set(pop.truth.rings.flatMap((r) => r.members));
    expect(rings.length).toBeGreaterThan(0);
    expect(casesOpened.length).toBeGreaterThan(0);
    const queue = await fraud.queue();
    const ringCase = queue.find((c) => c.ringId === rings[0]!.id)!;
    expect(ringCase.applicationIds.every((a) => planted.has(a))).toBe(true);
    expect((await fraud.getRing(rings[0]!.id)).members).toEqual(rings[0]!.members);
    // Detection again does not open a second case for the same ring.
    expect((await fraud.detect(investigator)).casesOpened).toEqual([]);

    await fraud.createWatchlist(investigator, { name: 'fraud-devices', kind: 'device', description: 'devices of confirmed fraud' });
    const member = ringCase.applicationIds[0]!;
    const memberRecord = records.find((r) => r.applicationId === member)!;
    expect(fraud.watchlists.has('fraud-devices', memberRecord.deviceId)).toBe(false);
    await fraud.act(investigator, ringCase.id, { action: 'start' });
    await fraud.act(investigator, ringCase.id, { action: 'snapshot', applicationId: member, hops: 1 });
    clock += 30 * 60_000;
    const resolved = await fraud.act(investigator, ringCase.id, { action: 'resolve', disposition: 'confirmed_fraud', summary: 'shared devices and collection card', watchlist: [{ list: 'fraud-devices', applicationId: member, role: 'deviceId' }] });
    expect(resolved.state).toBe('resolved');
    expect(resolved.evidence[0]!.kind).toBe('graph_snapshot');

    // The next application from the same device hits the watchlist and sees confirmed fraud two hops away.
    const next = { deviceId: memberRecord.deviceId, phone: '13012345678', idNumber: 'NEW-PERSON' };
    expect(fraud.watchlists.has('fraud-devices', memberRecord.deviceId)).toBe(true);
    expect(fraud.watchlistHits(next)).toEqual([{ list: 'fraud-devices', role: 'deviceId' }]);
    expect(fraud.variablesFor(next).twoHopConfirmedFraud).toBeGreaterThan(0);

    // Backtracking from the device and from the member, with the case it is in.
    const fromDevice = fraud.backtrackIdentifier('device', memberRecord.deviceId!);
    expect(fromDevice.applications.map((a) => a.applicationId)).toContain(member);
    const fromApp = await fraud.backtrackApplication(member);
    expect(fromApp.cases.map((c) => c.id)).toContain(ringCase.id);
    expect(fromApp.applications.every((a) => a.status === 'confirmed_fraud' || !ringCase.applicationIds.includes(a.applicationId))).toBe(true);

    // Everything above is audited; the chain verifies; the audit names hashes, never the device id.
    const audit = await listAudit(store.db, { limit: 1000 });
    expect(audit.map((e) => e.action)).toEqual(expect.arrayContaining(['fraud.rings-detected', 'case.open', 'case.start', 'case.resolve', 'watchlist.create', 'watchlist.add-from-case', 'fraud.application-status']));
    expect(JSON.stringify(audit)).not.toContain(memberRecord.deviceId!);
    expect((await verifyAuditChain(store.db)).ok).toBe(true);

    // After another restart, statuses and watchlists are still there.
    await store.close();
    store = await openDb(url);
    fraud = await FraudService.open(store.db, { key: KEY, now });
    expect(fraud.watchlists.has('fraud-devices', memberRecord.deviceId)).toBe(true);
    expect(fraud.graph.status[fraud.graph.indexOf(member)]).toBe(5);
    await store.close();
  });

  it('imports watchlist CSV, reports SLA breaches in the queue, and refuses illegal case transitions', async () => {
    const store = await openDb(url);
    const fraud = await FraudService.open(store.db, { key: KEY, now });
    await fraud.createWatchlist(investigator, { name: 'mule-cards', kind: 'bankCard' });
    await expect(fraud.createWatchlist(investigator, { name: 'mule-cards', kind: 'bankCard' })).rejects.toThrow(/already exists/);
    const res = await fraud.importWatchlistCsv(investigator, 'mule-cards', 'value,reason,source\n6222000011112222,mule,bank\n6222 0000 1111 2222,mule,bank\n');
    expect(res).toMatchObject({ added: 1, duplicates: 1 });
    expect(fraud.watchlists.has('mule-cards', '6222000011112222')).toBe(true);
    const key = fraud.getWatchlist('mule-cards').entries[0]!.key;
    expect(await fraud.removeWatchlistEntries(investigator, 'mule-cards', [key])).toMatchObject({ removed: 1 });
    expect(fraud.watchlists.has('mule-cards', '6222000011112222')).toBe(false);

    const c = await fraud.openCase(investigator, { source: 'manual', title: 'Bank reported a mule', priority: 'high' });
    await expect(fraud.act(investigator, c.id, { action: 'resolve', disposition: 'false_positive', summary: 'x' })).rejects.toThrow(/only a case under investigation/);
    clock += 61 * 60_000;
    const breached = await fraud.queue({ breached: true });
    expect(breached.map((x) => x.id)).toContain(c.id);
    expect((await fraud.getCase(c.id)).sla.responseBreached).toBe(true);
    await expect(fraud.getCase('case_nope')).rejects.toThrow(/not found/);
    await store.close();
  });
});
