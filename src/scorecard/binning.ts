// Fine classing, then optimal coarse binning: the partition of the fine classes into contiguous groups that
// maximises information value under the trend, bin-count, bin-share and bad/good-count constraints. IV is additive
// over bins (totals are fixed), so an exact dynamic programme over (last group, groups used, trend phase) finds the
// optimum; ties keep the first partition found in a fixed scan order, so the same data always gives the same bins.

import { woeIv } from './woe.ts';
import type { Bin, BinningOptions, Trend, VariableBinning, VariableType } from './types.ts';

/** A training column already typed: numbers (NaN = missing) or texts (null = missing). */
export interface DataColumn {
  name: string;
  type: VariableType;
  numbers?: Float64Array;
  texts?: (string | null)[];
}

interface FineClasses {
  good: number[];
  bad: number[];
}

export interface Partition {
  /** [first, last] fine-class index of each group. */
  groups: [number, number][];
  iv: number;
}

type MonotoneTrend = Exclude<Trend, 'auto'>;

/**
 * The IV-maximising partition of fine classes into contiguous groups, or null when no partition meets the constraints.
 * `minCount` is the smallest group size in rows.
 */
export function optimalPartition(
  fine: FineClasses,
  totals: { good: number; bad: number },
  limits: { maxBins: number; minCount: number; minBad: number; minGood: number },
  trend: MonotoneTrend,
): Partition | null {
  const n = fine.good.length;
  if (n === 0) return null;
  const pg = new Float64Array(n + 1);
  const pb = new Float64Array(n + 1);
  for (let i = 0; i < n; i++) {
    pg[i + 1] = pg[i]! + fine.good[i]!;
    pb[i + 1] = pb[i]! + fine.bad[i]!;
  }
  const K = Math.max(1, limits.maxBins);
  // Group [i..j] as flat index i*n+j.
  const ivOf = new Float64Array(n * n).fill(Number.NaN);
  const rateOf = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = i; j < n; j++) {
      const g = pg[j + 1]! - pg[i]!;
      const b = pb[j + 1]! - pb[i]!;
      if (g + b < limits.minCount || b < limits.minBad || g < limits.minGood) continue;
      ivOf[i * n + j] = woeIv(g, b, totals.good, totals.bad).iv;
      rateOf[i * n + j] = b / (g + b);
    }
  }
  // best[((j*n + i)*K + k)*2 + phase]: best IV of fine classes 0..j in k+1 groups, the last being [i..j].
  const size = n * n * K * 2;
  const best = new Float64Array(size).fill(-Infinity);
  const fromI = new Int32Array(size).fill(-1);
  const fromPhase = new Int8Array(size);
  const at = (j: number, i: number, k: number, ph: number) => ((j * n + i) * K + k) * 2 + ph;

  for (let j = 0; j < n; j++) {
    for (let i = 0; i <= j; i++) {
      const iv = ivOf[i * n + j]!;
      if (Number.isNaN(iv)) continue;
      if (i === 0) {
        best[at(j, 0, 0, 0)] = iv;
        continue;
      }
      const rate = rateOf[i * n + j]!;
      for (let k = 1; k < K; k++) {
        for (let ph = 0; ph < 2; ph++) {
          let top = -Infinity;
          let topI = -1;
          let topPh = 0;
          for (let ip = 0; ip < i; ip++) {
            for (let pph = 0; pph < 2; pph++) {
              const prev = best[at(i - 1, ip, k - 1, pph)]!;
              if (prev === -Infinity) continue;
              if (nextPhase(trend, pph, rateOf[ip * n + i - 1]!, rate) !== ph) continue;
              if (prev > top) {
                top = prev;
                topI = ip;
                topPh = pph;
              }
            }
          }
          if (topI < 0) continue;
          const idx = at(j, i, k, ph);
          best[idx] = top + iv;
          fromI[idx] = topI;
          fromPhase[idx] = topPh;
        }
      }
    }
  }
  let bestIdx = -1;
  let bestIv = -Infinity;
  let bestI = 0;
  let bestK = 0;
  let bestPh = 0;
  for (let k = 0; k < K; k++) {
    for (let i = 0; i < n; i++) {
      for (let ph = 0; ph < 2; ph++) {
        const idx = at(n - 1, i, k, ph);
        // A tiny margin so float noise never prefers a partition with more bins for no real gain.
        if (best[idx]! > bestIv + 1e-12) {
          bestIv = best[idx]!;
          bestIdx = idx;
          bestI = i;
          bestK = k;
          bestPh = ph;
        }
      }
    }
  }
  if (bestIdx < 0) return null;
  const groups: [number, number][] = [];
  let j = n - 1;
  let i = bestI;
  let k = bestK;
  let ph = bestPh;
  while (true) {
    groups.unshift([i, j]);
    if (i === 0) break;
    const idx = at(j, i, k, ph);
    const pi = fromI[idx]!;
    const pph = fromPhase[idx]!;
    j = i - 1;
    i = pi;
    k -= 1;
    ph = pph;
  }
  return { groups, iv: bestIv };
}

