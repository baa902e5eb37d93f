// Graph variables for one application, computed from the identity graph as it stood before that application:
// only applications with a smaller index (decided earlier) are seen, so a backtest over stored applications and the
// live decision give the same numbers.
import type { IdentityGraph } from './identity-graph.ts';
import type { HashedIdentifiers } from './application-identifiers.ts';
import { STATUS_CONFIRMED_FRAUD, STATUS_DECLINED, STATUS_INVESTIGATING } from './application-identifiers.ts';
import { KIND_DEVICE, KIND_ID_NUMBER, KIND_PHONE, LINKING_KIND, ROLES, ROLE_COUNT, ROLE_KIND, type Role } from './identifiers.ts';

export interface GraphVariableOptions {
  /** An identifier linked to more applications than this is a hub (carrier NAT IP, shop demo phone): it is not
   * followed and its applications are not counted as shared. Default 100. */
  hubThreshold?: number;
  /** Cluster search stops after this many applications (clusterSize is then a lower bound). Default 10,000. */
  clusterCap?: number;
  /** Most applications scanned per identifier for distinct-ID-number counts (hub devices included). Default 2,000. */
  scanCap?: number;
}

export interface GraphVariables {
  /** Applications in its connected cluster over linking identifiers (hubs cut), itself included. */
  clusterSize: number;
  clusterSizeCapped: boolean;
  /** Earlier applications sharing an identifier of each role with it (non-hub identifiers). */
  shared: Record<Role, number>;
  /** Distinct ID numbers seen on its device / its phone, its own included. */
  distinctIdNumbersOnDevice: number;
  distinctIdNumbersOnPhone: number;
  /** Applications within two hops (sharing an identifier with it, or with one that does) over linking identifiers. */
  twoHopApplications: number;
  twoHopDeclined: number;
  twoHopInvestigating: number;
  twoHopConfirmedFraud: number;
  /** Days between the earliest linked earlier application and this one; null without links. */
  oldestLinkAgeDays: number | null;
  /** Its identifiers that are hubs (cut from the counts above). */
  hubIdentifiers: number;
}

const DAY_MS = 86_400_000;

export class GraphVariableReader {
  private readonly hub: number;
  private readonly clusterCap: number;
  private readonly scanCap: number;
  private appMark = new Int32Array(0);
  private identMark = new Int32Array(0);
  private depth = new Uint8Array(0);
  private queue = new Int32Array(0);
  private gen = 0;
  private readonly ownIdent = new Int32Array(256);
  private readonly ownRole = new Uint8Array(256);

  constructor(private readonly graph: IdentityGraph, opts: GraphVariableOptions = {}) {
    this.hub = opts.hubThreshold ?? 100;
    this.clusterCap = opts.clusterCap ?? 10_000;
    this.scanCap = opts.scanCap ?? 2_000;
  }

  private ensureScratch(): void {
    const g = this.graph;
    if (this.appMark.length < g.appCount + 1) {
      const n = Math.max(1024, (g.appCount + 1) * 2);
      this.appMark = new Int32Array(n);
      this.depth = new Uint8Array(n);
      this.queue = new Int32Array(n);
    }
    if (this.identMark.length < g.identifierCount) {
      // The generation counter keeps running: the array not replaced still holds stamps of earlier generations.
      this.identMark = new Int32Array(Math.max(1024, g.identifierCount * 2));
    }
  }

  private nextGen(): number {
    if (this.gen >= 0x7ffffff0) {
      this.appMark.fill(0);
      this.identMark.fill(0);
      this.gen = 0;
    }
    return ++this.gen;
  }

  /** Variables of a stored application as of just before it was added. */
  forStoredApplication(appIndex: number): GraphVariables {
    const g = this.graph;
    let n = 0;
    for (let e = g.appEdgeStart[appIndex]!, end = g.appEdgeStart[appIndex + 1]!; e < end && n < this.ownIdent.length; e++) {
      this.ownIdent[n] = g.edgeIdent[e]!;
      this.ownRole[n] = g.edgeRole[e]!;
      n++;
    }
    return this.compute(n, g.appliedAt[appIndex]!, appIndex);
  }

  /** Variables of a new application (not in the graph) against the whole graph. */
  forNewApplication(ids: HashedIdentifiers, appliedAtMs: number): GraphVariables {
    const g = this.graph;
    let n = 0;
    for (let i = 0; i < ids.n && n < this.ownIdent.length; i++) {
      this.ownIdent[n] = g.identifiers.find(ids.hi[i]!, ids.lo[i]!);
      this.ownRole[n] = ids.role[i]!;
      n++;
    }
    return this.compute(n, appliedAtMs, g.appCount);
  }

