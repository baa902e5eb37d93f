// The service-level face of variables: catalog queries and lineage for the API and CLI, and the two calls of the
// decision path -- `enrich` before a flow runs (velocity reads and external fetches, in parallel, only what the flow
// needs per lineage) and `recordDecision` after it (the application becomes a velocity event).

import { createHmac } from 'node:crypto';
import { MingjianError } from '../kernel/errors.ts';
import type { CatalogVariable, VariableCatalog, VariableSourceKind } from './catalog.ts';
import type { ExternalSources, SourceOutcome } from './external-source.ts';
import { externalSourcesNeeded, unusedVariables, variableUsage, variablesNeeded, type FlowVersionDependencies, type NeededVariable, type ResolveFlowDependencies, type VariableUsage } from './lineage.ts';
import { distinctKeyOf, type CompiledVelocity, type VelocityValue } from './velocity-definition.ts';
import { readPath, validateVelocityEvents, type VelocityEvent } from './velocity-event.ts';
import type { VelocityStore } from './velocity-store.ts';

/** The field of a decided application's velocity event that holds its outcome (APPROVE, DECLINE, REVIEW). */
export const OUTCOME_FIELD = 'decision';

export interface VariablesServiceDeps {
  catalog: VariableCatalog;
  velocityDefinitions: readonly CompiledVelocity[];
  velocity: VelocityStore | null;
  sources: ExternalSources | null;
  /**
   * Event fields holding personal data (ID number, phone, name, email, bank card): replaced by a keyed hash before
   * any store sees them. Velocity only needs equality on them, so counts and distinct counts are unchanged.
   */
  personalFields: readonly string[];
  /** Secret of the keyed hash (32 bytes or more). */
  hashKey: Buffer;
  now: () => number;
  /** Events further in the future than this are refused (a bad clock would otherwise expire everyone's counts). */
  maxFutureMs?: number;
}

export interface EnrichResult {
  /** Velocity and external values to give the flow; the decision record keeps them so replay calls nothing again. */
  values: Record<string, unknown>;
  velocity: Record<string, VelocityValue>;
  external: SourceOutcome[];
}

function setPath(target: Record<string, unknown>, path: readonly string[], value: unknown): void {
  let cur = target;
  for (let i = 0; i < path.length - 1; i++) {
    const next = cur[path[i]!];
    if (next === null || typeof next !== 'object' || Array.isArray(next)) cur[path[i]!] = {};
    cur = cur[path[i]!] as Record<string, unknown>;
  }
  cur[path[path.length - 1]!] = value;
}

export class VariablesService {
  private readonly referencedPaths: string[][];
  private readonly personal: Set<string>;

  constructor(private readonly deps: VariablesServiceDeps) {
    if (deps.hashKey.length < 32) throw new MingjianError('VALIDATION', 'the velocity hash key must be at least 32 bytes', [{ path: 'hashKey', message: 'too short' }]);
    // Events keep only the fields some definition reads: nothing else of the application is stored.
    const paths = new Set<string>();
    for (const d of deps.velocityDefinitions) {
      paths.add(d.definition.groupBy);
      if (d.definition.field) paths.add(d.definition.field);
      for (const c of d.definition.where ?? []) paths.add(c.field);
    }
    this.referencedPaths = [...paths].sort().map((p) => p.split('.'));
    this.personal = new Set(deps.personalFields);
    for (const d of deps.velocityDefinitions) {
      for (const c of d.definition.where ?? []) {
        if (this.personal.has(c.field) && c.op !== 'exists' && c.op !== 'missing') {
          throw new MingjianError('VALIDATION', `velocity '${d.name}' compares personal field '${c.field}', which is stored hashed`, [{ path: `velocity.${d.name}.where`, message: `only exists/missing may test personal field '${c.field}'` }]);
        }
      }
    }
  }

  // ------------------------------------------------------------------ catalog and lineage

  list(filter: { source?: VariableSourceKind; tag?: string; owner?: string } = {}): CatalogVariable[] {
    return [...this.deps.catalog.variables.values()].filter(
      (v) => (!filter.source || v.source === filter.source) && (!filter.tag || (v.tags ?? []).includes(filter.tag)) && (!filter.owner || v.owner === filter.owner),
    );
  }

  get(name: string): CatalogVariable {
    const v = this.deps.catalog.get(name);
    if (!v) throw new MingjianError('NOT_FOUND', `no variable '${name}' in the catalog`);
    return v;
  }