/** Phase after a step from a group with bad rate `prev` to one with `next`; -1 when the trend forbids the step. */
function nextPhase(trend: MonotoneTrend, phase: number, prev: number, next: number): number {
  const up = next > prev;
  const down = next < prev;
  switch (trend) {
    case 'none':
      return phase === 0 ? 0 : -1;
    case 'ascending':
      return phase === 0 && up ? 0 : -1;
    case 'descending':
      return phase === 0 && down ? 0 : -1;
    case 'peak': // rises, then falls
      if (phase === 0) return up ? 0 : down ? 1 : -1;
      return down ? 1 : -1;
    case 'valley': // falls, then rises
      if (phase === 0) return down ? 0 : up ? 1 : -1;
      return up ? 1 : -1;
  }
}

/** Fine classes of roughly equal count over distinct values ([first, last] distinct index each), cut only between distinct values. */
function quantileClasses(dGood: number[], dBad: number[], nRegular: number, nRows: number, options: BinningOptions): [number, number][] {
  const target = Math.max(nRegular / Math.max(1, options.maxPrebins), options.minPrebinShare * nRows, 1);
  const classes: [number, number][] = [];
  let acc = 0;
  for (let d = 0; d < dGood.length; d++) {
    if (acc === 0) classes.push([d, d]);
    classes[classes.length - 1]![1] = d;
    acc += dGood[d]! + dBad[d]!;
    if (acc >= target) acc = 0;
  }
  const last = classes[classes.length - 1];
  if (classes.length >= 2 && last) {
    let size = 0;
    for (let d = last[0]; d <= last[1]; d++) size += dGood[d]! + dBad[d]!;
    if (size < options.minPrebinShare * nRows) {
      classes.pop();
      classes[classes.length - 1]![1] = last[1];
    }
  }
  return classes;
}

/**
 * Fine classes from a classification tree on the value: the leaf whose best split lowers Gini impurity most is split
 * next, until `maxLeaves` or no split leaves both sides with `minSize` rows. Cut points follow the bad rate, not
 * the row count, so the coarse binning has better boundaries to choose from.
 */
