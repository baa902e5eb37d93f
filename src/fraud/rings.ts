// Fraud-ring detection over the identity graph: connected components over linking identifiers with hubs cut,
// weighted label propagation inside components too large to be one ring, then a ring score per candidate.
import type { IdentityGraph } from './identity-graph.ts';
import { STATUS_CONFIRMED_FRAUD, STATUS_DECLINED, STATUS_INVESTIGATING } from './application-identifiers.ts';
import { KINDS, KIND_BANK_CARD, KIND_DEVICE, KIND_EMAIL, KIND_PHONE, KIND_WEIGHT, LINKING_KIND, type Kind } from './identifiers.ts';

export interface RingOptions {
  /** Identifiers linked to more applications than this are hubs: cut from linking and scoring. Default 100. */
  hubThreshold?: number;
  /** Smallest ring reported. Default 3. */
  minSize?: number;
  /** Components larger than this are split by community detection (a household hanging off a ring by one
   * emergency contact forms its own community). Default 8. */
  communityAbove?: number;
  /** Rings scoring below this (0..100) are not reported. Default 50. */
  minScore?: number;
  /** A member whose summed link weight to the rest of its ring is below this is dropped (a relative listed as an
   * emergency contact, a neighbour sharing an address): one device or card, or a contact phone plus an address,
   * is enough. Default 3. */
  minMemberWeight?: number;
}

export interface RingLink {
  kind: Kind;
  /** 64-bit keyed hash of the identifier (never the value). */
  key: string;
  /** Ring members linked to it. */
  members: number;
}

export interface Ring {
  id: string;
  score: number;
  /** Application indexes in the graph, ascending. */
  memberIndexes: number[];
  members: string[];
  links: RingLink[];
  factors: { size: number; persons: number; density: number; strongShare: number; formedWithinDays: number; flaggedShare: number };
}

export interface RingDetection {
  rings: Ring[];
  components: number;
  largestComponent: number;
  candidates: number;
}

const DAY_MS = 86_400_000;

function find(parent: Int32Array, a: number): number {
  let r = a;
  while (parent[r] !== r) r = parent[r]!;
  while (parent[a] !== r) { const next = parent[a]!; parent[a] = r; a = next; }
  return r;
}

export function detectRings(graph: IdentityGraph, opts: RingOptions = {}): RingDetection {
  const hub = opts.hubThreshold ?? 100;
  const minSize = opts.minSize ?? 3;
  const communityAbove = opts.communityAbove ?? 8;
  const minScore = opts.minScore ?? 50;
  const minMemberWeight = opts.minMemberWeight ?? 3;
  if (graph.csrEdges !== graph.edgeCount) graph.compact();
  const n = graph.appCount;
  const nIdent = graph.csrIdentCount;
  const off = graph.csrOffset, apps = graph.csrApps;
  const kindOf = graph.identifiers.kind;

  // 1. Connected components over linking, non-hub identifiers.
  const parent = new Int32Array(n);
  for (let a = 0; a < n; a++) parent[a] = a;
  for (let x = 0; x < nIdent; x++) {
    const s = off[x]!, e = off[x + 1]!;
    const d = e - s;
    if (d < 2 || d > hub || !LINKING_KIND[kindOf[x]!]) continue;
    let r0 = find(parent, apps[s]!);
    for (let p = s + 1; p < e; p++) {
      const r = find(parent, apps[p]!);
      if (r !== r0) {
        if (r < r0) { parent[r0] = r; r0 = r; } else parent[r] = r0;
      }
    }
  }
  const size = new Int32Array(n);
  for (let a = 0; a < n; a++) size[find(parent, a)]!++;
  let components = 0, largest = 0;
  for (let a = 0; a < n; a++) if (parent[a] === a) { components++; if (size[a]! > largest) largest = size[a]!; }

  // Group members of components big enough to matter (counting sort by root).
  const start = new Int32Array(n + 1);
  for (let a = 0; a < n; a++) { const r = parent[a]!; if (size[r]! >= minSize) start[r + 1]!++; }
  for (let a = 0; a < n; a++) start[a + 1]! += start[a]!;
  const members = new Int32Array(start[n]!);
  const fill = start.slice(0, n);
  for (let a = 0; a < n; a++) { const r = parent[a]!; if (size[r]! >= minSize) members[fill[r]!++] = a; }

  const ctx = new ScoringContext(graph, hub);
  const rings: Ring[] = [];
  let candidates = 0;
  for (let r = 0; r < n; r++) {
    if (parent[r] !== r || size[r]! < minSize) continue;
    const comp = members.subarray(start[r]!, start[r + 1]!);
    const groups = comp.length > communityAbove ? ctx.communities(comp, minSize) : [Array.from(comp)];
    for (const g of groups) {
      const kept = ctx.prune(g, minMemberWeight);
      if (kept.length < minSize) continue;
      candidates++;
      const ring = ctx.score(kept, minSize);
      if (ring && ring.score >= minScore) rings.push(ring);
    }
  }
  rings.sort((a, b) => b.score - a.score || b.members.length - a.members.length || (a.id < b.id ? -1 : 1));
  return { rings, components, largestComponent: largest, candidates };
}

