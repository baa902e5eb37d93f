// What the decision path adds around a flow: before it runs, the velocity, external-source and identity-graph values
// the flow needs (per its lineage); after its record committed, the application as a velocity event, as a node of the
// identity graph, and an investigation case when it went to review or hit a watchlist.
//
// The plan of a compiled flow is worked out once and cached with it, so a flow that needs none of this (the reference
// policy) costs one WeakMap lookup per decision.
import type { CompiledFlow, InputField } from '../../engine/index.ts';
import { statusFromDecision, type ApplicationIdentifiers } from '../../fraud/application-identifiers.ts';
import type { FraudService } from '../../fraud/fraud-service.ts';
import { toFlowVariables } from '../../fraud/graph-variables.ts';
import { externalSourcesNeeded, variablesNeeded, type FlowVersionDependencies, type ResolveFlowDependencies } from '../../variables/lineage.ts';
import type { SourceOutcome } from '../../variables/external-source.ts';
import type { VelocityEvent } from '../../variables/velocity-event.ts';
import type { VelocityInTransaction } from '../../variables/velocity-store.ts';
import type { VariablesRuntime } from '../../variables/variables-runtime.ts';
import { OUTCOME_FIELD } from '../../variables/variables-service.ts';

export interface EnrichmentPlan {
  /** Velocity variables the flow reads (directly or through catalog variables). */
  velocity: string[];
  /** External sources to call, once each, in parallel. */
  sources: string[];
  /** Flow inputs declared `source: graph` that the graph variables provide (`graphClusterSize`, ...). */
  graph: string[];
  /** The decided application becomes a velocity event (the flow counts applications). */
  recordVelocity: boolean;
  /** The decided application joins the identity graph, and review outcomes / watchlist hits open cases. */
  fraud: boolean;
  /** Nothing to do before or after. */
  empty: boolean;
  /**
   * The flow's inputs the caller sends (those the service fills left out), checked before any external source is
   * called, so a malformed application is refused without paying for a bureau report. Null when the flow calls none.
   */
  callerInputs: Record<string, InputField> | null;
  /**
   * Inputs the service fills. A value the caller sent for one never reaches the flow, also when the service has none
   * (a source with no data for this person): the flow then sees the field absent, as it would without the caller's.
   */
  filled: string[];
}

export interface Enrichment {
  /** Values the flow sees on top of the application; they win over the caller's (a caller cannot vouch for counts). */
  values: Record<string, unknown>;
  sources: SourceOutcome[];
  /**
   * Ends the reservation that makes this application count in the velocity reads of decisions running beside it
   * (see VelocityStore.reserve). Call it right after its event is counted (the commit), or when the decision fails;
   * calling it again does nothing. Null when nothing was reserved.
   */
  release: (() => void) | null;
}

export interface DecidedApplication {
  decisionId: string;
  flow: string;
  time: number;
  outcome: string;
  reasons: readonly string[];
  /** Who asked for the decision; cases it opens name them. */
  actor: { userId: string; keyId: string };
}

export interface DecisionEnrichment {
  plan(compiled: CompiledFlow, flowId: string, version: string): EnrichmentPlan;
  enrich(plan: EnrichmentPlan, application: Record<string, unknown>, decision: { id: string; time: number }): Promise<Enrichment>;
  /**
   * When the velocity store keeps its events in the service's database (embedded), the decided application's event
   * is written in the transaction that records the decision (`velocityInTransaction`) and counted once it committed,
   * before the answer; `afterCommit` then leaves velocity alone. Null when the plan records no event or the store
   * is elsewhere (Redis: `afterCommit` ingests it).
   */
  velocityEvent(plan: EnrichmentPlan, application: Record<string, unknown>, decision: { id: string; time: number; outcome: string }): VelocityEvent | null;
  readonly velocityInTransaction: VelocityInTransaction | null;
  /**
   * After the record committed. Resolves once the next decision will see this one (velocity counted, application in
   * the graph); writing the graph row and opening a case go on in the background (see `drain`), because the decision
   * record they derive from is already durable and `catchUp` redoes them after a crash. Never throws: the decision
   * stands; a failure is reported through `warn`.
   */
  afterCommit(plan: EnrichmentPlan, application: Record<string, unknown>, decided: DecidedApplication): Promise<void>;
  /** Resolves when every background write started so far has settled (graceful shutdown, tests). */
  drain(): Promise<void>;
  /** Where a catch-up must start (epoch ms): the latest decision the graph holds, or null when it holds none. */
  catchUpFrom(): number | null;
  /**
   * Redoes what `afterCommit` would have done for a recorded decision whose follow-ups may be missing (the process
   * died between its commit and theirs): the graph skips applications it holds, and a case opens only when none holds
   * the application. Returns what it had to redo.
   */
  catchUp(plan: EnrichmentPlan, application: Record<string, unknown>, decided: DecidedApplication, watchlistHit: boolean): Promise<{ graph: boolean; cases: number }>;
}

