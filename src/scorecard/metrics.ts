// Validation measures over scores where a HIGHER score means LOWER risk, with y = 1 for bad. Ties are handled as
// groups: AUC counts a tied good/bad pair as one half; KS is taken only between distinct scores.

export interface ScoreGroup {
  score: number;
  good: number;
  bad: number;
}

/** Distinct scores ascending with their good/bad counts. */
export function groupScores(scores: ArrayLike<number>, y: ArrayLike<number>): ScoreGroup[] {
  const n = scores.length;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => scores[a]! - scores[b]! || a - b);
  const groups: ScoreGroup[] = [];
  for (const i of order) {
    const s = scores[i]!;
    let g = groups[groups.length - 1];
    if (!g || g.score !== s) groups.push((g = { score: s, good: 0, bad: 0 }));
    if (y[i] === 1) g.bad++;
    else g.good++;
  }
  return groups;
}

/** Probability that a random good scores above a random bad, ties counting one half (Mann-Whitney U / (G*B)). */
export function auc(scores: ArrayLike<number>, y: ArrayLike<number>): number {
  const groups = groupScores(scores, y);
  let badBelow = 0;
  let sum = 0;
  let G = 0;
  let B = 0;
  for (const g of groups) {
    sum += g.good * (badBelow + 0.5 * g.bad);
    badBelow += g.bad;
    G += g.good;
    B += g.bad;
  }
  return G && B ? sum / (G * B) : Number.NaN;
}

/** Kolmogorov-Smirnov: the largest gap between the cumulative bad and good distributions, and the score where it occurs (cut: score <= at). */
export function ks(scores: ArrayLike<number>, y: ArrayLike<number>): { ks: number; at: number } {
  const groups = groupScores(scores, y);
  const G = groups.reduce((s, g) => s + g.good, 0);
  const B = groups.reduce((s, g) => s + g.bad, 0);
  let cg = 0;
  let cb = 0;
  let best = 0;
  let at = Number.NaN;
  for (const g of groups) {
    cg += g.good;
    cb += g.bad;
    const gap = Math.abs(cb / B - cg / G);
    if (gap > best + 1e-15) {
      best = gap;
      at = g.score;
    }
  }
  return { ks: G && B ? best : Number.NaN, at };
}

/** ROC points (false positive rate = goods flagged, true positive rate = bads flagged) flagging score <= threshold. */
export function rocCurve(scores: ArrayLike<number>, y: ArrayLike<number>): { fpr: number; tpr: number; score: number }[] {
  const groups = groupScores(scores, y);
  const G = groups.reduce((s, g) => s + g.good, 0) || 1;
  const B = groups.reduce((s, g) => s + g.bad, 0) || 1;
  const points = [{ fpr: 0, tpr: 0, score: Number.NEGATIVE_INFINITY }];
  let cg = 0;
  let cb = 0;
  for (const g of groups) {
    cg += g.good;
    cb += g.bad;
    points.push({ fpr: cg / G, tpr: cb / B, score: g.score });
  }
  return points;
}

export interface GainsRow {
  decile: number;
  count: number;
  bad: number;
  badRate: number;
  minScore: number;
  maxScore: number;
  cumCount: number;
  cumBad: number;
  /** Share of all bads captured up to this decile. */
  cumBadCapture: number;
  lift: number;
  cumLift: number;
}

/** Order by score ascending (riskiest first), ties by row order, cut into `groups` equal-count groups. */
export function gainsTable(scores: ArrayLike<number>, y: ArrayLike<number>, groups = 10): GainsRow[] {
  const n = scores.length;
  if (n === 0) return [];
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => scores[a]! - scores[b]! || a - b);
  let B = 0;
  for (let i = 0; i < n; i++) B += y[i] === 1 ? 1 : 0;
  const overall = B / n;
  const rows: GainsRow[] = [];
  let cumCount = 0;
  let cumBad = 0;
  for (let d = 0; d < groups; d++) {
    const from = Math.floor((d * n) / groups);
    const to = Math.floor(((d + 1) * n) / groups);
    if (to <= from) continue;
    let bad = 0;
    for (let k = from; k < to; k++) bad += y[order[k]!] === 1 ? 1 : 0;
    const count = to - from;
    cumCount += count;
    cumBad += bad;
    const badRate = bad / count;
    rows.push({
      decile: d + 1,
      count,
      bad,
      badRate,
      minScore: scores[order[from]!]!,
      maxScore: scores[order[to - 1]!]!,
      cumCount,
      cumBad,
      cumBadCapture: B ? cumBad / B : 0,
      lift: overall ? badRate / overall : 0,
      cumLift: overall ? cumBad / cumCount / overall : 0,
    });
  }
  return rows;
}