  usage(name: string, flows: readonly FlowVersionDependencies[], resolve?: ResolveFlowDependencies): VariableUsage[] {
    this.get(name);
    return variableUsage(name, flows, this.deps.catalog, resolve);
  }

  unused(flows: readonly FlowVersionDependencies[], resolve?: ResolveFlowDependencies): CatalogVariable[] {
    return unusedVariables(flows, this.deps.catalog, resolve);
  }

  needed(flow: FlowVersionDependencies, resolve?: ResolveFlowDependencies): NeededVariable[] {
    return variablesNeeded(flow, this.deps.catalog, resolve);
  }

  // ------------------------------------------------------------------ events

  /** The velocity event of an application: only the fields definitions read, personal ones keyed-hashed. */
  toEvent(id: string, type: string, time: number, fields: Record<string, unknown>): VelocityEvent {
    const projected: Record<string, unknown> = {};
    for (const path of this.referencedPaths) {
      const v = readPath(fields, path);
      if (v === undefined) continue;
      setPath(projected, path, this.personal.has(path.join('.')) ? this.pseudonym(v) : v);
    }
    return { id, type, time, fields: projected };
  }

  private pseudonym(v: unknown): unknown {
    const key = distinctKeyOf(v);
    if (key === undefined) return null;
    return createHmac('sha256', this.deps.hashKey).update(key).digest('base64url').slice(0, 22);
  }

  /** Events from `POST /v1/events` (login, repayment, password reset, ...). Returns how many were new. */
  async ingestEvents(raw: unknown): Promise<{ received: number; recorded: number }> {
    const events = validateVelocityEvents(raw);
    const limit = this.deps.now() + (this.deps.maxFutureMs ?? 300_000);
    const future = events.map((e, i) => ({ e, i })).filter(({ e }) => e.time > limit);
    if (future.length) {
      throw new MingjianError('VALIDATION', 'events from the future', future.map(({ i }) => ({ path: `events[${i}].time`, message: 'is more than 5 minutes ahead of the server clock' })));
    }
    const recorded = this.deps.velocity ? await this.deps.velocity.ingest(events.map((e) => this.toEvent(e.id, e.type, e.time, e.fields))) : 0;
    return { received: events.length, recorded };
  }

  // ------------------------------------------------------------------ the decision path

  /**
   * Before a flow runs: reads the velocity variables and fetches the external sources the flow needs (per lineage),
   * all in parallel, once per decision. `decisionId` and `time` identify the application as an event.
   */
  async enrich(flow: FlowVersionDependencies, application: Record<string, unknown>, decision: { id: string; time: number }, resolve?: ResolveFlowDependencies): Promise<EnrichResult> {
    const needed = variablesNeeded(flow, this.deps.catalog, resolve);
    const velocityNames = needed.filter((v) => v.source === 'velocity').map((v) => v.name);
    const sourceNames = externalSourcesNeeded(flow, this.deps.catalog, resolve);
    const [velocity, external] = await Promise.all([
      velocityNames.length && this.deps.velocity ? this.deps.velocity.read(this.toEvent(decision.id, 'application', decision.time, application), velocityNames) : Promise.resolve({}),
      sourceNames.length && this.deps.sources ? this.deps.sources.fetchForDecision(sourceNames, application) : Promise.resolve({ values: {}, outcomes: [] }),
    ]);
    // A null from a source means "no such data": the flow sees the variable absent (has() is false), not null.
    const values: Record<string, unknown> = {};
    for (const [k, v] of Object.entries({ ...external.values, ...velocity })) if (v !== null && v !== undefined) values[k] = v;
    return { values, velocity, external: external.outcomes };
  }

  /** The velocity event of a decided application: its fields plus its outcome as field `decision` (OUTCOME_FIELD). */
  decisionEvent(application: Record<string, unknown>, decision: { id: string; time: number; outcome: string }): VelocityEvent {
    return this.toEvent(decision.id, 'application', decision.time, { ...application, [OUTCOME_FIELD]: decision.outcome });
  }

  /** After the decision: the application becomes a velocity event (stores that cannot write it in the decision's transaction). */
  async recordDecision(application: Record<string, unknown>, decision: { id: string; time: number; outcome: string }): Promise<void> {
    if (!this.deps.velocity) return;
    await this.deps.velocity.ingest([this.decisionEvent(application, decision)]);
  }
}
