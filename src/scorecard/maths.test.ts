// Small cases worked by hand: WOE, IV, AUC with ties, KS, PSI, points scaling, logistic regression.
import { describe, expect, it } from 'vitest';
import { woeIv } from './woe.ts';
import { auc, gainsTable, ks } from './metrics.ts';
import { psi, stabilityBand } from './psi.ts';
import { basePoints, binPoints, probabilityFromScore, ratingFromScore, scalingConstants } from './scaling.ts';
import { fitLogistic } from './logistic.ts';

describe('WOE and IV', () => {
  it('matches a hand computation', () => {
    // 40 goods of 100 and 10 bads of 50 in the bin: %good 0.4, %bad 0.2, WOE ln 2, IV (0.4-0.2) ln 2.
    const { woe, iv } = woeIv(40, 10, 100, 50);
    expect(woe).toBeCloseTo(Math.log(2), 12);
    expect(iv).toBeCloseTo(0.2 * Math.log(2), 12);
  });
  it('is negative where bads are over-represented and stays finite for an empty cell', () => {
    expect(woeIv(10, 20, 100, 50).woe).toBeCloseTo(Math.log(0.1 / 0.4), 12);
    // No bads: 0.5 is added to both cells -> ln((10.5/100)/(0.5/50)).
    expect(woeIv(10, 0, 100, 50).woe).toBeCloseTo(Math.log(10.5 / 100 / (0.5 / 50)), 12);
    expect(woeIv(0, 0, 100, 50)).toEqual({ woe: 0, iv: 0 });
  });
});

describe('AUC, Gini and KS', () => {
  it('counts a tied good/bad pair as one half', () => {
    // Higher score = lower risk. Goods at 3 and 2, bads at 2 and 1.
    // Pairs (good, bad): (3,2) win, (3,1) win, (2,2) tie, (2,1) win -> (3 + 0.5) / 4.
    expect(auc([3, 2, 2, 1], [0, 0, 1, 1])).toBeCloseTo(0.875, 12);
  });
  it('is 0.5 when every score is the same and 1 when perfectly separated', () => {
    expect(auc([5, 5, 5, 5], [0, 1, 0, 1])).toBe(0.5);
    expect(auc([9, 8, 1, 2], [0, 0, 1, 1])).toBe(1);
  });
  it('KS is the largest gap between the cumulative bad and good shares', () => {
    // Scores ascending: 1 bad, 2 bad, 3 good, 4 bad, 5 good, 6 good. B = 3, G = 3.
    // After 2: bads 2/3, goods 0 -> gap 0.667 (the maximum), at score 2.
    const r = ks([1, 2, 3, 4, 5, 6], [1, 1, 0, 1, 0, 0]);
    expect(r.ks).toBeCloseTo(2 / 3, 12);
    expect(r.at).toBe(2);
  });
  it('KS never splits tied scores', () => {
    // Both rows at score 1 are taken together: bads 1/1, goods 1/2 -> 0.5, not 1.
    expect(ks([1, 1, 2], [1, 0, 0]).ks).toBeCloseTo(0.5, 12);
  });
  it('gains: the riskiest decile first, lift against the overall bad rate', () => {
    const scores = Array.from({ length: 20 }, (_, i) => i);
    const y = scores.map((s) => (s < 4 ? 1 : 0)); // the 4 lowest scores are bad
    const g = gainsTable(scores, y, 10);
    expect(g).toHaveLength(10);
    expect(g[0]).toMatchObject({ count: 2, bad: 2, badRate: 1, cumBadCapture: 0.5, lift: 5 });
    expect(g[1]!.cumBadCapture).toBe(1);
    expect(g[9]!.cumLift).toBeCloseTo(1, 12);
  });
});

