// Optimal binning on small cases: the DP against brute force, trends, constraints, special and missing bins.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { binVariable, optimalPartition } from './binning.ts';
import { woeIv } from './woe.ts';
import { DEFAULT_BINNING, type BinningOptions } from './types.ts';

type Trend = 'ascending' | 'descending' | 'peak' | 'valley' | 'none';

/** Every contiguous partition, checked directly: the reference the DP must match. */
function bruteForce(good: number[], bad: number[], maxBins: number, minCount: number, trend: Trend): number {
  const G = good.reduce((s, x) => s + x, 0);
  const B = bad.reduce((s, x) => s + x, 0);
  const n = good.length;
  let best = -Infinity;
  for (let mask = 0; mask < 1 << (n - 1); mask++) {
    const groups: [number, number][] = [];
    let start = 0;
    for (let i = 0; i < n - 1; i++) if (mask & (1 << i)) {
      groups.push([start, i]);
      start = i + 1;
    }
    groups.push([start, n - 1]);
    if (groups.length > maxBins) continue;
    let iv = 0;
    const rates: number[] = [];
    let ok = true;
    for (const [a, b] of groups) {
      let g = 0;
      let d = 0;
      for (let k = a; k <= b; k++) {
        g += good[k]!;
        d += bad[k]!;
      }
      if (g + d < minCount || g < 1 || d < 1) ok = false;
      iv += woeIv(g, d, G, B).iv;
      rates.push(d / (g + d));
    }
    if (!ok) continue;
    const steps = rates.slice(1).map((r, i) => Math.sign(r - rates[i]!));
    const fits =
      trend === 'none' ||
      (trend === 'ascending' && steps.every((s) => s > 0)) ||
      (trend === 'descending' && steps.every((s) => s < 0)) ||
      (trend === 'peak' && !steps.includes(0) && isUpThenDown(steps, 1)) ||
      (trend === 'valley' && !steps.includes(0) && isUpThenDown(steps, -1));
    if (fits && iv > best) best = iv;
  }
  return best;
}

function isUpThenDown(steps: number[], first: number): boolean {
  let phase = 0;
  for (const s of steps) {
    if (phase === 0 && s === -first) phase = 1;
    else if (phase === 1 && s === first) return false;
  }
  return true;
}

describe('optimalPartition', () => {
  it('finds the same maximum IV as brute force under every trend', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 0, max: 30 }), fc.integer({ min: 0, max: 30 })), { minLength: 1, maxLength: 8 }),
        fc.integer({ min: 1, max: 5 }),
        fc.integer({ min: 1, max: 30 }),
        fc.constantFrom<Trend>('ascending', 'descending', 'peak', 'valley', 'none'),
        (cells, maxBins, minCount, trend) => {
          const good = cells.map((c) => c[0]);
          const bad = cells.map((c) => c[1]);
          const totals = { good: good.reduce((s, x) => s + x, 0), bad: bad.reduce((s, x) => s + x, 0) };
          if (totals.good === 0 || totals.bad === 0) return;
          const p = optimalPartition({ good, bad }, totals, { maxBins, minCount, minBad: 1, minGood: 1 }, trend);
          const ref = bruteForce(good, bad, maxBins, minCount, trend);
          if (ref === -Infinity) expect(p).toBeNull();
          else expect(p!.iv).toBeCloseTo(ref, 10);
        },
      ),
      { numRuns: 300, seed: 7 },
    );
  });

  it('keeps bad rates ascending when asked', () => {
    // Bad rates by fine class: 0.1 0.3 0.2 0.5: the 0.3/0.2 inversion must be merged.
    const p = optimalPartition({ good: [90, 70, 80, 50], bad: [10, 30, 20, 50] }, { good: 290, bad: 110 }, { maxBins: 4, minCount: 1, minBad: 1, minGood: 1 }, 'ascending')!;
    expect(p.groups).toEqual([[0, 0], [1, 2], [3, 3]]);
  });
});

const opts = (o: Partial<BinningOptions> = {}): BinningOptions => ({ ...DEFAULT_BINNING, minBinShare: 0.05, ...o });

