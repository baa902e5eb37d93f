// Lineage both ways over the engine's `compiled.dependencies`: which flows, versions and nodes use a variable, and
// which catalog variables a flow needs (transitively, through derived ones and sub-flows). Pure functions.

import type { FlowDependencies } from '../engine/types.ts';
import type { CatalogVariable, VariableCatalog, VariableSourceKind } from './catalog.ts';

export interface FlowVersionDependencies {
  flow: string;
  version: string | number;
  dependencies: FlowDependencies;
}

/** Finds a sub-flow's dependencies (a given version, or the active one when `version` is absent). */
export type ResolveFlowDependencies = (flow: string, version?: string | number) => FlowVersionDependencies | undefined;

export interface NeededVariable {
  name: string;
  source: VariableSourceKind;
  /** Read by name in the flow itself (or a sub-flow), not only through another variable. */
  direct: boolean;
  /** Directly read variables through which this one is needed (empty when only direct). */
  via: string[];
  /** Nodes reading it directly, as `flow@version/node` when read in a sub-flow, else the node id. */
  nodes: string[];
}

/** A name read by a flow refers to the catalog variable of that name, or of its first segment (`bureau.score`). */
function catalogNameOf(read: string, catalog: VariableCatalog): string | undefined {
  if (catalog.variables.has(read)) return read;
  const head = read.split('.')[0]!;
  return catalog.variables.has(head) ? head : undefined;
}

/** The catalog variables a flow reads by name, with the nodes reading each, following sub-flows. */
function directReads(flow: FlowVersionDependencies, catalog: VariableCatalog, resolve: ResolveFlowDependencies | undefined): Map<string, Set<string>> {
  const reads = new Map<string, Set<string>>();
  const seenFlows = new Set<string>();
  const walk = (f: FlowVersionDependencies, nodePrefix: string) => {
    const id = `${f.flow}@${f.version}`;
    if (seenFlows.has(id)) return;
    seenFlows.add(id);
    const note = (name: string, node: string | undefined) => {
      const set = reads.get(name) ?? new Set<string>();
      if (node !== undefined) set.add(nodePrefix + node);
      reads.set(name, set);
    };
    for (const [node, names] of Object.entries(f.dependencies.byNode)) {
      for (const read of names) {
        const name = catalogNameOf(read, catalog);
        if (name) note(name, node);
      }
    }
    for (const read of [...f.dependencies.inputs, ...f.dependencies.variables]) {
      const name = catalogNameOf(read, catalog);
      if (name) note(name, undefined);
    }
    for (const sub of f.dependencies.subflows) {
      const resolved = resolve?.(sub.flow, sub.version);
      if (resolved) walk(resolved, `${resolved.flow}@${resolved.version}/`);
    }
  };
  walk(flow, '');
  return reads;
}

/** What a variable is computed from: its `dependsOn`, and for a velocity variable the catalog fields its events use. */
export function dependenciesOf(v: CatalogVariable, catalog: VariableCatalog): string[] {
  const deps = new Set(v.dependsOn ?? []);
  if (v.velocity) {
    const fields = [v.velocity.groupBy, v.velocity.field, ...(v.velocity.where ?? []).map((c) => c.field)];
    for (const f of fields) {
      const name = f ? catalogNameOf(f, catalog) : undefined;
      if (name && name !== v.name) deps.add(name);
    }
  }
  return [...deps];
}

/** Every catalog variable the flow needs: read by name, or needed by one that is (through `dependsOn`). */
export function variablesNeeded(flow: FlowVersionDependencies, catalog: VariableCatalog, resolve?: ResolveFlowDependencies): NeededVariable[] {
  const reads = directReads(flow, catalog, resolve);
  const needed = new Map<string, NeededVariable>();
  const entry = (v: CatalogVariable) => {
    let e = needed.get(v.name);
    if (!e) {
      e = { name: v.name, source: v.source, direct: false, via: [], nodes: [] };
      needed.set(v.name, e);
    }
    return e;
  };
  for (const [name, nodes] of reads) {
    const e = entry(catalog.get(name)!);
    e.direct = true;
    e.nodes = [...nodes].sort();
    const stack = dependenciesOf(catalog.get(name)!, catalog);
    const seen = new Set<string>();
    while (stack.length) {
      const dep = stack.pop()!;
      if (seen.has(dep)) continue;
      seen.add(dep);
      const v = catalog.get(dep);
      if (!v) continue;
      const d = entry(v);
      if (!d.via.includes(name)) d.via.push(name);
      stack.push(...dependenciesOf(v, catalog));
    }
  }
  return [...needed.values()].map((e) => ({ ...e, via: e.via.sort() })).sort((a, b) => a.name.localeCompare(b.name));
}

/** Names of the external sources a flow needs (per lineage), so a decision fetches only those. */
export function externalSourcesNeeded(flow: FlowVersionDependencies, catalog: VariableCatalog, resolve?: ResolveFlowDependencies): string[] {
  const sources = new Set<string>();
  for (const v of variablesNeeded(flow, catalog, resolve)) {
    const src = catalog.get(v.name)?.externalSource;
    if (v.source === 'external' && src) sources.add(src);
  }
  return [...sources].sort();
}

export interface VariableUsage {
  flow: string;
  version: string | number;
  direct: boolean;
  via: string[];
  nodes: string[];
}

/** Which flows, versions and nodes use a variable, directly or through other variables. */
export function variableUsage(name: string, flows: readonly FlowVersionDependencies[], catalog: VariableCatalog, resolve?: ResolveFlowDependencies): VariableUsage[] {
  const out: VariableUsage[] = [];
  for (const f of flows) {
    const hit = variablesNeeded(f, catalog, resolve).find((v) => v.name === name);
    if (hit) out.push({ flow: f.flow, version: f.version, direct: hit.direct, via: hit.via, nodes: hit.nodes });
  }
  return out;
}

/** Catalog variables no given flow version needs, even indirectly. */
export function unusedVariables(flows: readonly FlowVersionDependencies[], catalog: VariableCatalog, resolve?: ResolveFlowDependencies): CatalogVariable[] {
  const used = new Set<string>();
  for (const f of flows) for (const v of variablesNeeded(f, catalog, resolve)) used.add(v.name);
  return [...catalog.variables.values()].filter((v) => !used.has(v.name));
}