const EMPTY_PLAN: EnrichmentPlan = Object.freeze({ velocity: [], sources: [], graph: [], recordVelocity: false, fraud: false, empty: true, callerInputs: null, filled: [] }) as EnrichmentPlan;
const GRAPH_VARIABLE_NAMES = new Set(Object.keys(toFlowVariables({
  clusterSize: 1, clusterSizeCapped: false, distinctIdNumbersOnDevice: 0, distinctIdNumbersOnPhone: 0, twoHopApplications: 0, twoHopDeclined: 0,
  twoHopInvestigating: 0, twoHopConfirmedFraud: 0, oldestLinkAgeDays: null, hubIdentifiers: 0,
  shared: { phone: 0, deviceId: 0, ip: 0, idNumber: 0, bankCard: 0, email: 0, address: 0, employer: 0, contactPhones: 0 },
})));

/** The application fields the identity graph links by (identifiersOf). */
const IDENTIFIER_FIELDS = new Set(['phone', 'deviceId', 'ip', 'idNumber', 'bankCard', 'email', 'address', 'employer', 'contactPhones']);

const text = (v: unknown): string | null => (typeof v === 'string' && v !== '' ? v : typeof v === 'number' ? String(v) : null);

/** The identifier fields of an application, read from its top level (the names the graph uses). */
export function identifiersOf(application: Record<string, unknown>): ApplicationIdentifiers {
  const contacts = application.contactPhones;
  return {
    phone: text(application.phone),
    deviceId: text(application.deviceId),
    ip: text(application.ip),
    idNumber: text(application.idNumber),
    bankCard: text(application.bankCard),
    email: text(application.email),
    address: text(application.address),
    employer: text(application.employer),
    contactPhones: Array.isArray(contacts) ? contacts.filter((c): c is string => typeof c === 'string' && c !== '') : null,
  };
}