  private compute(n: number, appliedAt: number, before: number): GraphVariables {
    this.ensureScratch();
    const g = this.graph;
    const hub = this.hub;
    const own = this.ownIdent, ownRole = this.ownRole;
    const appMark = this.appMark;

    const shared = {} as Record<Role, number>;
    let hubIdentifiers = 0;
    let oldest = Infinity;
    let ownIdNumber = -1; // -1: none; -2: an ID number the graph has not seen yet
    const isHub = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      const x = own[i]!;
      if (ROLE_KIND[ownRole[i]!] === KIND_ID_NUMBER) ownIdNumber = x < 0 ? -2 : x;
      if (x < 0) continue;
      if (g.degreeBefore(x, before, hub + 1) > hub) { isHub[i] = 1; hubIdentifiers++; }
    }
    for (let role = 0; role < ROLE_COUNT; role++) {
      const gen = this.nextGen();
      let count = 0;
      for (let i = 0; i < n; i++) {
        const x = own[i]!;
        if (ownRole[i] !== role || x < 0 || isHub[i]) continue;
        g.forEachApp(x, before, (a) => {
          if (appMark[a] !== gen) {
            appMark[a] = gen;
            count++;
            const t = g.appliedAt[a]!;
            if (t < oldest) oldest = t;
          }
        });
      }
      shared[ROLES[role]!] = count;
    }

    let distinctIdNumbersOnDevice = 0, distinctIdNumbersOnPhone = 0;
    for (let i = 0; i < n; i++) {
      const x = own[i]!;
      const kind = ROLE_KIND[ownRole[i]!]!;
      if (ownRole[i] === 8 || (kind !== KIND_DEVICE && kind !== KIND_PHONE)) continue;
      const ids = new Set<number>();
      if (ownIdNumber !== -1) ids.add(ownIdNumber);
      if (x >= 0) {
        let scanned = 0;
        g.forEachApp(x, before, (a) => {
          for (let e = g.appEdgeStart[a]!, end = g.appEdgeStart[a + 1]!; e < end; e++) {
            if (g.edgeRole[e] === 3) ids.add(g.edgeIdent[e]!);
          }
          return ++scanned < this.scanCap;
        });
      }
      if (kind === KIND_DEVICE) distinctIdNumbersOnDevice = ids.size; else distinctIdNumbersOnPhone = ids.size;
    }

    // Breadth-first over linking identifiers; depth counted in application hops.
    const gen = this.nextGen();
    const identMark = this.identMark, depth = this.depth, queue = this.queue;
    let head = 0, tail = 0, clusterSize = 1, capped = false;
    let twoHop = 0, declined = 0, investigating = 0, confirmed = 0;
    const visitIdent = (x: number, d: number): void => {
      if (identMark[x] === gen) return;
      identMark[x] = gen;
      if (!LINKING_KIND[g.identifiers.kind[x]!]) return;
      if (g.degreeBefore(x, before, hub + 1) > hub) return;
      g.forEachApp(x, before, (a) => {
        if (appMark[a] === gen) return true;
        appMark[a] = gen;
        depth[a] = d;
        queue[tail++] = a;
        clusterSize++;
        if (d <= 2) {
          twoHop++;
          const s = g.status[a];
          if (s === STATUS_DECLINED) declined++;
          else if (s === STATUS_INVESTIGATING) investigating++;
          else if (s === STATUS_CONFIRMED_FRAUD) confirmed++;
        }
        if (clusterSize >= this.clusterCap) { capped = true; return false; }
        return true;
      });
    };
    for (let i = 0; i < n && !capped; i++) if (own[i]! >= 0) visitIdent(own[i]!, 1);
    while (head < tail && !capped) {
      const a = queue[head++]!;
      const d = depth[a]! + 1;
      for (let e = g.appEdgeStart[a]!, end = g.appEdgeStart[a + 1]!; e < end && !capped; e++) visitIdent(g.edgeIdent[e]!, d > 250 ? 250 : d);
    }

    return {
      clusterSize,
      clusterSizeCapped: capped,
      shared,
      distinctIdNumbersOnDevice,
      distinctIdNumbersOnPhone,
      twoHopApplications: twoHop,
      twoHopDeclined: declined,
      twoHopInvestigating: investigating,
      twoHopConfirmedFraud: confirmed,
      oldestLinkAgeDays: oldest === Infinity ? null : Math.round(((appliedAt - oldest) / DAY_MS) * 1000) / 1000,
      hubIdentifiers,
    };
  }
}

/** Flat, flow-friendly names (`graphClusterSize`, `graphSharedDeviceId`, ...) for a decision's variables: what the
 * decision service passes to flows next to the application. A missing oldest link reads as -1 (flows compare numbers). */
export function toFlowVariables(v: GraphVariables): Record<string, number | boolean> {
  const out: Record<string, number | boolean> = {
    graphClusterSize: v.clusterSize,
    graphClusterSizeCapped: v.clusterSizeCapped,
    graphDistinctIdNumbersOnDevice: v.distinctIdNumbersOnDevice,
    graphDistinctIdNumbersOnPhone: v.distinctIdNumbersOnPhone,
    graphTwoHopApplications: v.twoHopApplications,
    graphTwoHopDeclined: v.twoHopDeclined,
    graphTwoHopInvestigating: v.twoHopInvestigating,
    graphTwoHopConfirmedFraud: v.twoHopConfirmedFraud,
    graphOldestLinkAgeDays: v.oldestLinkAgeDays ?? -1,
    graphHubIdentifiers: v.hubIdentifiers,
  };
  for (const role of ROLES) out[`graphShared${role[0]!.toUpperCase()}${role.slice(1)}`] = v.shared[role];
  return out;
}
