// Compiled flows by (id, version), the "active version" pointer per flow, and the `flow` governed kind.
// Compiling happens once per version per process; the active pointer is re-read after FLOW_CACHE_TTL_MS so other
// processes' activations are seen, and at once for activations made in this process.
import { LRUCache } from 'lru-cache';
import { compileFlow, parseFlowSource, type CompiledFlow, type FlowDefinition, type SourceMap } from '../../engine/index.ts';
import { MingjianError, type ErrorDetail } from '../../kernel/errors.ts';
import type { Store } from '../../store/database.ts';
import * as gov from '../../store/governance-store.ts';
import { declaredIdentity, withDeclaredVersion, type GovernedKind, type ParsedObject } from './governance.ts';
import { expandModelSources } from './model-sources.ts';

export interface FlowEntry {
  flowId: string;
  /** The governance version label (decisions record it). */
  version: string;
  compiled: CompiledFlow;
}

export interface FlowRegistry {
  /** The flow's active version, or the given one. NOT_FOUND when either is missing. */
  resolve(flowId: string, version?: string): Promise<FlowEntry>;
  /** Compiled entry if it is already cached and fresh (the hot path avoids a promise). */
  resolveCached(flowId: string, version?: string): FlowEntry | undefined;
  invalidate(flowId: string): void;
  /** Drops compiled flows that follow this model's active version (called when a model version is activated). */
  invalidateModel(modelId: string): void;
  /** Every problem of a definition, resolving its sub-flows from the store. */
  check(definition: unknown, sourceMap?: SourceMap, file?: string): Promise<ErrorDetail[]>;
  readonly kind: GovernedKind;
}