export function createDecisionEnrichment(deps: {
  variables?: VariablesRuntime | undefined;
  fraud?: FraudService | undefined;
  /** Sub-flows' dependencies, for lineage through sub-flow nodes. */
  resolve?: ResolveFlowDependencies;
  warn: (msg: string) => void;
}): DecisionEnrichment {
  const plans = new WeakMap<CompiledFlow, EnrichmentPlan>();
  const { variables, fraud } = deps;
  const pending = new Set<Promise<void>>();
  const velocityInTransaction = variables?.velocity.inTransaction ?? null;

  function computePlan(compiled: CompiledFlow, flowId: string, version: string): EnrichmentPlan {
    // The service fills only the inputs the flow asks it to (declared `source: velocity | external | graph`) and
    // reads: an input without a source is the caller's to send, even when the catalog knows a variable of that name.
    const read = new Set(compiled.dependencies.inputs);
    const declared = (source: string) => new Set(Object.entries(compiled.definition.inputs ?? {}).filter(([name, f]) => f.source === source && read.has(name)).map(([name]) => name));
    const [velocityInputs, externalInputs, graphInputs] = [declared('velocity'), declared('external'), declared('graph')];
    const flow: FlowVersionDependencies = { flow: flowId, version, dependencies: compiled.dependencies };
    const needed = variables ? variablesNeeded(flow, variables.config.catalog, deps.resolve) : [];
    const velocity = needed.filter((v) => v.source === 'velocity' && velocityInputs.has(v.name)).map((v) => v.name);
    const externalNeeded = new Set(needed.filter((v) => v.source === 'external' && externalInputs.has(v.name)).map((v) => v.name));
    const sources = variables ? externalSourcesNeeded(flow, variables.config.catalog, deps.resolve).filter((source) => [...externalNeeded].some((n) => variables.config.catalog.get(n)?.externalSource === source)) : [];
    const graph = fraud ? [...graphInputs].filter((name) => GRAPH_VARIABLE_NAMES.has(name)) : [];
    const unfilled = [
      ...[...velocityInputs].filter((n) => !velocity.includes(n)),
      ...[...externalInputs].filter((n) => !externalNeeded.has(n)),
      ...[...graphInputs].filter((n) => !graph.includes(n)),
    ];
    if (unfilled.length) deps.warn(`flow ${flowId}@${version}: inputs ${unfilled.join(', ')} name no velocity, external or graph variable this service provides; callers must send them`);
    // Every decided application that carries identifiers joins the identity graph (and a review opens a case), also
    // when this flow reads no graph variable: the next flow that does must see it.
    const declaresIdentifiers = Object.keys(compiled.definition.inputs ?? {}).some((name) => IDENTIFIER_FIELDS.has(name));
    const usesFraud = fraud !== undefined && (graph.length > 0 || compiled.dependencies.watchlists.length > 0 || declaresIdentifiers);
    const recordVelocity = variables !== undefined && (velocity.length > 0 || usesFraud);
    if (!velocity.length && !sources.length && !graph.length && !usesFraud && !recordVelocity) return EMPTY_PLAN;
    const filled = [...velocity, ...externalNeeded, ...graph];
    const callerInputs = sources.length ? Object.fromEntries(Object.entries(compiled.definition.inputs ?? {}).filter(([name]) => !filled.includes(name))) : null;
    return { velocity, sources, graph, recordVelocity, fraud: usesFraud, empty: false, callerInputs, filled };
  }

  const enrichment: DecisionEnrichment = {
    velocityInTransaction,

    velocityEvent(plan, application, decision) {
      if (!plan.recordVelocity || !variables || !velocityInTransaction) return null;
      return variables.service.decisionEvent(application, decision);
    },

    plan(compiled, flowId, version) {
      let plan = plans.get(compiled);
      if (!plan) plans.set(compiled, (plan = computePlan(compiled, flowId, version)));
      return plan;
    },

    async enrich(plan, application, decision) {
      const store = variables?.velocity;
      const event = variables && (plan.velocity.length || plan.recordVelocity) ? variables.service.toEvent(decision.id, 'application', decision.time, application) : null;
      // A decision that will record its application reserves it as it reads: whoever reads after counts it, whoever
      // read before did not. Its outcome is not known yet, so definitions filtering on it wait for the commit.
      const reserving = plan.recordVelocity && store?.readAndReserve ? store.readAndReserve(event!, plan.velocity, [OUTCOME_FIELD]) : null;
      const reading = reserving ?? (plan.velocity.length && store ? store.read(event!, plan.velocity).then((values) => ({ values, release: null })) : Promise.resolve({ values: {}, release: null }));
      const fetching = plan.sources.length && variables ? variables.sources.fetchForDecision(plan.sources, application) : Promise.resolve({ values: {}, outcomes: [] as SourceOutcome[] });
      let read: { values: Record<string, unknown>; release: (() => void) | null };
      let external: Awaited<typeof fetching>;
      try {
        [read, external] = await Promise.all([reading, fetching]);
      } catch (err) {
        // The reservation must not outlive a decision that goes no further.
        (await reading.catch(() => null))?.release?.();
        throw err;
      }
      const velocity = read.values;
      const release = read.release;
      const values: Record<string, unknown> = {};
      // A source's null means "no such data": the flow sees the variable absent (has() is false), not null.
      for (const [k, v] of Object.entries({ ...external.values, ...velocity })) if (v !== null && v !== undefined) values[k] = v;
      if (plan.graph.length && fraud) {
        const all = toFlowVariables(fraud.variablesFor(identifiersOf(application), decision.time));
        for (const name of plan.graph) values[name] = all[name];
      }
      return { values, sources: external.outcomes, release };
    },

    async afterCommit(plan, application, d) {
      const tasks: Promise<unknown>[] = [];
      if (plan.recordVelocity && variables && !velocityInTransaction) {
        tasks.push(variables.service.recordDecision(application, { id: d.decisionId, time: d.time, outcome: d.outcome }).catch((err: Error) => deps.warn(`velocity event of decision ${d.decisionId} not recorded: ${err.message}`)));
      }
      if (plan.fraud && fraud) {
        tasks.push((async () => {
          const identifiers = identifiersOf(application);
          const hits = fraud.watchlistHits(identifiers);
          const added = await fraud.addApplication({ applicationId: d.decisionId, appliedAt: d.time, status: statusFromDecision(d.outcome), identifiers });
          background(added.stored, `graph row of decision ${d.decisionId} not stored`);
          const opening = openCaseFor(d, hits.map((h) => h.list));
          if (opening) background(opening, `case for decision ${d.decisionId} not opened`);
        })().catch((err: Error) => deps.warn(`anti-fraud follow-up of decision ${d.decisionId} failed: ${err.message}`)));
      }
      await Promise.all(tasks);
    },

    async drain() {
      while (pending.size) await Promise.all([...pending]);
    },

    catchUpFrom() {
      return fraud ? fraud.latestApplicationTime() : null;
    },

    async catchUp(plan, application, d, watchlistHit) {
      let graph = false;
      let cases = 0;
      // Velocity needs no catch-up: its event commits with the decision (embedded store) or before the answer (Redis).
      if (plan.fraud && fraud) {
        if (!fraud.hasApplication(d.decisionId)) {
          await fraud.recordApplication({ applicationId: d.decisionId, appliedAt: d.time, status: statusFromDecision(d.outcome), identifiers: identifiersOf(application) });
          graph = true;
        }
        if ((watchlistHit || d.outcome === 'REVIEW') && !(await fraud.applicationsInCases([d.decisionId])).has(d.decisionId)) {
          // The lists as they stand now name the hit; the record only keeps that there was one.
          const lists = [...new Set(fraud.watchlistHits(identifiersOf(application)).map((h) => h.list))];
          await openCaseFor(d, watchlistHit ? (lists.length ? lists : ['(recorded hit)']) : []);
          cases++;
        }
      }
      return { graph, cases };
    },
  };
  return enrichment;

  /** A case for a watchlist hit, else for a review outcome; null when the decision needs none. */
  function openCaseFor(d: DecidedApplication, lists: string[]): Promise<unknown> | null {
    if (!fraud) return null;
    const why = d.reasons.length ? ` (${d.reasons.join(', ')})` : '';
    if (lists.length) {
      const names = [...new Set(lists)];
      return fraud.openCase(d.actor, { source: 'watchlist_hit', sourceRef: names.join(','), priority: 'high', applicationIds: [d.decisionId], title: `Watchlist hit on ${names.join(', ')}: ${d.flow} decision ${d.decisionId} ${d.outcome}${why}` }, { behind: true });
    }
    if (d.outcome === 'REVIEW') {
      return fraud.openCase(d.actor, { source: 'review', sourceRef: d.decisionId, priority: 'medium', applicationIds: [d.decisionId], title: `Review: ${d.flow} decision ${d.decisionId}${why}` }, { behind: true });
    }
    return null;
  }

  function background(work: Promise<unknown>, failure: string): void {
    const tracked: Promise<void> = work.then(
      () => undefined,
      (err: Error) => deps.warn(`${failure}: ${err.message}`),
    ).finally(() => pending.delete(tracked));
    pending.add(tracked);
  }
}
