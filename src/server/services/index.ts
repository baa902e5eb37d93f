// Wires the services in one place. Each receives only the store and settings it uses.
import type { Config } from '../../config.ts';
import type { KeyRing } from '../../kernel/crypto.ts';
import type { Store } from '../../store/database.ts';
import type { ServiceMetrics } from '../metrics.ts';
import { createAccessService, type AccessService } from './access.ts';
import { createDecisionService, type DecisionService } from './decisions.ts';
import { createFlowRegistry, type FlowRegistry } from './flow-registry.ts';
import { createGovernanceService, type GovernanceService } from './governance.ts';
import { emptyWatchlists, type WatchlistLookup } from './watchlists.ts';

export interface Services {
  store: Store;
  keyRing: KeyRing;
  metrics: ServiceMetrics;
  access: AccessService;
  flows: FlowRegistry;
  governance: GovernanceService;
  decisions: DecisionService;
}

export interface ServiceOptions {
  /** Answers inWatchlist() in flows (the anti-fraud capability's lookup); default: no lists loaded. */
  watchlists?: WatchlistLookup;
  warn?: (msg: string) => void;
}

export function createServices(config: Config, store: Store, keyRing: KeyRing, metrics: ServiceMetrics, options: ServiceOptions = {}): Services {
  const access = createAccessService(store);
  const flows = createFlowRegistry(store, { activeTtlMs: config.flowCacheTtlMs });
  const governance = createGovernanceService(store, [flows.kind]);
  governance.onEvent((e) => {
    if (e.kind === 'flow') flows.invalidate(e.objectId);
  });
  const decisions = createDecisionService(store, {
    registry: flows,
    keyRing,
    metrics,
    commitDelayMs: config.commitDelayMs,
    commitBatchMax: config.commitBatchMax,
    storeTrace: config.storeTrace,
    watchlists: options.watchlists ?? emptyWatchlists(options.warn ?? (() => undefined)),
  });
  return { store, keyRing, metrics, access, flows, governance, decisions };
}
