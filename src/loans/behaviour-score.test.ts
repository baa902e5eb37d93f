// The behaviour score: the default scorecard orders loans by how their repayment went, a replacement flow takes over,
// and a flow that fails scores nothing rather than something wrong.
import { describe, expect, it } from 'vitest';
import { compileFlow } from '../engine/index.ts';
import type { BehaviourFeatures } from './behaviour.ts';
import { DEFAULT_BEHAVIOUR_SCORECARD, defaultBehaviourFlow, scoreBehaviour } from './behaviour-score.ts';

const clean: BehaviourFeatures = {
  monthsOnBook: 6, instalmentsBilled: 6, currentDpd: 0, maxDpd: 0, missedInstalments: 0, payments: 6, partialPayments: 0, partialPaymentShare: 0,
  partialStreak: 0, reversals: 0, approvedRelief: 0, principalRepaidShare: 0.4, arrearsInInstalments: 0,
};

describe('behaviour score', () => {
  it('worked by hand: a clean loan, a delinquent one', () => {
    // Points 40 + 20 + 20 + 15 + 10 + 10 + 5 (repaid 40%) + 5 (6 months) = 125 of a range -60..135: rating 185/195.
    expect(scoreBehaviour(defaultBehaviourFlow(), clean)).toEqual({ score: 125, rating: Math.round((100 * 185) / 195), reasons: ['BH07', 'BH08'], flow: 'loan-behaviour-score-default', version: 1 });
    // 45 DPD, two misses, two instalments in arrears, mostly partial payments: -10 - 5 - 10 - 10 - 5 + 10 + 5 + 5 = -20.
    const late = scoreBehaviour(defaultBehaviourFlow(), { ...clean, currentDpd: 45, maxDpd: 45, missedInstalments: 2, arrearsInInstalments: 2.1, partialPaymentShare: 0.6 })!;
    expect(late).toMatchObject({ score: -20, rating: Math.round((100 * 40) / 195) });
    // Points lost against each attribute's best: DPD 50, misses 30, worst DPD 25 and arrears 25 (ties in attribute order).
    expect(late.reasons).toEqual(['BH01', 'BH03', 'BH02']);
  });

  it('never ranks a loan higher for worse behaviour in any one feature', () => {
    const flow = defaultBehaviourFlow();
    const base = scoreBehaviour(flow, clean)!.rating;
    for (const [k, worse] of Object.entries({ currentDpd: 10, maxDpd: 40, missedInstalments: 1, arrearsInInstalments: 0.5, partialPaymentShare: 0.7, approvedRelief: 1 })) {
      expect(scoreBehaviour(flow, { ...clean, [k]: worse })!.rating, k).toBeLessThan(base);
    }
  });

  it('scores with a replacement flow, and gives null when that flow fails', () => {
    const simple = compileFlow({
      id: 'loan-behaviour-score', version: 3,
      inputs: { currentDpd: { type: 'number', required: false, default: 0 } },
      nodes: [
        { id: 's', type: 'scorecard', output: 'score', rating: { output: 'rating' }, attributes: [{ name: 'dpd', value: 'currentDpd', bins: [{ max: 1, points: 10 }, { min: 1, points: 0 }] }], next: 'o' },
        { id: 'o', type: 'outcome', outputs: { score: 'score', rating: 'rating' } },
      ],
    });
    expect(scoreBehaviour(simple, { ...clean, currentDpd: 3 })).toEqual({ score: 0, rating: 0, reasons: [], flow: 'loan-behaviour-score', version: 3 });
    const broken = compileFlow({ ...DEFAULT_BEHAVIOUR_SCORECARD, inputs: { ...DEFAULT_BEHAVIOUR_SCORECARD.inputs, currentDpd: { type: 'number', max: 5 } } });
    expect(scoreBehaviour(broken, { ...clean, currentDpd: 45 })).toBeNull();
  });
});