export function createFlowRegistry(store: Pick<Store, 'db'>, options: { activeTtlMs: number }): FlowRegistry {
  const { db } = store;
  const compiled = new LRUCache<string, FlowEntry>({ max: 512, ttlAutopurge: false });
  const active = new Map<string, { version: string; expires: number }>();
  // Compiled entries that embed a model's active version, by cache key: recompiled when the model is activated.
  const modelFollowers = new Map<string, string[]>();
  const cacheKey = (id: string, version: string) => `${id}\u0000${version}`;

  async function loadVersion(flowId: string, version: string | undefined, depth: number): Promise<FlowEntry> {
    if (version === undefined) {
      const pointer = active.get(flowId);
      if (pointer && pointer.expires > Date.now()) {
        const hit = compiled.get(cacheKey(flowId, pointer.version));
        if (hit) return hit;
        version = pointer.version;
      } else {
        const v = await gov.findActiveVersion(db, 'flow', flowId);
        if (!v) throw new MingjianError('NOT_FOUND', `flow '${flowId}' not found or has no active version`);
        active.set(flowId, { version: v.version, expires: Date.now() + options.activeTtlMs });
        version = v.version;
      }
    }
    const hit = compiled.get(cacheKey(flowId, version));
    if (hit) return hit;
    const record = await gov.findVersion(db, 'flow', flowId, version);
    if (!record) throw new MingjianError('NOT_FOUND', `flow '${flowId}' has no version '${version}'`);
    const expanded = await expandModelSources(db, record.body as FlowDefinition);
    const definition = expanded.definition;
    await preloadSubflows(definition, depth);
    const entry: FlowEntry = { flowId, version, compiled: compileFlow(definition, { resolveFlow: resolveLoaded }) };
    // A flow that calls another flow's (or model's) *active* version embeds the version active now; it is recompiled
    // after the TTL so activations made by other processes reach it (this process invalidates at once, see invalidate()).
    const followsActive = expanded.followsActive.length > 0 || entry.compiled.dependencies.subflows.some((d) => d.version === undefined);
    compiled.set(cacheKey(flowId, version), entry, followsActive && options.activeTtlMs > 0 ? { ttl: options.activeTtlMs } : {});
    if (expanded.followsActive.length) modelFollowers.set(cacheKey(flowId, version), expanded.followsActive);
    else modelFollowers.delete(cacheKey(flowId, version));
    return entry;
  }

  // compileFlow resolves sub-flows synchronously, so they are loaded (and compiled) before it runs.
  async function preloadSubflows(definition: FlowDefinition, depth: number): Promise<void> {
    if (depth > 8) throw new MingjianError('FLOW_INVALID', `sub-flows nest deeper than 8 levels (a cycle?) at flow '${definition.id}'`);
    for (const node of definition.nodes ?? []) {
      if (node.type !== 'subflow') continue;
      try {
        await loadVersion(node.flow, node.version === undefined ? undefined : String(node.version), depth + 1);
      } catch (err) {
        // An unresolved sub-flow is reported by compileFlow with its node and path.
        if (!(err instanceof MingjianError && err.code === 'NOT_FOUND')) throw err;
      }
    }
  }

  function resolveLoaded(id: string, version?: string | number): CompiledFlow | undefined {
    if (version !== undefined) return compiled.get(cacheKey(id, String(version)))?.compiled;
    const pointer = active.get(id);
    return pointer ? compiled.get(cacheKey(id, pointer.version))?.compiled : undefined;
  }

  async function check(definition: unknown, sourceMap?: SourceMap, file?: string): Promise<ErrorDetail[]> {
    try {
      if (typeof definition === 'object' && definition !== null) {
        definition = (await expandModelSources(db, definition as FlowDefinition)).definition;
        await preloadSubflows(definition as FlowDefinition, 0);
      }
      const flow = compileFlow(definition as FlowDefinition, { resolveFlow: resolveLoaded, ...(sourceMap ? { sourceMap } : {}), ...(file ? { file } : {}) });
      return flow.warnings.map((w) => ({ ...w, severity: 'warning' as const }));
    } catch (err) {
      if (err instanceof MingjianError && (err.code === 'FLOW_INVALID' || err.code === 'VALIDATION')) {
        return (err.details?.length ? err.details : [{ message: err.message }]).map((d) => ({ ...d, severity: d.severity ?? 'error' }));
      }
      throw err;
    }
  }

  const kind: GovernedKind = {
    kind: 'flow',
    plural: 'flows',
    parse(input): ParsedObject {
      let definition: unknown;
      let sourceMap: SourceMap | undefined;
      if (input.text !== undefined) {
        ({ definition, sourceMap } = parseFlowSource(input.text, input.file));
      } else {
        definition = input.value;
      }
      const declared = declaredIdentity(definition, 'flow', 'expected an object with id, inputs and nodes');
      return { ...declared, ...(sourceMap ? { context: { sourceMap, file: input.file } } : {}) };
    },
    withVersion: withDeclaredVersion,
    check(body, parsed) {
      const ctx = parsed?.context as { sourceMap?: SourceMap; file?: string } | undefined;
      return check(body, ctx?.sourceMap, ctx?.file);
    },
  };

  return {
    resolve: (flowId, version) => loadVersion(flowId, version, 0),
    resolveCached(flowId, version) {
      if (version !== undefined) return compiled.get(cacheKey(flowId, version));
      const pointer = active.get(flowId);
      if (!pointer || pointer.expires <= Date.now()) return undefined;
      return compiled.get(cacheKey(flowId, pointer.version));
    },
    invalidate(flowId) {
      const stale = new Set([flowId]);
      active.delete(flowId);
      // Callers of this flow's active version embed the old one: drop them too (and their callers).
      for (let grew = true; grew; ) {
        grew = false;
        for (const [key, entry] of compiled.entries()) {
          if (entry.compiled.dependencies.subflows.some((d) => d.version === undefined && stale.has(d.flow))) {
            compiled.delete(key);
            if (!stale.has(entry.flowId)) {
              stale.add(entry.flowId);
              grew = true;
            }
          }
        }
      }
    },
    invalidateModel(modelId) {
      for (const [key, models] of [...modelFollowers]) {
        if (!models.includes(modelId)) continue;
        modelFollowers.delete(key);
        const entry = compiled.get(key);
        compiled.delete(key);
        if (entry) this.invalidate(entry.flowId);
      }
    },
    check,
    kind,
  };
}
