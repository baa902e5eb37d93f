// Wires the services in one place. Each receives only the store and settings it uses.
import type { Config } from '../../config.ts';
import type { KeyRing } from '../../kernel/crypto.ts';
import type { Store } from '../../store/database.ts';
import type { ServiceMetrics } from '../metrics.ts';
import type { FraudService } from '../../fraud/fraud-service.ts';
import type { VariablesRuntime } from '../../variables/variables-runtime.ts';
import { createDecisionEnrichment } from './decision-enrichment.ts';
import { createAccessService, type AccessService } from './access.ts';
import { createDecisionService, type DecisionService } from './decisions.ts';
import { createFlowRegistry, type FlowRegistry } from './flow-registry.ts';
import { createGovernanceService, type GovernanceService } from './governance.ts';
import { createFraudLinkAlerts } from './fraud-loan-alerts.ts';
import { createModelKind } from './models.ts';
import { createWatchlistChangeKind, createWatchlistChanges, emptyWatchlists, type WatchlistChanges, type WatchlistLookup } from './watchlists.ts';

export interface Services {
  store: Store;
  keyRing: KeyRing;
  metrics: ServiceMetrics;
  access: AccessService;
  flows: FlowRegistry;
  governance: GovernanceService;
  decisions: DecisionService;
  /** Velocity store, external sources and catalog of the decision path (one per process; routes/variables.ts uses it). */
  variables?: VariablesRuntime;
  /** Identity graph, rings, watchlists and cases (one per process; routes/fraud.ts uses it). */
  fraud?: FraudService;
  /** Governed watchlist change sets (with `fraud`; routes/fraud.ts proposes through it). */
  watchlistChanges?: WatchlistChanges;
}

export interface ServiceOptions {
  /** Answers inWatchlist() in flows (the anti-fraud capability's lookup); default: no lists loaded. */
  watchlists?: WatchlistLookup;
  /** Enrich decisions with velocity and external values, and record them as velocity events. */
  variables?: VariablesRuntime;
  /** Graph variables, watchlists (`inWatchlist()` when `watchlists` is not given), graph recording and cases. */
  fraud?: FraudService;
  warn?: (msg: string) => void;
}

export function createServices(config: Config, store: Store, keyRing: KeyRing, metrics: ServiceMetrics, options: ServiceOptions = {}): Services {
  const access = createAccessService(store);
  const flows = createFlowRegistry(store, { activeTtlMs: config.flowCacheTtlMs });
  const { variables, fraud } = options;
  const governance = createGovernanceService(store, [flows.kind, createModelKind(), ...(fraud ? [createWatchlistChangeKind(fraud)] : [])]);
  // Watchlists change only through governance; confirmed fraud alerts the loans booked from its applications.
  const watchlistChanges = fraud ? createWatchlistChanges(governance, fraud) : undefined;
  if (fraud) {
    const alertLoans = createFraudLinkAlerts(store);
    fraud.connect({ confirmedFraud: async (actor, event) => void (await alertLoans(actor, event)) });
  }
  governance.onEvent((e) => {
    if (e.kind === 'model') flows.invalidateModel(e.objectId);
    if (e.kind === 'flow') flows.invalidate(e.objectId);
  });
  const warn = options.warn ?? (() => undefined);
  const enrichment = variables || fraud
    ? createDecisionEnrichment({
      variables,
      fraud,
      resolve: (flow, version) => {
        const e = flows.resolveCached(flow, version === undefined ? undefined : String(version));
        return e ? { flow: e.flowId, version: e.version, dependencies: e.compiled.dependencies } : undefined;
      },
      warn,
    })
    : undefined;
  const decisions = createDecisionService(store, {
    registry: flows,
    keyRing,
    metrics,
    commitDelayMs: config.commitDelayMs,
    commitBatchMax: config.commitBatchMax,
    storeTrace: config.storeTrace,
    // The fraud service swaps its index when lists change: ask it each time rather than keep the current one.
    watchlists: options.watchlists ?? (fraud ? { has: (list, value) => fraud.watchlists.has(list, value) } : emptyWatchlists(warn)),
    ...(enrichment ? { enrichment } : {}),
  });
  return { store, keyRing, metrics, access, flows, governance, decisions, ...(variables ? { variables } : {}), ...(fraud ? { fraud } : {}), ...(watchlistChanges ? { watchlistChanges } : {}) };
}
