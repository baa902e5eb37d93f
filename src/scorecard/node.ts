// The bridge to the decision engine: a trained scorecard.json becomes a flow's scorecard node with the same bins,
// points, base score and rating bounds, so the engine's total equals scoreRow's for every input.

import type { ScorecardAttribute, ScorecardBin, ScorecardNode } from '../engine/types.ts';
import type { ScorecardModel } from './types.ts';

export interface NodeOptions {
  id: string;
  /** Output name of the total score (default `score`). */
  output?: string;
  /** Output name of the 0-100 rating (default `rating`); false for none. */
  rating?: string | false;
  /** Output name of the reason codes (default `scoreReasons`) and how many (default 4); false for none. */
  reasons?: { output?: string; count?: number } | false;
  /** Field (CEL expression) per attribute when the flow's input names differ from the training columns. */
  fields?: Record<string, string>;
  description?: string;
  next?: string;
}

export function scorecardToNode(model: ScorecardModel, options: NodeOptions): ScorecardNode {
  const attributes: ScorecardAttribute[] = model.attributes.map((a) => {
    const bins: ScorecardBin[] = a.bins.map((b) => {
      const bin: ScorecardBin = { points: b.points, label: b.label };
      if (b.values) bin.values = [...b.values];
      else {
        if (b.min !== undefined) bin.min = b.min;
        if (b.max !== undefined) bin.max = b.max;
      }
      return bin;
    });
    const attr: ScorecardAttribute = {
      name: a.name,
      value: options.fields?.[a.name] ?? a.value,
      bins,
      missing: { points: a.missing.points },
      other: { points: a.other.points },
      reasonCode: a.reasonCode,
      reasonMessage: a.reasonMessage,
    };
    if (a.special.length) attr.special = a.special.map((s) => ({ values: [...s.values], points: s.points, label: s.label }));
    return attr;
  });
  const node: ScorecardNode = { id: options.id, type: 'scorecard', output: options.output ?? 'score', baseScore: model.basePoints, attributes };
  if (options.description) node.description = options.description;
  if (options.rating !== false) node.rating = { output: options.rating ?? 'rating', minScore: model.scoreRange.min, maxScore: model.scoreRange.max };
  if (options.reasons !== false) node.reasons = { output: options.reasons?.output ?? 'scoreReasons', count: options.reasons?.count ?? 4 };
  if (options.next) node.next = options.next;
  return node;
}