/** Scratch shared by scoring and community detection: a global app -> local index map, reset after each use. */
class ScoringContext {
  private readonly local: Int32Array;
  private readonly identSeen: Int32Array;
  private gen = 0;

  constructor(private readonly graph: IdentityGraph, private readonly hub: number) {
    this.local = new Int32Array(graph.appCount).fill(-1);
    this.identSeen = new Int32Array(graph.csrIdentCount);
  }

  /** Identifiers (non-hub, shared by >= 2 of the group) with the local indexes of the group members on each. */
  private sharedIdentifiers(group: ArrayLike<number>): { ident: number; locals: number[] }[] {
    const g = this.graph, local = this.local;
    for (let i = 0; i < group.length; i++) local[group[i]!] = i;
    const gen = ++this.gen;
    const out: { ident: number; locals: number[] }[] = [];
    for (let i = 0; i < group.length; i++) {
      const a = group[i]!;
      for (let e = g.appEdgeStart[a]!, end = g.appEdgeStart[a + 1]!; e < end; e++) {
        const x = g.edgeIdent[e]!;
        if (this.identSeen[x] === gen) continue;
        this.identSeen[x] = gen;
        const s = g.csrOffset[x]!, t = g.csrOffset[x + 1]!;
        if (t - s < 2 || t - s > this.hub) continue;
        const locals: number[] = [];
        for (let p = s; p < t; p++) { const l = local[g.csrApps[p]!]!; if (l >= 0) locals.push(l); }
        if (locals.length >= 2) out.push({ ident: x, locals });
      }
    }
    for (let i = 0; i < group.length; i++) local[group[i]!] = -1;
    return out;
  }

  /** Weighted label propagation over the application projection; returns groups of at least minSize. */
  communities(comp: ArrayLike<number>, minSize: number): number[][] {
    const m = comp.length;
    const shared = this.sharedIdentifiers(comp);
    // Per member: the shared identifiers it sits on (CSR over members).
    const deg = new Int32Array(m + 1);
    for (const s of shared) for (const l of s.locals) deg[l + 1]!++;
    for (let i = 0; i < m; i++) deg[i + 1]! += deg[i]!;
    const memberIdents = new Int32Array(deg[m]!);
    const f = deg.slice(0, m);
    shared.forEach((s, si) => { for (const l of s.locals) memberIdents[f[l]!++] = si; });
    const weight = shared.map((s) => KIND_WEIGHT[this.graph.identifiers.kind[s.ident]!]!);

    const label = new Int32Array(m);
    for (let i = 0; i < m; i++) label[i] = i;
    const scoreOf = new Float64Array(m);
    const touched: number[] = [];
    for (let iter = 0; iter < 30; iter++) {
      let changed = 0;
      for (let i = 0; i < m; i++) {
        for (let p = deg[i]!; p < deg[i + 1]!; p++) {
          const si = memberIdents[p]!;
          const w = weight[si]!;
          for (const j of shared[si]!.locals) {
            if (j === i) continue;
            const l = label[j]!;
            if (scoreOf[l] === 0) touched.push(l);
            scoreOf[l]! += w;
          }
        }
        let best = label[i]!, bestScore = -1;
        for (const l of touched) {
          const s = scoreOf[l]!;
          if (s > bestScore || (s === bestScore && l < best)) { best = l; bestScore = s; }
          scoreOf[l] = 0;
        }
        touched.length = 0;
        if (bestScore > 0 && best !== label[i]) { label[i] = best; changed++; }
      }
      if (changed === 0) break;
    }
    const byLabel = new Map<number, number[]>();
    for (let i = 0; i < m; i++) {
      let list = byLabel.get(label[i]!);
      if (!list) byLabel.set(label[i]!, (list = []));
      list.push(comp[i]!);
    }
    return [...byLabel.values()].filter((g) => g.length >= minSize);
  }

  /** Drops members weakly attached to the rest (repeated until stable). */
  prune(group: number[], minMemberWeight: number): number[] {
    let current = group;
    for (let round = 0; round < 5; round++) {
      const shared = this.sharedIdentifiers(current);
      const w = new Float64Array(current.length);
      for (const s of shared) {
        const kw = KIND_WEIGHT[this.graph.identifiers.kind[s.ident]!]!;
        for (const l of s.locals) w[l]! += kw;
      }
      const kept = current.filter((_, i) => w[i]! >= minMemberWeight);
      if (kept.length === current.length) return current;
      current = kept;
    }
    return current;
  }

