// Reading around one node of the identity graph: the neighbourhood of an application up to N hops (for the graph
// view and for case evidence snapshots) and backtracking from an application or an identifier to everything it
// touched, with dates. Identifiers are shown by kind and hash, never by value.
import type { IdentityGraph } from './identity-graph.ts';
import { KINDS, ROLES } from './identifiers.ts';
import { STATUSES } from './application-identifiers.ts';

export interface NeighbourhoodOptions {
  /** Application hops (application -> identifier -> application is one hop). Default 2, at most 4. */
  hops?: number;
  /** Most applications returned; the walk stops there and says so. Default 500. */
  maxApplications?: number;
  /** Identifiers on more applications are shown but not walked through. Default 100. */
  hubThreshold?: number;
}

export interface GraphNeighbourhood {
  root: string;
  applications: { id: string; appliedAt: string; status: string; hop: number }[];
  identifiers: { key: string; kind: string; applications: number; hub: boolean }[];
  links: { application: string; identifier: string; role: string }[];
  truncated: boolean;
}

export function neighbourhood(graph: IdentityGraph, applicationId: string, opts: NeighbourhoodOptions = {}): GraphNeighbourhood | null {
  const root = graph.indexOf(applicationId);
  if (root < 0) return null;
  const hops = Math.max(0, Math.min(4, opts.hops ?? 2));
  const max = opts.maxApplications ?? 500;
  const hub = opts.hubThreshold ?? 100;
  const appHop = new Map<number, number>([[root, 0]]);
  const idents = new Map<number, boolean>();
  const links: GraphNeighbourhood['links'] = [];
  let frontier = [root];
  let truncated = false;
  for (let hop = 0; hop <= hops && frontier.length; hop++) {
    const next: number[] = [];
    for (const a of frontier) {
      for (let e = graph.appEdgeStart[a]!, end = graph.appEdgeStart[a + 1]!; e < end; e++) {
        const x = graph.edgeIdent[e]!;
        const key = graph.identifiers.keyHex(x);
        links.push({ application: graph.appIds[a]!, identifier: key, role: ROLES[graph.edgeRole[e]!]! });
        if (idents.has(x) || hop === hops) { if (!idents.has(x)) idents.set(x, graph.identDegree[x]! > hub); continue; }
        const isHub = graph.identDegree[x]! > hub;
        idents.set(x, isHub);
        if (isHub) continue;
        graph.forEachApp(x, graph.appCount, (b) => {
          if (appHop.has(b)) return true;
          if (appHop.size >= max) { truncated = true; return false; }
          appHop.set(b, hop + 1);
          next.push(b);
          return true;
        });
      }
    }
    frontier = next;
  }
  return {
    root: applicationId,
    applications: [...appHop].map(([a, hop]) => ({ id: graph.appIds[a]!, appliedAt: new Date(graph.appliedAt[a]!).toISOString(), status: STATUSES[graph.status[a]!]!, hop })),
    identifiers: [...idents].map(([x, isHub]) => ({ key: graph.identifiers.keyHex(x), kind: KINDS[graph.identifiers.kind[x]!]!, applications: graph.identDegree[x]!, hub: isHub })),
    links,
    truncated,
  };
}

export interface TouchedApplication {
  applicationId: string;
  appliedAt: string;
  status: string;
  /** How it is reached: the role the identifier plays on it. */
  via: { identifier: string; kind: string; role: string }[];
}

export interface Backtrack {
  from: { type: 'application' | 'identifier'; ref: string };
  /** Applications touched, oldest first. */
  applications: TouchedApplication[];
  firstSeen: string | null;
  lastSeen: string | null;
  truncated: boolean;
}

/** Everything an application touched: the applications sharing any of its identifiers (hubs included, capped). */
export function backtrackApplication(graph: IdentityGraph, applicationId: string, limit = 1000): Backtrack | null {
  const a = graph.indexOf(applicationId);
  if (a < 0) return null;
  const idents: number[] = [];
  for (let e = graph.appEdgeStart[a]!, end = graph.appEdgeStart[a + 1]!; e < end; e++) idents.push(graph.edgeIdent[e]!);
  return collect(graph, { type: 'application', ref: applicationId }, idents, limit);
}

/** Everything an identifier touched. The caller hashes the value (the identifier id comes from the table). */
export function backtrackIdentifier(graph: IdentityGraph, hi: number, lo: number, limit = 1000): Backtrack | null {
  const x = graph.identifiers.find(hi, lo);
  if (x < 0) return null;
  return collect(graph, { type: 'identifier', ref: graph.identifiers.keyHex(x) }, [x], limit);
}

function collect(graph: IdentityGraph, from: Backtrack['from'], idents: number[], limit: number): Backtrack {
  const touched = new Map<number, TouchedApplication>();
  let truncated = false;
  for (const x of idents) {
    const key = graph.identifiers.keyHex(x), kind = KINDS[graph.identifiers.kind[x]!]!;
    graph.forEachApp(x, graph.appCount, (b, role) => {
      let t = touched.get(b);
      if (!t) {
        if (touched.size >= limit) { truncated = true; return false; }
        t = { applicationId: graph.appIds[b]!, appliedAt: new Date(graph.appliedAt[b]!).toISOString(), status: STATUSES[graph.status[b]!]!, via: [] };
        touched.set(b, t);
      }
      t.via.push({ identifier: key, kind, role: ROLES[role]! });
      return true;
    });
  }
  const applications = [...touched.values()].sort((p, q) => (p.appliedAt < q.appliedAt ? -1 : p.appliedAt > q.appliedAt ? 1 : 0));
  return { from, applications, firstSeen: applications[0]?.appliedAt ?? null, lastSeen: applications.at(-1)?.appliedAt ?? null, truncated };
}
