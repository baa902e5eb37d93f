// The identity graph: a bipartite graph of applications and hashed identifiers over typed arrays.
//
// Applications get dense indexes in the order they are added (the order they were decided), and their edges are
// stored contiguously (appEdgeStart). The reverse direction (identifier -> applications) has two parts:
//   - a CSR segment built in bulk by compact() (counting sort over all edges so far, apps ascending), and
//   - an append list per identifier (head + next pointers over edge indexes) for edges added since the last compact().
// Readers walk both, so a graph fed one application at a time answers exactly like one rebuilt in bulk.
import { IdentifierTable } from './identifier-table.ts';
import type { HashedIdentifiers } from './application-identifiers.ts';
import { ROLE_KIND } from './identifiers.ts';
import { MingjianError } from '../kernel/errors.ts';

function growInt32(a: Int32Array, min: number): Int32Array {
  let n = a.length;
  while (n < min) n *= 2;
  if (n === a.length) return a;
  const b = new Int32Array(n);
  b.set(a);
  return b;
}
function growUint8(a: Uint8Array, min: number): Uint8Array {
  let n = a.length;
  while (n < min) n *= 2;
  if (n === a.length) return a;
  const b = new Uint8Array(n);
  b.set(a);
  return b;
}
function growFloat64(a: Float64Array, min: number): Float64Array {
  let n = a.length;
  while (n < min) n *= 2;
  if (n === a.length) return a;
  const b = new Float64Array(n);
  b.set(a);
  return b;
}

export interface GraphSizing {
  applications?: number;
  identifiers?: number;
  edges?: number;
}

export class IdentityGraph {
  readonly identifiers: IdentifierTable;
  appCount = 0;
  readonly appIds: string[] = [];
  private readonly appIndexById = new Map<string, number>();
  appliedAt: Float64Array;
  status: Uint8Array;
  /** Edges of app a are [appEdgeStart[a], appEdgeStart[a+1]). */
  appEdgeStart: Int32Array;
  edgeCount = 0;
  edgeIdent: Int32Array;
  edgeRole: Uint8Array;
  edgeApp: Int32Array;
  /** Edges touching each identifier (one per application, duplicates are removed on input). */
  identDegree: Int32Array;

  // CSR over edges [0, csrEdges): identifier x -> csrApps[csrOffset[x] .. csrOffset[x+1]), apps ascending.
  csrIdentCount = 0;
  csrEdges = 0;
  csrOffset: Int32Array = new Int32Array(1);
  csrApps: Int32Array = new Int32Array(0);
  csrRoles: Uint8Array = new Uint8Array(0);
  // Append lists for edges >= csrEdges: newest first.
  tailHead: Int32Array;
  edgeNext: Int32Array;

  constructor(sizing: GraphSizing = {}) {
    const apps = Math.max(1024, sizing.applications ?? 1024);
    const idents = Math.max(1024, sizing.identifiers ?? apps * 8);
    const edges = Math.max(1024, sizing.edges ?? apps * 11);
    this.identifiers = new IdentifierTable(idents);
    this.appliedAt = new Float64Array(apps);
    this.status = new Uint8Array(apps);
    this.appEdgeStart = new Int32Array(apps + 1);
    this.edgeIdent = new Int32Array(edges);
    this.edgeRole = new Uint8Array(edges);
    this.edgeApp = new Int32Array(edges);
    this.edgeNext = new Int32Array(edges);
    this.identDegree = new Int32Array(idents);
    this.tailHead = new Int32Array(idents).fill(-1);
  }

  get identifierCount(): number {
    return this.identifiers.count;
  }

  indexOf(applicationId: string): number {
    return this.appIndexById.get(applicationId) ?? -1;
  }

