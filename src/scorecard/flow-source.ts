// Flows may point a scorecard node at a trained scorecard.json (`source:`) instead of listing its bins, so the
// scorecard the modeller validated is exactly the one the flow runs. Loaders (CLI, service) call this before
// compileFlow; reading the file is the caller's job (`read`), so this stays pure.

import { MingjianError } from '../kernel/errors.ts';
import type { FlowDefinition, NodeDefinition, ScorecardNode } from '../engine/types.ts';
import { parseModel } from './model-file.ts';
import { scorecardToNode } from './node.ts';

/** Returns the flow with every `scorecard` node that has a `source` expanded into attributes, base score and rating bounds. */
export function expandScorecardSources(def: FlowDefinition, read: (source: string) => string): FlowDefinition {
  if (!Array.isArray(def?.nodes) || !def.nodes.some((n) => n?.type === 'scorecard' && (n as ScorecardNode).source && !(n as ScorecardNode).attributes)) return def;
  const nodes = def.nodes.map((n, i): NodeDefinition => {
    if (n.type !== 'scorecard' || !n.source || n.attributes) return n;
    let text: string;
    try {
      text = read(n.source);
    } catch (e) {
      throw new MingjianError('FLOW_INVALID', `node '${n.id}': cannot read scorecard source '${n.source}'`, [{ path: `nodes[${i}].source`, node: n.id, message: (e as Error).message }]);
    }
    const model = parseModel(text);
    const node = scorecardToNode(model, {
      id: n.id,
      output: n.output ?? 'score',
      rating: n.rating?.output ?? 'rating',
      reasons: n.reasons ? { output: n.reasons.output, ...(n.reasons.count ? { count: n.reasons.count } : {}) } : false,
      ...(n.fields ? { fields: n.fields } : {}),
      ...(n.description ? { description: n.description } : {}),
      ...(n.next ? { next: n.next } : {}),
    });
    if (n.rating?.minScore !== undefined || n.rating?.maxScore !== undefined) node.rating = { ...node.rating!, ...n.rating };
    return { ...node, source: n.source };
  });
  return { ...def, nodes };
}
