// Flows in the service point scorecard nodes at governed models (`source: model:<id>` for the active version,
// `model:<id>@<version>` for a fixed one), so the scorecard a checker approved is the one decisions run. Plain file
// paths are refused: the service never reads scorecards from its disk.
import type { Kysely } from 'kysely';
import type { FlowDefinition, ScorecardNode } from '../../engine/index.ts';
import { MingjianError } from '../../kernel/errors.ts';
import { expandScorecardSources } from '../../scorecard/index.ts';
import * as gov from '../../store/governance-store.ts';
import type { ServiceDatabase } from '../../store/schema.ts';

export const MODEL_KIND = 'model';
const MODEL_REF = /^model:([A-Za-z0-9][A-Za-z0-9_.-]{0,99})(?:@([A-Za-z0-9][A-Za-z0-9_.+-]{0,49}))?$/;

export interface ModelRef {
  modelId: string;
  /** Absent: the active version. */
  version?: string;
}

export function parseModelRef(source: string): ModelRef | undefined {
  const m = MODEL_REF.exec(source);
  if (!m) return undefined;
  return { modelId: m[1]!, ...(m[2] !== undefined ? { version: m[2] } : {}) };
}

/** The governed model version a reference names; NOT_FOUND when the model, the version or an active version is missing. */
export async function loadModelVersion(db: Kysely<ServiceDatabase>, ref: ModelRef): Promise<gov.GovernedVersion> {
  const v = ref.version === undefined ? await gov.findActiveVersion(db, MODEL_KIND, ref.modelId) : await gov.findVersion(db, MODEL_KIND, ref.modelId, ref.version);
  if (!v) {
    throw new MingjianError('NOT_FOUND', ref.version === undefined ? `model '${ref.modelId}' not found or has no active version` : `model '${ref.modelId}' has no version '${ref.version}'`);
  }
  // Only versions that passed maker-checker may run in a flow (drafts can change under it).
  if (ref.version !== undefined && !['approved', 'active', 'retired'].includes(v.status)) {
    throw new MingjianError('CONFLICT', `model '${ref.modelId}' version '${ref.version}' is ${v.status}; a flow may use approved, active or retired versions only`);
  }
  return v;
}

export interface ExpandedFlow {
  definition: FlowDefinition;
  /** Models the flow follows by their active version (it must be recompiled when one is activated). */
  followsActive: string[];
}

/** Expands every scorecard node whose `source` names a governed model; other sources are refused with the node's path. */
export async function expandModelSources(db: Kysely<ServiceDatabase>, definition: FlowDefinition): Promise<ExpandedFlow> {
  const nodes = Array.isArray(definition?.nodes) ? definition.nodes : [];
  const texts = new Map<string, string>();
  const followsActive: string[] = [];
  for (const [i, n] of nodes.entries()) {
    if (n?.type !== 'scorecard') continue;
    const node = n as ScorecardNode;
    if (node.source === undefined || node.attributes) continue;
    const ref = typeof node.source === 'string' ? parseModelRef(node.source) : undefined;
    if (!ref) {
      throw new MingjianError('FLOW_INVALID', `node '${node.id}': scorecard source '${String(node.source)}' is not a governed model`, [{
        path: `nodes[${i}].source`,
        node: node.id,
        message: 'plain file paths are not allowed in the service; use model:<id> (its active version) or model:<id>@<version> of a model registered at /v1/models',
      }]);
    }
    if (texts.has(node.source)) continue;
    try {
      const v = await loadModelVersion(db, ref);
      const { id: _id, version: _version, ...model } = v.body as Record<string, unknown>;
      texts.set(node.source, JSON.stringify(model));
      if (ref.version === undefined) followsActive.push(ref.modelId);
    } catch (err) {
      if (!(err instanceof MingjianError && (err.code === 'NOT_FOUND' || err.code === 'CONFLICT'))) throw err;
      throw new MingjianError('FLOW_INVALID', `node '${node.id}': ${err.message}`, [{ path: `nodes[${i}].source`, node: node.id, message: err.message }]);
    }
  }
  if (texts.size === 0) return { definition, followsActive };
  return { definition: expandScorecardSources(definition, (source) => texts.get(source)!), followsActive };
}