  /** Scores a candidate; null when it holds fewer than minSize distinct people (one person re-applying is no ring). */
  score(group: number[], minSize: number): Ring | null {
    const g = this.graph;
    group.sort((a, b) => a - b);
    const m = group.length;
    // A person is an ID number; an application without one counts as its own person.
    const person = new Int32Array(m);
    const personIds = new Set<number>();
    for (let i = 0; i < m; i++) {
      const a = group[i]!;
      person[i] = -(i + 1);
      for (let e = g.appEdgeStart[a]!, end = g.appEdgeStart[a + 1]!; e < end; e++) if (g.edgeRole[e] === 3) { person[i] = g.edgeIdent[e]!; break; }
      personIds.add(person[i]!);
    }
    const persons = personIds.size;
    if (persons < minSize) return null;
    const shared = this.sharedIdentifiers(group);
    // Linked pairs: bitset for moderate sizes; beyond that an upper bound from identifier degrees.
    const totalPairs = (m * (m - 1)) / 2;
    let linkedPairs = 0;
    if (m <= 2048) {
      const words = (m + 31) >>> 5;
      const bits = new Uint32Array(m * words);
      for (const s of shared) {
        const ls = s.locals;
        for (let i = 0; i < ls.length; i++) for (let j = i + 1; j < ls.length; j++) {
          const a = Math.min(ls[i]!, ls[j]!), b = Math.max(ls[i]!, ls[j]!);
          const idx = a * words + (b >>> 5), bit = 1 << (b & 31);
          if ((bits[idx]! & bit) === 0) { bits[idx]! |= bit; linkedPairs++; }
        }
      }
    } else {
      for (const s of shared) linkedPairs += (s.locals.length * (s.locals.length - 1)) / 2;
      linkedPairs = Math.min(linkedPairs, totalPairs);
    }
    const density = totalPairs > 0 ? linkedPairs / totalPairs : 0;

    // Strong sharing: the same device, ID number, card or email, or the same own phone, on several members.
    const strongMember = new Uint8Array(m);
    const links: RingLink[] = [];
    for (const s of shared) {
      const kind = g.identifiers.kind[s.ident]!;
      let strong = kind === KIND_DEVICE || kind === KIND_BANK_CARD || kind === KIND_EMAIL;
      if (kind === KIND_PHONE) {
        let own = 0;
        for (let p = g.csrOffset[s.ident]!; p < g.csrOffset[s.ident + 1]!; p++) if (g.csrRoles[p] === 0) own++;
        strong = own >= 2;
      }
      // Sharing counts only between different people: one person's own re-applications prove nothing.
      if (strong) {
        const p0 = person[s.locals[0]!]!;
        if (s.locals.some((l) => person[l] !== p0)) for (const l of s.locals) strongMember[l] = 1;
      }
      links.push({ kind: KINDS[kind]!, key: g.identifiers.keyHex(s.ident), members: s.locals.length });
    }
    links.sort((a, b) => b.members - a.members || (a.key < b.key ? -1 : 1));
    let strongCount = 0;
    for (let i = 0; i < m; i++) strongCount += strongMember[i]!;
    const strongShare = strongCount / m;

    let first = Infinity, last = -Infinity, flagged = 0;
    for (const a of group) {
      const t = g.appliedAt[a]!;
      if (t < first) first = t;
      if (t > last) last = t;
      const st = g.status[a];
      if (st === STATUS_DECLINED || st === STATUS_INVESTIGATING || st === STATUS_CONFIRMED_FRAUD) flagged++;
    }
    const spanDays = (last - first) / DAY_MS;
    // Rings form in days; honest clusters (families, colleagues) accumulate over months.
    const speed = spanDays <= 3 ? 1 : spanDays >= 90 ? 0 : 1 - Math.log(spanDays / 3) / Math.log(30);
    // Small groups (households) are common and legitimate: size gates the other evidence rather than adding to it.
    const sizeFactor = Math.min(1, (persons - 2) / 4);
    const flaggedShare = flagged / m;
    const score = 100 * Math.min(1, sizeFactor * (0.5 * strongShare + 0.2 * density + 0.3 * speed) + 0.2 * flaggedShare);

    const memberIds = group.map((a) => g.appIds[a]!);
    return {
      id: ringId(memberIds),
      score: Math.round(score * 10) / 10,
      memberIndexes: group,
      members: memberIds,
      links,
      factors: {
        size: m,
        persons,
        density: Math.round(density * 1000) / 1000,
        strongShare: Math.round(strongShare * 1000) / 1000,
        formedWithinDays: Math.round(spanDays * 100) / 100,
        flaggedShare: Math.round(flaggedShare * 1000) / 1000,
      },
    };
  }
}

/** Stable id from the member set (FNV-1a over the sorted application ids), so reruns name a ring the same. */
function ringId(memberIds: string[]): string {
  let h = 0x811c9dc5;
  for (const id of [...memberIds].sort()) {
    for (let i = 0; i < id.length; i++) { h ^= id.charCodeAt(i); h = Math.imul(h, 0x01000193); }
    h ^= 0x2c; h = Math.imul(h, 0x01000193);
  }
  return 'ring-' + (h >>> 0).toString(16).padStart(8, '0');
}