export interface ScoreBandRow {
  min: number;
  max: number;
  count: number;
  bad: number;
  badRate: number;
  share: number;
}

/** Bad rate by score band [min, max) of a fixed width; the width is a round number giving at most 12 bands. */
export function scoreBands(scores: ArrayLike<number>, y: ArrayLike<number>): ScoreBandRow[] {
  const n = scores.length;
  if (n === 0) return [];
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < n; i++) {
    lo = Math.min(lo, scores[i]!);
    hi = Math.max(hi, scores[i]!);
  }
  const widths = [1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000];
  const width = widths.find((w) => Math.floor(hi / w) - Math.floor(lo / w) + 1 <= 12) ?? 10 ** Math.ceil(Math.log10(hi - lo + 1));
  const first = Math.floor(lo / width) * width;
  const count = Math.floor((hi - first) / width) + 1;
  const rows: ScoreBandRow[] = Array.from({ length: count }, (_, k) => ({ min: first + k * width, max: first + (k + 1) * width, count: 0, bad: 0, badRate: 0, share: 0 }));
  for (let i = 0; i < n; i++) {
    const r = rows[Math.floor((scores[i]! - first) / width)]!;
    r.count++;
    if (y[i] === 1) r.bad++;
  }
  for (const r of rows) {
    r.badRate = r.count ? r.bad / r.count : 0;
    r.share = r.count / n;
  }
  return rows;
}

export interface CalibrationRow {
  group: number;
  count: number;
  predicted: number;
  observed: number;
}

/** Predicted vs observed bad rate by decile of predicted probability; Brier score and Hosmer-Lemeshow statistic. */
export function calibration(probabilities: ArrayLike<number>, y: ArrayLike<number>, groups = 10): { rows: CalibrationRow[]; brier: number; hosmerLemeshow: number } {
  const n = probabilities.length;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => probabilities[a]! - probabilities[b]! || a - b);
  const rows: CalibrationRow[] = [];
  let hl = 0;
  for (let d = 0; d < groups; d++) {
    const from = Math.floor((d * n) / groups);
    const to = Math.floor(((d + 1) * n) / groups);
    if (to <= from) continue;
    let p = 0;
    let o = 0;
    for (let k = from; k < to; k++) {
      p += probabilities[order[k]!]!;
      o += y[order[k]!] === 1 ? 1 : 0;
    }
    const count = to - from;
    rows.push({ group: d + 1, count, predicted: p / count, observed: o / count });
    const pbar = p / count;
    if (pbar > 0 && pbar < 1) hl += (o - p) ** 2 / (count * pbar * (1 - pbar));
  }
  let brier = 0;
  for (let i = 0; i < n; i++) brier += (probabilities[i]! - (y[i] === 1 ? 1 : 0)) ** 2;
  return { rows, brier: n ? brier / n : Number.NaN, hosmerLemeshow: hl };
}

export interface SetMetrics {
  rows: number;
  bads: number;
  badRate: number;
  auc: number;
  gini: number;
  ks: number;
  ksScore: number;
  gains: GainsRow[];
  scoreBands: ScoreBandRow[];
  calibration: { rows: CalibrationRow[]; brier: number; hosmerLemeshow: number };
}

export function evaluateSet(scores: ArrayLike<number>, probabilities: ArrayLike<number>, y: ArrayLike<number>): SetMetrics {
  let bads = 0;
  for (let i = 0; i < y.length; i++) bads += y[i] === 1 ? 1 : 0;
  const a = auc(scores, y);
  const k = ks(scores, y);
  return {
    rows: y.length,
    bads,
    badRate: y.length ? bads / y.length : 0,
    auc: a,
    gini: 2 * a - 1,
    ks: k.ks,
    ksScore: k.at,
    gains: gainsTable(scores, y),
    scoreBands: scoreBands(scores, y),
    calibration: calibration(probabilities, y),
  };
}