function treeClasses(dGood: number[], dBad: number[], maxLeaves: number, minSize: number): [number, number][] {
  const n = dGood.length;
  if (n === 0) return [];
  const pg = new Float64Array(n + 1);
  const pb = new Float64Array(n + 1);
  for (let i = 0; i < n; i++) {
    pg[i + 1] = pg[i]! + dGood[i]!;
    pb[i + 1] = pb[i]! + dBad[i]!;
  }
  // n * Gini impurity of a segment = 2 g b / (g + b).
  const cost = (a: number, b: number) => {
    const g = pg[b + 1]! - pg[a]!;
    const d = pb[b + 1]! - pb[a]!;
    return g + d > 0 ? (2 * g * d) / (g + d) : 0;
  };
  const bestSplit = (a: number, b: number): { at: number; gain: number } => {
    const parent = cost(a, b);
    let at = -1;
    let gain = 1e-12;
    for (let k = a + 1; k <= b; k++) {
      const left = pg[k]! - pg[a]! + pb[k]! - pb[a]!;
      const right = pg[b + 1]! - pg[k]! + pb[b + 1]! - pb[k]!;
      if (left < minSize || right < minSize) continue;
      const g = parent - cost(a, k - 1) - cost(k, b);
      if (g > gain) {
        gain = g;
        at = k;
      }
    }
    return { at, gain };
  };
  const leaves: { a: number; b: number; split: { at: number; gain: number } }[] = [{ a: 0, b: n - 1, split: bestSplit(0, n - 1) }];
  while (leaves.length < maxLeaves) {
    let pick = -1;
    for (let i = 0; i < leaves.length; i++) if (leaves[i]!.split.at >= 0 && (pick < 0 || leaves[i]!.split.gain > leaves[pick]!.split.gain)) pick = i;
    if (pick < 0) break;
    const { a, b, split } = leaves[pick]!;
    leaves.splice(pick, 1, { a, b: split.at - 1, split: bestSplit(a, split.at - 1) }, { a: split.at, b, split: bestSplit(split.at, b) });
  }
  return leaves.map((l) => [l.a, l.b]);
}

export function formatNumber(x: number): string {
  if (Number.isInteger(x)) return String(x);
  return String(Number(x.toPrecision(6)));
}

export function rangeLabel(min: number | undefined, max: number | undefined): string {
  if (min === undefined && max === undefined) return 'all values';
  if (min === undefined) return `< ${formatNumber(max!)}`;
  if (max === undefined) return `>= ${formatNumber(min)}`;
  return `[${formatNumber(min)}, ${formatNumber(max)})`;
}

