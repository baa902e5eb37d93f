import { describe, expect, it } from 'vitest';
import { compareProfiles, populationStabilityIndex, profileRecords, profileValues } from './data-quality.ts';

describe('data quality', () => {
  it('profiles missing rate, range, quantiles and top values', () => {
    const values = [...Array.from({ length: 100 }, (_, i) => i + 1), null, undefined, NaN, null];
    const p = profileValues(values);
    expect(p.count).toBe(104);
    expect(p.missing).toBe(4);
    expect(p.missingRate).toBeCloseTo(4 / 104);
    expect(p.numeric).toEqual({ min: 1, max: 100, mean: 50.5, quantiles: { p1: 1, p5: 5, p25: 25, p50: 50, p75: 75, p95: 95, p99: 99 } });
    expect(p.distinct).toBe(100);
  });

  it('ranks categorical values and leaves numeric stats out for mixed values', () => {
    const p = profileValues(['A', 'B', 'A', 'C', 'A', 'B', 3]);
    expect(p.numeric).toBeNull();
    expect(p.topValues.slice(0, 2)).toEqual([{ value: '"A"', count: 3, share: 3 / 7 }, { value: '"B"', count: 2, share: 2 / 7 }]);
  });

  it('profiles decision records per variable', () => {
    const profiles = profileRecords([{ a: 1, b: 'x' }, { a: 2 }, { a: null, b: 'y' }]);
    expect(Object.keys(profiles)).toEqual(['a', 'b']);
    expect(profiles.b!.missingRate).toBeCloseTo(1 / 3);
  });

  it('measures the change between two periods with the PSI', () => {
    const baseline = Array.from({ length: 1000 }, (_, i) => i % 100);
    expect(populationStabilityIndex(baseline, baseline)).toBe(0);
    const shifted = baseline.map((x) => x + 30);
    const change = compareProfiles(baseline, shifted);
    expect(change.psi).toBeGreaterThan(0.25);
    expect(change.meanChange).toBeCloseTo(30);
    expect(change.quantileChange!.p50).toBe(30);
    const moreMissing = compareProfiles(['a', 'b', 'a', 'b'], ['a', null, null, 'b']);
    expect(moreMissing.missingRateChange).toBe(0.5);
    expect(moreMissing.psi).toBeGreaterThan(0.25);
  });
});
