// The post-loan behaviour score: a scorecard over the behaviour features (behaviour.ts), refreshed from the loan's
// repayment history whenever the loan is read or serviced, 0-100 with 100 the lowest risk like the application
// rating. It is a decision flow with a scorecard node, so the engine scores it, the trace explains it, and risk
// analysts replace the default below by publishing a flow `loan-behaviour-score` with the same inputs (a trained
// behaviour scorecard deploys there through `source: model:...`).
import { compileFlow, type CompiledFlow, type FlowDefinition } from '../engine/index.ts';
import type { BehaviourFeatures } from './behaviour.ts';

/** Id of the governed flow that, when active, scores behaviour instead of the default. */
export const BEHAVIOUR_SCORE_FLOW = 'loan-behaviour-score';

export interface BehaviourScore {
  score: number;
  /** 0-100, 100 = lowest risk. */
  rating: number;
  /** Attributes that cost the most points, most first. */
  reasons: string[];
  flow: string;
  version: string | number;
}

const num = { type: 'number' as const, required: false, default: 0 };

/**
 * The default: points set by hand from what repayment behaviour says in consumer lending (current and worst arrears
 * weigh most, then missed instalments, partial payments, relief, and seasoning), until a behaviour scorecard trained on
 * the portfolio's own outcomes replaces it.
 */
export const DEFAULT_BEHAVIOUR_SCORECARD: FlowDefinition = {
  id: 'loan-behaviour-score-default',
  version: 1,
  description: 'Default post-loan behaviour scorecard (hand-set points; replace with a trained one via loan-behaviour-score)',
  inputs: {
    currentDpd: num, maxDpd: num, missedInstalments: num, partialPaymentShare: num, approvedRelief: num,
    principalRepaidShare: num, monthsOnBook: num, arrearsInInstalments: num,
  },
  nodes: [
    {
      id: 'behaviour',
      type: 'scorecard',
      output: 'score',
      rating: { output: 'rating' },
      reasons: { output: 'reasons', count: 3 },
      attributes: [
        { name: 'currentDpd', value: 'currentDpd', reasonCode: 'BH01', bins: [{ max: 1, points: 40 }, { min: 1, max: 31, points: 10 }, { min: 31, max: 61, points: -10 }, { min: 61, points: -30 }] },
        { name: 'maxDpd', value: 'maxDpd', reasonCode: 'BH02', bins: [{ max: 1, points: 20 }, { min: 1, max: 31, points: 8 }, { min: 31, points: -5 }] },
        { name: 'missedInstalments', value: 'missedInstalments', reasonCode: 'BH03', bins: [{ max: 1, points: 20 }, { min: 1, max: 2, points: 5 }, { min: 2, points: -10 }] },
        { name: 'arrearsInInstalments', value: 'arrearsInInstalments', reasonCode: 'BH04', bins: [{ max: 0.01, points: 15 }, { min: 0.01, max: 1, points: 5 }, { min: 1, points: -10 }] },
        { name: 'partialPaymentShare', value: 'partialPaymentShare', reasonCode: 'BH05', bins: [{ max: 0.2, points: 10 }, { min: 0.2, max: 0.5, points: 3 }, { min: 0.5, points: -5 }] },
        { name: 'approvedRelief', value: 'approvedRelief', reasonCode: 'BH06', bins: [{ max: 1, points: 10 }, { min: 1, points: 0 }] },
        { name: 'principalRepaidShare', value: 'principalRepaidShare', reasonCode: 'BH07', bins: [{ max: 0.25, points: 0 }, { min: 0.25, max: 0.5, points: 5 }, { min: 0.5, points: 10 }] },
        { name: 'monthsOnBook', value: 'monthsOnBook', reasonCode: 'BH08', bins: [{ max: 3, points: 0 }, { min: 3, max: 12, points: 5 }, { min: 12, points: 10 }] },
      ],
      next: 'done',
    },
    { id: 'done', type: 'outcome', outputs: { score: 'score', rating: 'rating', reasons: 'reasons' } },
  ],
};

let defaultFlow: CompiledFlow | undefined;

/** The default behaviour scorecard, compiled once. */
export function defaultBehaviourFlow(): CompiledFlow {
  return (defaultFlow ??= compileFlow(DEFAULT_BEHAVIOUR_SCORECARD));
}

/** Scores the features with a behaviour flow; null when the flow fails on them (its problem is not the loan's). */
export function scoreBehaviour(flow: CompiledFlow, features: BehaviourFeatures): BehaviourScore | null {
  const declared = flow.definition.inputs ?? {};
  const input: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(features)) if (k in declared) input[k] = v;
  const result = flow.evaluate(input);
  if (!result.ok) return null;
  const { score, rating, reasons } = result.outputs as { score?: unknown; rating?: unknown; reasons?: unknown };
  if (typeof score !== 'number' || typeof rating !== 'number') return null;
  return { score, rating, reasons: Array.isArray(reasons) ? reasons.map(String) : [], flow: flow.id, version: flow.version };
}
