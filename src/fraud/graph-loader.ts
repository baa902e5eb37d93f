// Builds an identity graph from application records (a generator, a file stream, rows from the database).
import { HashedIdentifiers, IdentifierHasher, statusCode } from './application-identifiers.ts';
import type { ApplicationRecord } from './application-record.ts';
import { IdentityGraph, type GraphSizing } from './identity-graph.ts';

export interface GraphBuilder {
  graph: IdentityGraph;
  add(record: ApplicationRecord, appliedAtMs?: number): number;
}

export function graphBuilder(key: Uint8Array, sizing: GraphSizing = {}): GraphBuilder {
  const graph = new IdentityGraph(sizing);
  const hasher = new IdentifierHasher(key);
  const scratch = new HashedIdentifiers();
  return {
    graph,
    add(record, appliedAtMs = Date.parse(record.appliedAt)) {
      hasher.hashApplication(record, scratch);
      return graph.addApplication(record.applicationId, appliedAtMs, statusCode(record.status), scratch);
    },
  };
}

/** Bulk build: every record appended, then the CSR compacted once. */
export function buildGraph(records: Iterable<ApplicationRecord>, key: Uint8Array, sizing: GraphSizing = {}): IdentityGraph {
  const b = graphBuilder(key, sizing);
  for (const r of records) b.add(r);
  b.graph.compact();
  return b.graph;
}
