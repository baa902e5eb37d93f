import { describe, expect, it } from 'vitest';
import { generatePopulation } from './population.ts';
import { buildGraph, graphBuilder } from './graph-loader.ts';
import { GraphVariableReader, toFlowVariables, type GraphVariables } from './graph-variables.ts';
import { HashedIdentifiers, IdentifierHasher, STATUS_CONFIRMED_FRAUD, STATUS_DECLINED } from './application-identifiers.ts';
import { detectRings } from './rings.ts';
import type { ApplicationRecord } from './application-record.ts';

const KEY = Buffer.alloc(32, 3);

describe('identity graph: incremental updates equal a full rebuild', () => {
  const records = [...generatePopulation({ n: 3000, seed: 11, ringShare: 0.05 }).records()];

  it('variables computed live before each application equal those read back from the bulk-built graph', () => {
    const live = graphBuilder(KEY, { applications: 16 }); // tiny sizing: exercises every growth path
    const liveReader = new GraphVariableReader(live.graph, { hubThreshold: 40 });
    const hasher = new IdentifierHasher(KEY);
    const scratch = new HashedIdentifiers();
    const seen: GraphVariables[] = [];
    records.forEach((r, i) => {
      seen.push(liveReader.forNewApplication(hasher.hashApplication(r, scratch), Date.parse(r.appliedAt)));
      live.add(r);
      if (i === 1200) live.graph.compact(); // a compaction mid-stream must not change any answer
    });
    const bulk = buildGraph(records, KEY);
    const bulkReader = new GraphVariableReader(bulk, { hubThreshold: 40 });
    for (let i = 0; i < records.length; i++) expect(bulkReader.forStoredApplication(i)).toEqual(seen[i]);
    // Same structure: identifiers, edges, and identical rings.
    expect(live.graph.identifierCount).toBe(bulk.identifierCount);
    expect(live.graph.edgeCount).toBe(bulk.edgeCount);
    const ringsLive = detectRings(live.graph).rings.map((r) => [r.id, r.score, r.members]);
    const ringsBulk = detectRings(bulk).rings.map((r) => [r.id, r.score, r.members]);
    expect(ringsLive.length).toBeGreaterThan(0);
    expect(ringsLive).toEqual(ringsBulk);
  });

  it('the last application sees links to earlier ones only', () => {
    const bulk = buildGraph(records, KEY);
    const reader = new GraphVariableReader(bulk);
    const first = reader.forStoredApplication(0);
    expect(first.clusterSize).toBe(1);
    expect(first.oldestLinkAgeDays).toBeNull();
    expect(Object.values(first.shared).every((v) => v === 0)).toBe(true);
  });

  it('rejects a duplicate application id', () => {
    const b = graphBuilder(KEY);
    b.add(records[0]!);
    expect(() => b.add(records[0]!)).toThrow(/already in the identity graph/);
  });
});

function app(id: string, fields: Partial<ApplicationRecord>, day = 0): ApplicationRecord {
  return { applicationId: id, appliedAt: new Date(Date.UTC(2025, 0, 1) + day * 86_400_000).toISOString(), ...fields };
}

describe('graph variables', () => {
  it('counts sharing per identifier type, distinct ID numbers on a device and phone, statuses within two hops, oldest link', () => {
    const b = graphBuilder(KEY);
    b.add(app('a1', { deviceId: 'D1', idNumber: 'ID1', phone: '13800000001', status: 'declined' }, 0));
    b.add(app('a2', { deviceId: 'D1', idNumber: 'ID2', phone: '13800000002' }, 3));
    b.add(app('a3', { phone: '13800000002', idNumber: 'ID3', bankCard: '6222000011112222' }, 5)); // shares a2's phone
    b.add(app('a4', { bankCard: '6222 0000 1111 2222', idNumber: 'ID4', status: 'confirmed_fraud' }, 6)); // card spelled with spaces
    b.add(app('a5', { ip: '10.0.0.1', employer: 'ACME Ltd.' }, 7));
    b.graph.setStatus(b.graph.indexOf('a3'), STATUS_DECLINED);
    const reader = new GraphVariableReader(b.graph);
    const hasher = new IdentifierHasher(KEY);
    const v = reader.forNewApplication(hasher.hashApplication({ deviceId: ' d1 ', idNumber: 'ID9', phone: '+86 138-0000-0002', ip: '10.0.0.1', employer: 'acme ltd', contactPhones: ['13800000001'] }), Date.UTC(2025, 0, 11));
    expect(v.shared.deviceId).toBe(2); // a1, a2 (device id normalised: trimmed, lower-cased)
    expect(v.shared.phone).toBe(2); // a2 and a3 (phone normalised from +86 and dashes)
    expect(v.shared.contactPhones).toBe(1); // its contact is a1's own phone
    expect(v.shared.ip).toBe(1);
    expect(v.shared.employer).toBe(1);
    expect(v.shared.bankCard).toBe(0);
    expect(v.distinctIdNumbersOnDevice).toBe(3); // ID1, ID2 and its own
    expect(v.distinctIdNumbersOnPhone).toBe(3); // ID2, ID3 and its own
    // Hop 1: a1, a2, a3 (device, phone, contact). Hop 2: a4 via a3's card. IP and employer do not link clusters.
    expect(v.twoHopApplications).toBe(4);
    expect(v.twoHopDeclined).toBe(2);
    expect(v.twoHopConfirmedFraud).toBe(1);
    expect(v.clusterSize).toBe(5);
    expect(v.oldestLinkAgeDays).toBe(10);
    expect(b.graph.status[b.graph.indexOf('a4')]).toBe(STATUS_CONFIRMED_FRAUD);
    expect(toFlowVariables(v)).toMatchObject({ graphClusterSize: 5, graphSharedDeviceId: 2, graphSharedContactPhones: 1, graphTwoHopConfirmedFraud: 1, graphOldestLinkAgeDays: 10 });
  });

  it('cuts hub identifiers: a carrier NAT IP or a shop demo device on very many applications links nothing', () => {
    const b = graphBuilder(KEY);
    for (let i = 0; i < 150; i++) b.add(app(`n${i}`, { ip: '117.136.0.1', deviceId: `dev-${i}`, idNumber: `ID${i}` }, i / 10));
    for (let i = 0; i < 120; i++) b.add(app(`s${i}`, { deviceId: 'SHOP-DEMO', idNumber: `SID${i}`, bankCard: `62220000${i}` }, i / 10));
    const reader = new GraphVariableReader(b.graph, { hubThreshold: 100 });
    const hasher = new IdentifierHasher(KEY);
    const v = reader.forNewApplication(hasher.hashApplication({ ip: '117.136.0.1', deviceId: 'SHOP-DEMO', idNumber: 'X' }), Date.UTC(2025, 2, 1));
    expect(v.hubIdentifiers).toBe(2);
    expect(v.shared.ip).toBe(0);
    expect(v.shared.deviceId).toBe(0);
    expect(v.clusterSize).toBe(1);
    // Distinct ID numbers on a hub device are still counted: that is the signal of a device farm.
    expect(v.distinctIdNumbersOnDevice).toBe(121);
    // As of just before the 100th application on the IP, it was not yet a hub.
    const before = reader.forStoredApplication(b.graph.indexOf('n100'));
    expect(before.shared.ip).toBe(100);
    expect(before.hubIdentifiers).toBe(0);
    // Rings are not formed through hubs.
    expect(detectRings(b.graph, { minScore: 0 }).rings).toEqual([]);
  });
});
