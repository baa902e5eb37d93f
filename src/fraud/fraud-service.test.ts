// The fraud service against real databases: SQLite in a temporary file and PostgreSQL in a private schema.
import { rmSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { openStore, type Store } from '../store/database.ts';
import { migrateToLatest } from '../store/migrator.ts';
import { listAudit, verifyAuditChain } from '../store/audit-store.ts';
import { databaseUrlFor, dropSchema, DIALECTS } from '../../test/service/helpers.ts';
import { FraudService } from './fraud-service.ts';
import type { WatchlistChangeSet } from './watchlists.ts';
import { generatePopulation } from './population.ts';

const KEY = Buffer.alloc(32, 0x42);
const investigator = { userId: 'ivy', keyId: 'k1' };
const lead = { userId: 'lee', keyId: 'k2' };

/** Applies change sets as an approval does (in its own transaction here), then reloads the live lists. */
async function applyApproved(store: Store, fraud: FraudService, changes: readonly WatchlistChangeSet[]) {
  await store.db.transaction().execute(async (trx) => {
    for (const c of changes) await fraud.applyWatchlistChange(trx, c, lead);
  });
  await fraud.reloadWatchlists();
}

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
    // Case proposals go to the governance the server connects; this one just keeps them, pending.
    const proposed: WatchlistChangeSet[] = [];
    const confirmed: string[][] = [];
    fraud.connect({
      proposeWatchlistChanges: async (_actor, changes) => (proposed.push(...changes), changes.map((c) => c.id)),
      confirmedFraud: async (_actor, e) => void confirmed.push(e.applicationIds),
    });
    await fraud.act(investigator, ringCase.id, { action: 'start' });
    await fraud.act(investigator, ringCase.id, { action: 'snapshot', applicationId: member, hops: 1 });
    clock += 30 * 60_000;
    const resolved = await fraud.act(investigator, ringCase.id, { action: 'resolve', disposition: 'confirmed_fraud', summary: 'shared devices and collection card', watchlist: [{ list: 'fraud-devices', applicationId: member, role: 'deviceId' }] });
    expect(resolved.state).toBe('resolved');
    expect(resolved.evidence[0]!.kind).toBe('graph_snapshot');
    expect(resolved.watchlistChanges).toEqual(proposed.map((c) => c.id));
    expect(confirmed).toEqual([ringCase.applicationIds]);
    expect(proposed).toHaveLength(1);
    expect(proposed[0]).toMatchObject({ list: 'fraud-devices', operation: 'case', source: `case:${ringCase.id}`, proposedBy: 'ivy', remove: [] });
    expect(proposed[0]!.add[0]).toMatchObject({ key: expect.stringMatching(/^[0-9a-f]{16}$/), preview: `deviceId of application ${member}` });
    // Proposed is not listed: the device is not on the watchlist until the change set is applied.
    expect(fraud.watchlists.has('fraud-devices', memberRecord.deviceId)).toBe(false);
    await applyApproved(store, fraud, proposed);

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
    expect(audit.map((e) => e.action)).toEqual(expect.arrayContaining(['fraud.rings-detected', 'case.open', 'case.start', 'case.resolve', 'watchlist.seed', 'watchlist.add-from-case', 'fraud.application-status']));
    expect(audit.find((e) => e.action === 'watchlist.add-from-case')!.after).toMatchObject({ proposedBy: 'ivy', approvedBy: 'lee', added: 1 });
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

  it('shares one graph between instances: each numbers its rows in its own range, and pulls the others\' applications and status changes', async () => {
    const [storeA, storeB] = [await openDb(url), await openDb(url)];
    const [a, b] = [await FraudService.open(storeA.db, { key: KEY, now }), await FraudService.open(storeB.db, { key: KEY, now })];
    const app = (id: string, over: Record<string, string> = {}) => ({
      applicationId: id, appliedAt: clock, identifiers: { phone: `1380000${id.slice(-4)}`, deviceId: 'dev-shared-between-instances', ip: null, idNumber: `ID-${id}`, bankCard: null, email: null, address: null, employer: null, contactPhones: null, ...over },
    });
    // Both decide at the same time: before writers, the two rows took the same seq and one of them failed to store.
    await Promise.all([a.recordApplication(app('inst-a-0001')), b.recordApplication(app('inst-b-0002'))]);
    expect(a.hasApplication('inst-b-0002')).toBe(false);
    expect(await a.refreshGraph()).toBe(1);
    expect(await b.refreshGraph()).toBe(1);
    for (const f of [a, b]) {
      expect(f.hasApplication('inst-a-0001') && f.hasApplication('inst-b-0002')).toBe(true);
      // A third application on the device counts both, whichever instance decides it.
      expect(f.variablesFor(app('probe-0003').identifiers, clock).shared.deviceId).toBe(2);
    }
    expect(await a.refreshGraph()).toBe(0); // nothing new
    // A confirmation on one instance reaches the other's graph variables.
    await b.setApplicationStatus(investigator, ['inst-a-0001'], 'confirmed_fraud');
    expect(a.variablesFor(app('probe-0004').identifiers, clock).twoHopConfirmedFraud).toBe(0);
    expect(await a.refreshGraph()).toBe(1);
    expect(a.variablesFor(app('probe-0004').identifiers, clock).twoHopConfirmedFraud).toBe(1);
    // A restart loads both writers' rows with the latest status, and pulls nothing again.
    const storeC = await openDb(url);
    const c = await FraudService.open(storeC.db, { key: KEY, now });
    expect(c.variablesFor(app('probe-0005').identifiers, clock)).toEqual(a.variablesFor(app('probe-0005').identifiers, clock));
    expect(await c.refreshGraph()).toBe(0);
    for (const st of [storeA, storeB, storeC]) await st.close();
  });

  it('marks the applications of a case under investigation, so their neighbours count them (two-hop investigating)', async () => {
    const store = await openDb(url);
    const fraud = await FraudService.open(store.db, { key: KEY, now });
    const ids = (id: string) => ({ phone: null, deviceId: 'dev-under-investigation', ip: null, idNumber: `ID-${id}`, bankCard: null, email: null, address: null, employer: null, contactPhones: null });
    await fraud.recordApplication({ applicationId: 'inv-1', appliedAt: clock, status: 'review', identifiers: ids('inv-1') });
    await fraud.recordApplication({ applicationId: 'inv-2', appliedAt: clock, status: 'approved', identifiers: ids('inv-2') });
    const c = await fraud.openCase(investigator, { source: 'manual', title: 'Device shared by two applicants', priority: 'high', applicationIds: ['inv-1'] });
    expect(fraud.variablesFor(ids('probe'), clock).twoHopInvestigating).toBe(0); // opened, not yet investigated
    await fraud.act(investigator, c.id, { action: 'start' });
    expect(fraud.variablesFor(ids('probe'), clock).twoHopInvestigating).toBe(1);
    await fraud.act(investigator, c.id, { action: 'link', applicationIds: ['inv-2'] });
    expect(fraud.variablesFor(ids('probe'), clock).twoHopInvestigating).toBe(2);
    await fraud.act(investigator, c.id, { action: 'resolve', disposition: 'false_positive', summary: 'a family' });
    expect(fraud.variablesFor(ids('probe'), clock).twoHopInvestigating).toBe(0);
    await store.close();
  });

  it('prepares watchlist change sets without values, applies them with expiry, reports SLA breaches, and refuses illegal case transitions', async () => {
    const store = await openDb(url);
    const fraud = await FraudService.open(store.db, { key: KEY, now });
    const create = fraud.prepareWatchlistChange(investigator, { operation: 'create', list: 'mule-cards', kind: 'bankCard', reason: 'bank reports' });
    expect(fraud.listWatchlists().map((l) => l.name)).not.toContain('mule-cards');
    await applyApproved(store, fraud, [create]);
    expect(() => fraud.prepareWatchlistChange(investigator, { operation: 'create', list: 'mule-cards', kind: 'bankCard' })).toThrow(/already exists/);
    // An approved create that no longer fits (the list exists by now) is refused when applied, and nothing changes.
    await expect(applyApproved(store, fraud, [create])).rejects.toThrow(/no longer applies/);

    const csv = fraud.prepareWatchlistChange(investigator, { operation: 'import', list: 'mule-cards', csv: 'value,reason,source,expiresAt\n6222000011112222,mule,bank,\n6222 0000 1111 2222,mule,bank,\n6228480012345678,mule,bank,2025-05-01T09:00:00Z\n' });
    expect(csv).toMatchObject({ operation: 'import', source: 'csv', duplicates: 1, proposedBy: 'ivy' });
    expect(csv.add.map((e) => e.preview)).toEqual([expect.stringMatching(/^62\*{12,}22$/), '62************78']);
    expect(JSON.stringify(csv)).not.toMatch(/6222000011112222|6228480012345678/);
    expect(fraud.watchlists.has('mule-cards', '6222000011112222')).toBe(false);
    await applyApproved(store, fraud, [csv]);
    expect(fraud.watchlists.has('mule-cards', '6222000011112222')).toBe(true);
    // Expiry keeps working: the second card matches until its expiry (clock is 08:00 + 30 min), not after.
    expect(fraud.watchlists.has('mule-cards', '6228480012345678')).toBe(true);
    clock += 60 * 60_000;
    expect(fraud.watchlists.has('mule-cards', '6228480012345678')).toBe(false);

    const key = fraud.getWatchlist('mule-cards').entries.find((e) => e.expiresAt === null)!.key;
    expect(() => fraud.prepareWatchlistChange(investigator, { operation: 'remove', list: 'mule-cards', keys: [key], reason: ' ' })).toThrow(/needs a reason/);
    const remove = fraud.prepareWatchlistChange(investigator, { operation: 'remove', list: 'mule-cards', keys: [key], reason: 'bank cleared the card' });
    expect(fraud.watchlists.has('mule-cards', '6222000011112222')).toBe(true);
    await applyApproved(store, fraud, [remove]);
    expect(fraud.watchlists.has('mule-cards', '6222000011112222')).toBe(false);
    expect(() => fraud.prepareWatchlistChange(investigator, { operation: 'add', list: 'mule-cards', entries: [{ value: '', reason: '', source: 'x' }] })).toThrow(/invalid watchlist entr/);
    expect(() => fraud.prepareWatchlistChange(investigator, { operation: 'add', list: 'nope', entries: [{ value: '1', reason: 'r', source: 's' }] })).toThrow(/not found/);

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
