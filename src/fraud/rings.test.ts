import { describe, expect, it } from 'vitest';
import { generatePopulation, scoreDetection } from './population.ts';
import { buildGraph } from './graph-loader.ts';
import { detectRings } from './rings.ts';
import type { ApplicationRecord } from './application-record.ts';

const KEY = Buffer.alloc(32, 9);
const at = (day: number) => new Date(Date.UTC(2025, 3, 1) + day * 86_400_000).toISOString();

describe('ring detection', () => {
  it('recovers planted rings in a generated population (member-level recall >= 95%, precision >= 90%)', () => {
    const pop = generatePopulation({ n: 30_000, seed: 5, ringShare: 0.02 });
    const graph = buildGraph(pop.records(), KEY, { applications: 30_000 });
    const detection = detectRings(graph);
    const s = scoreDetection(pop.truth.rings, detection.rings.flatMap((r) => r.members));
    expect(pop.truth.rings.length).toBeGreaterThan(5);
    expect(s.recall).toBeGreaterThanOrEqual(0.95);
    expect(s.precision).toBeGreaterThanOrEqual(0.9);
    // Ranked by score, links carry hashes only.
    for (let i = 1; i < detection.rings.length; i++) expect(detection.rings[i - 1]!.score).toBeGreaterThanOrEqual(detection.rings[i]!.score);
    const json = JSON.stringify(detection.rings);
    const sample = [...pop.records()].slice(0, 200);
    for (const r of sample) expect(json.includes(r.deviceId!)).toBe(false);
  });

  it('finds a hand-built ring, names the identifiers tying it, and ignores one person re-applying', () => {
    const apps: ApplicationRecord[] = [];
    for (let i = 0; i < 6; i++) {
      apps.push({ applicationId: `ring-${i}`, phone: `1700000000${i}`, deviceId: i % 2 ? 'DEV-A' : 'DEV-B', bankCard: '6222000099990000', idNumber: `R${i}`, contactPhones: [`1700000000${(i + 1) % 6}`], appliedAt: at(i * 0.3) });
    }
    for (let k = 0; k < 4; k++) apps.push({ applicationId: `again-${k}`, phone: '13911112222', deviceId: 'MY-PHONE', idNumber: 'SAME-PERSON', bankCard: '6222111122223333', appliedAt: at(k) });
    apps.push({ applicationId: 'loner', phone: '13500000000', appliedAt: at(1) });
    const { rings } = detectRings(buildGraph(apps, KEY));
    expect(rings).toHaveLength(1);
    const ring = rings[0]!;
    expect(ring.members).toEqual(['ring-0', 'ring-1', 'ring-2', 'ring-3', 'ring-4', 'ring-5']);
    expect(ring.score).toBeGreaterThan(80);
    expect(ring.factors.strongShare).toBe(1);
    const kinds = ring.links.map((l) => `${l.kind}:${l.members}`);
    expect(kinds).toContain('bankCard:6');
    expect(kinds.filter((k) => k.startsWith('device:'))).toEqual(['device:3', 'device:3']);
    expect(ring.links.every((l) => /^[0-9a-f]{16}$/.test(l.key))).toBe(true);
    // The same set of members gets the same id on every run.
    expect(detectRings(buildGraph([...apps].reverse(), KEY)).rings[0]!.id).toBe(ring.id);
  });

  it('cuts hub identifiers from linking: applications sharing only a busy NAT IP form no ring', () => {
    const apps: ApplicationRecord[] = [];
    for (let i = 0; i < 300; i++) apps.push({ applicationId: `a${i}`, ip: '117.136.1.1', deviceId: i < 150 ? 'SHARED-KIOSK' : `d${i}`, idNumber: `P${i}`, appliedAt: at(i / 100) });
    expect(detectRings(buildGraph(apps, KEY), { hubThreshold: 100, minScore: 0 }).rings).toEqual([]);
    // Below the threshold the same kiosk device does tie its applications together.
    expect(detectRings(buildGraph(apps, KEY), { hubThreshold: 200, minScore: 0 }).rings[0]!.members).toHaveLength(150);
  });

  it('splits a large component into communities: two rings bridged by one emergency contact stay two rings', () => {
    const apps: ApplicationRecord[] = [];
    for (const g of ['x', 'y']) for (let i = 0; i < 8; i++) {
      apps.push({ applicationId: `${g}${i}`, phone: `${g === 'x' ? 171 : 172}0000000${i}`, deviceId: `${g}-dev-${i % 2}`, bankCard: `${g === 'x' ? 6222 : 6333}000011110000`, idNumber: `${g}${i}`, appliedAt: at(i / 4), contactPhones: g === 'y' && i === 0 ? ['17100000000'] : [] });
    }
    const { rings } = detectRings(buildGraph(apps, KEY));
    expect(rings.map((r) => r.members.length)).toEqual([8, 8]);
    expect(rings.map((r) => r.members[0]!.slice(0, 1)).sort()).toEqual(['x', 'y']);
  });
});