describe('binVariable', () => {
  // 200 rows: x = 0..199, bad when x < 60 with every third row flipped; -9 special on 10 rows; 10 missing.
  const n = 220;
  const numbers = new Float64Array(n);
  const y = new Uint8Array(n);
  for (let i = 0; i < 200; i++) {
    numbers[i] = i;
    y[i] = (i < 60) !== (i % 3 === 0) ? 1 : 0;
  }
  for (let i = 200; i < 210; i++) {
    numbers[i] = -9;
    y[i] = i % 2;
  }
  for (let i = 210; i < 220; i++) {
    numbers[i] = Number.NaN;
    y[i] = 1;
  }
  const rows = Int32Array.from({ length: n }, (_, i) => i);
  const col = { name: 'x', type: 'numeric' as const, numbers };

  it('gives each special value and the missing values a bin of their own', () => {
    const b = binVariable(col, y, rows, [-9, -8], opts());
    const special = b.bins.filter((x) => x.kind === 'special');
    expect(special.map((s) => [s.values, s.count, s.bad])).toEqual([[[-9], 10, 5], [[-8], 0, 0]]);
    const missing = b.bins.find((x) => x.kind === 'missing')!;
    expect([missing.count, missing.bad]).toEqual([10, 10]);
    // -9 never reaches the value ranges: the first range starts at 0's side, and counts add up.
    const ranges = b.bins.filter((x) => x.kind === 'range');
    expect(ranges.reduce((s, r) => s + r.count, 0)).toBe(200);
    expect(ranges[0]!.min).toBeUndefined();
    expect(ranges[ranges.length - 1]!.max).toBeUndefined();
    expect(b.warnings.join('\n')).toMatch(/special value\(s\) -8 not seen in training/);
    expect(b.iv).toBeCloseTo(b.bins.reduce((s, x) => s + x.iv, 0), 12);
  });

  it.each(['tree', 'quantile'] as const)('respects max bins, min bin share and the trend (%s fine classes)', (prebinning) => {
    const b = binVariable(col, y, rows, [-9], opts({ maxBins: 3, trend: 'descending', prebinning }));
    const ranges = b.bins.filter((x) => x.kind === 'range');
    expect(ranges.length).toBeLessThanOrEqual(3);
    for (const r of ranges) expect(r.count).toBeGreaterThanOrEqual(Math.ceil(0.05 * n));
    for (let i = 1; i < ranges.length; i++) expect(ranges[i]!.badRate).toBeLessThan(ranges[i - 1]!.badRate);
    expect(b.trend).toBe('descending');
  });

  it('tree fine classes cut where the bad rate changes', () => {
    // Bads are x < 60 with every third row flipped, so 60 itself is bad and 61 the first of the long good run:
    // the best two-bin cut is at 61.
    const b = binVariable(col, y, rows, [-9], opts({ prebinning: 'tree', maxBins: 2 }));
    expect(b.bins.filter((x) => x.kind === 'range').map((x) => x.max ?? null)).toEqual([61, null]);
  });

  it('is deterministic', () => {
    const a = binVariable(col, y, rows, [-9], opts());
    const b = binVariable(col, y, rows, [-9], opts());
    expect(JSON.stringify(a)).toBe(JSON.stringify(b));
  });

  it('says which variable and constraint fails', () => {
    const few = new Uint8Array(n); // no bads at all among the rows given
    few[0] = 1;
    const b = binVariable(col, few, Int32Array.from([0, 1, 2, 3, 4]), [], opts({ minBadCount: 2 }));
    expect(b.warnings.join('\n')).toMatch(/^x: no binning meets the constraints .*min bad count 2/m);
    expect(b.bins.filter((x) => x.kind === 'range')).toHaveLength(1);
  });

  it('says so when a requested trend can only be met by one bin', () => {
    // Bad rates fall with x here: an ascending trend fits only by lumping every value together.
    const b = binVariable(col, y, rows, [-9], opts({ trend: 'ascending' }));
    expect(b.bins.filter((x) => x.kind === 'range')).toHaveLength(1);
    expect(b.warnings.join('\n')).toMatch(/^x: the ascending trend with at least \d+ rows, \d+ bads and \d+ goods per bin leaves a single bin \(IV 0\).*try auto/m);
    expect(binVariable(col, y, rows, [-9], opts()).warnings.join('\n')).not.toMatch(/single bin/);
  });

  it('groups categories by bad rate', () => {
    const texts: (string | null)[] = [];
    const yy: number[] = [];
    const add = (v: string | null, bads: number, goods: number) => {
      for (let i = 0; i < bads; i++) {
        texts.push(v);
        yy.push(1);
      }
      for (let i = 0; i < goods; i++) {
        texts.push(v);
        yy.push(0);
      }
    };
    add('a', 5, 45); // 10%
    add('b', 25, 25); // 50%
    add('c', 6, 44); // 12%
    add('d', 24, 26); // 48%
    add(null, 3, 7);
    const b = binVariable({ name: 'cat', type: 'categorical', texts }, Uint8Array.from(yy), Int32Array.from(texts.map((_, i) => i)), [], opts({ maxBins: 2, minBinShare: 0.2 }));
    const cats = b.bins.filter((x) => x.kind === 'categories').map((x) => [...x.values!].sort());
    expect(cats).toEqual([['a', 'c'], ['b', 'd']]);
    expect(b.bins.find((x) => x.kind === 'missing')!.count).toBe(10);
  });
});