function categoriesLabel(values: (string | number)[]): string {
  const text = values.map(String).join(', ');
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

function makeBin(kind: Bin['kind'], label: string, good: number, bad: number, totals: { good: number; bad: number }, rows: number, extra: Partial<Bin> = {}): Bin {
  const { woe, iv } = woeIv(good, bad, totals.good, totals.bad);
  const count = good + bad;
  return { kind, label, ...extra, count, good, bad, share: rows ? count / rows : 0, badRate: count ? bad / count : 0, woe, iv };
}

/**
 * Bins one variable on the training rows. `y[r]` is 1 for bad; `rows` lists the training row indices; `special`
 * lists the declared special values of this column (each gets its own bin, also when absent from training).
 */
export function binVariable(col: DataColumn, y: Uint8Array, rows: ArrayLike<number>, special: (string | number)[], options: BinningOptions): VariableBinning {
  const requested = options.trends[col.name] ?? options.trend;
  const nRows = rows.length;
  let totalBad = 0;
  for (let t = 0; t < nRows; t++) totalBad += y[rows[t]!]!;
  const totals = { good: nRows - totalBad, bad: totalBad };
  const warnings: string[] = [];
  const limits = {
    maxBins: options.maxBins,
    minCount: Math.max(1, Math.ceil(options.minBinShare * nRows - 1e-9)),
    minBad: options.minBadCount,
    minGood: options.minGoodCount,
  };

  let missGood = 0;
  let missBad = 0;
  const specGood = special.map(() => 0);
  const specBad = special.map(() => 0);

  let regular: Bin[];
  let trend: Trend = requested;
  let fineGood: number[];
  let fineBad: number[];
  // Per fine class: numeric lower boundary, or category values.
  let fineLow: number[] = [];
  let fineValues: string[][] = [];

  if (col.type === 'numeric') {
    const nums = col.numbers!;
    const specNums = special.map(Number);
    const goodVals: number[] = [];
    const badVals: number[] = [];
    for (let t = 0; t < nRows; t++) {
      const r = rows[t]!;
      const v = nums[r]!;
      const isBad = y[r] === 1;
      if (Number.isNaN(v)) {
        if (isBad) missBad++;
        else missGood++;
        continue;
      }
      const s = specNums.indexOf(v);
      if (s >= 0) {
        if (isBad) specBad[s]!++;
        else specGood[s]!++;
        continue;
      }
      (isBad ? badVals : goodVals).push(v);
    }
    const gs = Float64Array.from(goodVals).sort();
    const bs = Float64Array.from(badVals).sort();
    // Distinct values with their good/bad counts, by merging the two sorted lists.
    const distinct: number[] = [];
    const dGood: number[] = [];
    const dBad: number[] = [];
    let a = 0;
    let b = 0;
    while (a < gs.length || b < bs.length) {
      const v = b >= bs.length || (a < gs.length && gs[a]! <= bs[b]!) ? gs[a]! : bs[b]!;
      let cg = 0;
      let cb = 0;
      while (a < gs.length && gs[a] === v) {
        cg++;
        a++;
      }
      while (b < bs.length && bs[b] === v) {
        cb++;
        b++;
      }
      distinct.push(v);
      dGood.push(cg);
      dBad.push(cb);
    }
    const nRegular = gs.length + bs.length;
    fineGood = [];
    fineBad = [];
    fineLow = [];
    for (const [a, b] of options.prebinning === 'tree' ? treeClasses(dGood, dBad, options.maxPrebins, Math.max(1, options.minPrebinShare * nRows)) : quantileClasses(dGood, dBad, nRegular, nRows, options)) {
      let g = 0;
      let d = 0;
      for (let k = a; k <= b; k++) {
        g += dGood[k]!;
        d += dBad[k]!;
      }
      fineLow.push(distinct[a]!);
      fineGood.push(g);
      fineBad.push(d);
    }
  } else {
    const texts = col.texts!;
    const specTexts = special.map(String);
    const byValue = new Map<string, { good: number; bad: number }>();
    for (let t = 0; t < nRows; t++) {
      const r = rows[t]!;
      const v = texts[r]!;
      const isBad = y[r] === 1;
      if (v === null) {
        if (isBad) missBad++;
        else missGood++;
        continue;
      }
      const s = specTexts.indexOf(v);
      if (s >= 0) {
        if (isBad) specBad[s]!++;
        else specGood[s]!++;
        continue;
      }
      let c = byValue.get(v);
      if (!c) byValue.set(v, (c = { good: 0, bad: 0 }));
      if (isBad) c.bad++;
      else c.good++;
    }
    // Categories ordered by bad rate (ties: larger first, then by name) so groups of neighbours are groups by risk.
    const cats = [...byValue.entries()].sort((p, q) => {
      const rp = p[1].bad / (p[1].good + p[1].bad);
      const rq = q[1].bad / (q[1].good + q[1].bad);
      if (rp !== rq) return rp - rq;
      const np = p[1].good + p[1].bad;
      const nq = q[1].good + q[1].bad;
      if (np !== nq) return nq - np;
      return p[0] < q[0] ? -1 : p[0] > q[0] ? 1 : 0;
    });
    fineGood = cats.map((c) => c[1].good);
    fineBad = cats.map((c) => c[1].bad);
    fineValues = cats.map((c) => [c[0]]);
    // Sorted by bad rate, the only sensible grouping is ascending along that order.
    trend = 'ascending';
  }

  const nFine = fineGood.length;
  let partition: Partition | null = null;
  if (nFine > 0) {
    const fine = { good: fineGood, bad: fineBad };
    if (trend === 'auto') {
      const asc = optimalPartition(fine, totals, limits, 'ascending');
      const desc = optimalPartition(fine, totals, limits, 'descending');
      if (asc && (!desc || asc.iv >= desc.iv)) {
        partition = asc;
        trend = 'ascending';
      } else if (desc) {
        partition = desc;
        trend = 'descending';
      }
      // A peak or valley replaces the monotone shape only when it is clearly stronger: small IV gains from a bend are noise.
      const gain = options.autoBendGain;
      if (partition && col.type === 'numeric' && Number.isFinite(gain)) {
        for (const t of ['peak', 'valley'] as const) {
          const pv = optimalPartition(fine, totals, limits, t);
          if (pv && pv.iv > partition.iv * gain) {
            partition = pv;
            trend = t;
          }
        }
      }
    } else {
      partition = optimalPartition(fine, totals, limits, trend as MonotoneTrend);
    }
    if (partition && partition.groups.length === 1 && nFine > 1) {
      // The constraints were met, but only by lumping every value together: say which one bound, not just "IV 0".
      const asked = trend === 'auto' || trend === 'none' ? 'a monotone trend' : `the ${trend} trend`;
      warnings.push(`${col.name}: ${asked} with at least ${limits.minCount} rows, ${limits.minBad} bads and ${limits.minGood} goods per bin leaves a single bin (IV 0); the data do not support more${trend === 'auto' || trend === 'none' ? '' : ' under this trend (try auto)'}`);
    }
    if (!partition) {
      const g = fineGood.reduce((s, x) => s + x, 0);
      const b = fineBad.reduce((s, x) => s + x, 0);
      const why: string[] = [];
      if (g + b < limits.minCount) why.push(`only ${g + b} rows have a regular value, below the min bin share (${limits.minCount} rows)`);
      if (b < limits.minBad) why.push(`only ${b} bads have a regular value, below the min bad count ${limits.minBad}`);
      if (g < limits.minGood) why.push(`only ${g} goods have a regular value, below the min good count ${limits.minGood}`);
      warnings.push(`${col.name}: no binning meets the constraints (${why.join('; ') || 'trend cannot be met'}); kept as one bin`);
      partition = { groups: [[0, nFine - 1]], iv: 0 };
      if (trend === 'auto') trend = 'none';
    }
  }

  if (col.type === 'numeric') {
    regular = [];
    const groups = partition?.groups ?? [];
    for (let gi = 0; gi < groups.length; gi++) {
      const [i, j] = groups[gi]!;
      let g = 0;
      let b = 0;
      for (let f = i; f <= j; f++) {
        g += fineGood[f]!;
        b += fineBad[f]!;
      }
      const min = gi === 0 ? undefined : fineLow[i]!;
      const max = gi === groups.length - 1 ? undefined : fineLow[groups[gi + 1]![0]]!;
      const extra: Partial<Bin> = {};
      if (min !== undefined) extra.min = min;
      if (max !== undefined) extra.max = max;
      regular.push(makeBin('range', rangeLabel(min, max), g, b, totals, nRows, extra));
    }
    if (regular.length === 0) {
      warnings.push(`${col.name}: no regular values in training (only missing or special); the value range scores neutral`);
      regular.push(makeBin('range', rangeLabel(undefined, undefined), 0, 0, totals, nRows));
    }
  } else {
    regular = [];
    for (const [i, j] of partition?.groups ?? []) {
      let g = 0;
      let b = 0;
      const values: string[] = [];
      for (let f = i; f <= j; f++) {
        g += fineGood[f]!;
        b += fineBad[f]!;
        values.push(...fineValues[f]!);
      }
      regular.push(makeBin('categories', categoriesLabel(values), g, b, totals, nRows, { values }));
    }
  }

  const specialBins = special.map((sv, s) => makeBin('special', `special ${String(sv)}`, specGood[s]!, specBad[s]!, totals, nRows, { values: [sv] }));
  const unseen = specialBins.filter((b) => b.count === 0).map((b) => String(b.values![0]));
  if (unseen.length) warnings.push(`${col.name}: special value(s) ${unseen.join(', ')} not seen in training; they score neutral (WOE 0)`);
  const small = specialBins.filter((b) => b.count > 0 && b.count < limits.minCount);
  for (const b of small) warnings.push(`${col.name}: special value ${String(b.values![0])} has only ${b.count} training rows (below the min bin share); kept in its own bin as declared`);
  const missingBin = makeBin('missing', 'missing', missGood, missBad, totals, nRows);
  if (missingBin.count > 0 && (missGood === 0 || missBad === 0)) {
    warnings.push(`${col.name}: the missing bin has ${missBad} bads and ${missGood} goods; its WOE uses a 0.5 adjustment`);
  }
  const bins = [...regular, ...specialBins, missingBin];
  const iv = bins.reduce((s, b) => s + b.iv, 0);
  return { name: col.name, type: col.type, bins, iv, trend, otherWoe: 0, warnings };
}