describe('PSI', () => {
  it('matches a hand computation and bands', () => {
    // (0.6-0.5) ln(1.2) + (0.4-0.5) ln(0.8)
    expect(psi([50, 50], [60, 40])).toBeCloseTo(0.1 * Math.log(1.2) - 0.1 * Math.log(0.8), 12);
    expect(psi([10, 20, 30], [10, 20, 30])).toBe(0);
    expect(stabilityBand(0.05)).toBe('stable');
    expect(stabilityBand(0.1)).toBe('watch');
    expect(stabilityBand(0.25)).toBe('watch');
    expect(stabilityBand(0.26)).toBe('act');
  });
  it('replaces an empty share by 1e-4 instead of dividing by zero', () => {
    const v = psi([100, 0], [50, 50]);
    expect(v).toBeCloseTo((0.5 - 1) * Math.log(0.5) + (0.5 - 1e-4) * Math.log(0.5 / 1e-4), 12);
  });
});

describe('points scaling', () => {
  it('600 points at odds 19:1 with PDO 50', () => {
    const { factor, offset } = scalingConstants({ baseScore: 600, baseOdds: 19, pdo: 50 });
    expect(factor).toBeCloseTo(50 / Math.LN2, 12); // 72.1348
    expect(offset).toBeCloseTo(600 - (50 / Math.LN2) * Math.log(19), 12); // 387.6036
    // An intercept equal to ln(1/19) (bad rate 5%) puts a zero-WOE applicant at exactly 600.
    expect(basePoints(factor, offset, Math.log(1 / 19))).toBe(600);
    // Doubling the odds adds 50 points.
    expect(probabilityFromScore(600, { factor, offset })).toBeCloseTo(1 / 20, 12);
    expect(probabilityFromScore(650, { factor, offset })).toBeCloseTo(1 / 39, 12);
    // Bin points: -factor * coefficient * WOE, rounded half away from zero.
    expect(binPoints(factor, -0.8, 0.5)).toBe(29); // 28.85
    expect(binPoints(factor, -0.8, -0.5)).toBe(-29);
    expect(binPoints(factor, -1, 0.5 / factor * 1)).toBe(1); // exactly 0.5 -> 1
  });
  it('rating is linear between the lowest and highest totals', () => {
    expect(ratingFromScore(300, { min: 300, max: 800 })).toBe(0);
    expect(ratingFromScore(800, { min: 300, max: 800 })).toBe(100);
    expect(ratingFromScore(550, { min: 300, max: 800 })).toBe(50);
    expect(ratingFromScore(900, { min: 300, max: 800 })).toBe(100);
  });
});

describe('logistic regression', () => {
  it('recovers the log odds ratio of a 2x2 table with its textbook standard error', () => {
    // x = 0: 10 bads, 30 goods; x = 1: 20 bads, 20 goods.
    const x: number[] = [];
    const y: number[] = [];
    const add = (xv: number, yv: number, n: number) => {
      for (let i = 0; i < n; i++) {
        x.push(xv);
        y.push(yv);
      }
    };
    add(0, 1, 10);
    add(0, 0, 30);
    add(1, 1, 20);
    add(1, 0, 20);
    const fit = fitLogistic([Float64Array.from(x)], Uint8Array.from(y), 0);
    expect(fit.converged).toBe(true);
    expect(fit.intercept).toBeCloseTo(Math.log(10 / 30), 8);
    expect(fit.coefficients[0]).toBeCloseTo(Math.log(3), 8);
    expect(fit.stdErrors[1]).toBeCloseTo(Math.sqrt(1 / 10 + 1 / 30 + 1 / 20 + 1 / 20), 6);
    // Wald z = ln3 / 0.48305 = 2.2743 -> two-sided p = 0.02295.
    expect(fit.pValues[1]).toBeCloseTo(0.02295, 4);
  });
  it('shrinks coefficients under an L2 penalty', () => {
    const x = Float64Array.from([0, 0, 0, 1, 1, 1, 0, 1]);
    const y = Uint8Array.from([0, 0, 1, 1, 1, 0, 0, 1]);
    const free = fitLogistic([x], y, 0);
    const shrunk = fitLogistic([x], y, 5);
    expect(Math.abs(shrunk.coefficients[0]!)).toBeLessThan(Math.abs(free.coefficients[0]!));
  });
});