  /** Adds a decided application with its hashed identifiers; returns its index. */
  addApplication(applicationId: string, appliedAtMs: number, status: number, ids: HashedIdentifiers): number {
    if (this.appIndexById.has(applicationId)) {
      throw new MingjianError('CONFLICT', `application ${applicationId} is already in the identity graph`, [{ path: 'applicationId', message: 'duplicate application id' }]);
    }
    const a = this.appCount++;
    if (a + 2 > this.appEdgeStart.length) this.appEdgeStart = growInt32(this.appEdgeStart, a + 2);
    if (a + 1 > this.appliedAt.length) {
      this.appliedAt = growFloat64(this.appliedAt, a + 1);
      this.status = growUint8(this.status, a + 1);
    }
    this.appIds.push(applicationId);
    this.appIndexById.set(applicationId, a);
    this.appliedAt[a] = appliedAtMs;
    this.status[a] = status;
    const need = this.edgeCount + ids.n;
    if (need > this.edgeIdent.length) {
      this.edgeIdent = growInt32(this.edgeIdent, need);
      this.edgeRole = growUint8(this.edgeRole, need);
      this.edgeNext = growInt32(this.edgeNext, need);
      this.edgeApp = growInt32(this.edgeApp, need);
    }
    const table = this.identifiers;
    for (let i = 0; i < ids.n; i++) {
      const role = ids.role[i]!;
      const x = table.intern(ids.hi[i]!, ids.lo[i]!, ROLE_KIND[role]!);
      if (x >= this.identDegree.length) {
        const old = this.tailHead.length;
        this.identDegree = growInt32(this.identDegree, x + 1);
        this.tailHead = growInt32(this.tailHead, x + 1);
        this.tailHead.fill(-1, old);
      }
      const e = this.edgeCount++;
      this.edgeIdent[e] = x;
      this.edgeRole[e] = role;
      this.edgeApp[e] = a;
      this.edgeNext[e] = this.tailHead[x]!;
      this.tailHead[x] = e;
      this.identDegree[x]!++;
    }
    this.appEdgeStart[a + 1] = this.edgeCount;
    return a;
  }

  setStatus(appIndex: number, status: number): void {
    this.status[appIndex] = status;
  }

  /** Rebuilds the CSR over all edges so far and empties the append lists (bulk load, or periodically). */
  compact(): void {
    const nIdent = this.identifiers.count;
    const nEdges = this.edgeCount;
    const offset = new Int32Array(nIdent + 1);
    for (let e = 0; e < nEdges; e++) offset[this.edgeIdent[e]! + 1]!++;
    for (let x = 0; x < nIdent; x++) offset[x + 1]! += offset[x]!;
    const fill = offset.slice(0, nIdent);
    const apps = new Int32Array(nEdges);
    const roles = new Uint8Array(nEdges);
    // Edges are stored app by app in ascending app order, so each identifier's list comes out sorted.
    for (let a = 0; a < this.appCount; a++) {
      for (let e = this.appEdgeStart[a]!, end = this.appEdgeStart[a + 1]!; e < end; e++) {
        const x = this.edgeIdent[e]!;
        const p = fill[x]!++;
        apps[p] = a;
        roles[p] = this.edgeRole[e]!;
      }
    }
    this.csrOffset = offset;
    this.csrApps = apps;
    this.csrRoles = roles;
    this.csrIdentCount = nIdent;
    this.csrEdges = nEdges;
    this.tailHead.fill(-1);
  }

  /** Calls fn(app, role) for each application linked to identifier x, apps with index >= before skipped.
   * Stops early when fn returns false. */
  forEachApp(x: number, before: number, fn: (app: number, role: number) => boolean | void): void {
    if (x < this.csrIdentCount) {
      for (let p = this.csrOffset[x]!, end = this.csrOffset[x + 1]!; p < end; p++) {
        const a = this.csrApps[p]!;
        if (a >= before) return; // ascending, and every append-list app is newer still
        if (fn(a, this.csrRoles[p]!) === false) return;
      }
    }
    for (let e = this.tailHead[x]!; e >= 0; e = this.edgeNext[e]!) {
      const a = this.edgeApp[e]!;
      if (a >= before) continue;
      if (fn(a, this.edgeRole[e]!) === false) return;
    }
  }

  /** Applications linked to identifier x among those with index < before, counting no further than cap. */
  degreeBefore(x: number, before: number, cap: number): number {
    if (before >= this.appCount) return Math.min(this.identDegree[x]!, cap);
    let n = 0;
    this.forEachApp(x, before, () => ++n < cap);
    return n;
  }

}
