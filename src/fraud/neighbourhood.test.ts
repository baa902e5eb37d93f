import { describe, expect, it } from 'vitest';
import { buildGraph } from './graph-loader.ts';
import { backtrackApplication, backtrackIdentifier, neighbourhood } from './neighbourhood.ts';
import { IdentifierHasher, statusFromDecision } from './application-identifiers.ts';
import type { ApplicationRecord } from './application-record.ts';

const KEY = Buffer.alloc(32, 6);
const at = (d: number) => new Date(Date.UTC(2025, 0, 1) + d * 86_400_000).toISOString();

// A chain a -device- b -card- c -phone- d, plus 150 applications on one NAT IP with a.
const apps: ApplicationRecord[] = [
  { applicationId: 'a', deviceId: 'D1', ip: '117.1.1.1', appliedAt: at(3) },
  { applicationId: 'b', deviceId: 'D1', bankCard: '6222000011112222', appliedAt: at(1), status: 'declined' },
  { applicationId: 'c', bankCard: '6222000011112222', phone: '13800000000', appliedAt: at(2) },
  { applicationId: 'd', contactPhones: ['13800000000'], appliedAt: at(0) },
  ...Array.from({ length: 150 }, (_, i) => ({ applicationId: `nat${i}`, ip: '117.1.1.1', appliedAt: at(5) })),
];

describe('neighbourhood and backtracking', () => {
  const graph = buildGraph(apps, KEY);

  it('walks N application hops, shows hubs without walking through them', () => {
    const one = neighbourhood(graph, 'a', { hops: 1 })!;
    expect(one.applications.map((x) => [x.id, x.hop])).toEqual([['a', 0], ['b', 1]]);
    const three = neighbourhood(graph, 'a', { hops: 3 })!;
    expect(three.applications.map((x) => x.id).sort()).toEqual(['a', 'b', 'c', 'd']);
    expect(three.applications.find((x) => x.id === 'b')!.status).toBe('declined');
    const hub = three.identifiers.find((x) => x.kind === 'ip')!;
    expect(hub).toMatchObject({ hub: true, applications: 151 });
    expect(three.links.every((l) => /^[0-9a-f]{16}$/.test(l.identifier))).toBe(true);
    expect(neighbourhood(graph, 'a', { hops: 3, maxApplications: 2 })!.truncated).toBe(true);
    expect(neighbourhood(graph, 'missing')).toBeNull();
  });

  it('backtracks from an application or an identifier to what it touched, oldest first', () => {
    const fromB = backtrackApplication(graph, 'b')!;
    expect(fromB.applications.map((x) => x.applicationId)).toEqual(['b', 'c', 'a']);
    expect(fromB.applications.find((x) => x.applicationId === 'c')!.via).toEqual([expect.objectContaining({ kind: 'bankCard', role: 'bankCard' })]);
    expect(fromB.firstSeen).toBe(at(1));
    const h = new IdentifierHasher(KEY);
    const key = h.storedKey(0, '+86 138 0000 0000')!;
    const fromPhone = backtrackIdentifier(graph, parseInt(key.slice(0, 8), 16) | 0, parseInt(key.slice(8), 16) | 0)!;
    expect(fromPhone.applications.map((x) => [x.applicationId, x.via[0]!.role])).toEqual([['d', 'contactPhones'], ['c', 'phone']]);
    expect(backtrackApplication(graph, 'a', 10)!.truncated).toBe(true);
  });

  it('maps decision outcomes to graph statuses', () => {
    expect(['APPROVE', 'DECLINE', 'REVIEW', 'ERROR'].map(statusFromDecision)).toEqual(['approved', 'declined', 'review', 'none']);
  });
});
