// Data quality of variables from recorded decision values: missing rate, distribution, and the change between two
// periods (including the population stability index risk teams watch). Pure functions over arrays.

export interface NumericProfile {
  min: number;
  max: number;
  mean: number;
  /** p1, p5, p25, p50, p75, p95, p99 by the nearest-rank method. */
  quantiles: Record<'p1' | 'p5' | 'p25' | 'p50' | 'p75' | 'p95' | 'p99', number>;
}

export interface VariableProfile {
  count: number;
  missing: number;
  missingRate: number;
  /** Present only when every present value is a finite number. */
  numeric: NumericProfile | null;
  distinct: number;
  /** Most frequent values (as JSON text), most frequent first, ties by value. */
  topValues: { value: string; count: number; share: number }[];
}

const QUANTILES = { p1: 0.01, p5: 0.05, p25: 0.25, p50: 0.5, p75: 0.75, p95: 0.95, p99: 0.99 } as const;

function isMissing(v: unknown): boolean {
  return v === undefined || v === null || (typeof v === 'number' && Number.isNaN(v));
}

/** Nearest-rank quantile of sorted values. */
export function quantile(sorted: readonly number[], q: number): number {
  if (!sorted.length) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}

export function profileValues(values: readonly unknown[], top = 10): VariableProfile {
  const present = values.filter((v) => !isMissing(v));
  const counts = new Map<string, number>();
  for (const v of present) {
    const k = JSON.stringify(v);
    counts.set(k, (counts.get(k) ?? 0) + 1);
  }
  const allNumeric = present.length > 0 && present.every((v) => typeof v === 'number' && Number.isFinite(v));
  let numeric: NumericProfile | null = null;
  if (allNumeric) {
    const sorted = (present as number[]).slice().sort((a, b) => a - b);
    const mean = sorted.reduce((s, x) => s + x, 0) / sorted.length;
    const quantiles = Object.fromEntries(Object.entries(QUANTILES).map(([k, q]) => [k, quantile(sorted, q)])) as NumericProfile['quantiles'];
    numeric = { min: sorted[0]!, max: sorted[sorted.length - 1]!, mean, quantiles };
  }
  const topValues = [...counts]
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
    .slice(0, top)
    .map(([value, count]) => ({ value, count, share: count / present.length }));
  const missing = values.length - present.length;
  return { count: values.length, missing, missingRate: values.length ? missing / values.length : 0, numeric, distinct: counts.size, topValues };
}

/** Profiles of the named variables (default: every key seen) over decision records `{ name: value }`. */
export function profileRecords(records: readonly Record<string, unknown>[], names?: readonly string[]): Record<string, VariableProfile> {
  const keys = names ?? [...new Set(records.flatMap((r) => Object.keys(r)))].sort();
  return Object.fromEntries(keys.map((k) => [k, profileValues(records.map((r) => r[k]))]));
}

export interface ProfileChange {
  missingRateChange: number;
  meanChange: number | null;
  /** Change of each quantile (current minus baseline). */
  quantileChange: Record<string, number> | null;
  /**
   * Population stability index of the current period against the baseline: numeric values binned at the baseline's
   * deciles, other values by category. Usual reading: < 0.1 stable, 0.1-0.25 watch, > 0.25 shifted.
   */
  psi: number;
  /** Top values of either period whose share moved, largest move first. */
  topValueShareChange: { value: string; baseline: number; current: number }[];
}

const PSI_FLOOR = 1e-4; // empty bins get a small share so the log stays finite

function psiFromShares(base: number[], cur: number[]): number {
  let psi = 0;
  for (let i = 0; i < base.length; i++) {
    const b = Math.max(base[i]!, PSI_FLOOR);
    const c = Math.max(cur[i]!, PSI_FLOOR);
    psi += (c - b) * Math.log(c / b);
  }
  return psi;
}

/** Population stability index of two samples (missing values form their own bin). */
export function populationStabilityIndex(baseline: readonly unknown[], current: readonly unknown[]): number {
  if (!baseline.length || !current.length) return 0;
  const bp = baseline.filter((v) => !isMissing(v));
  const cp = current.filter((v) => !isMissing(v));
  const numeric = [...bp, ...cp].every((v) => typeof v === 'number' && Number.isFinite(v)) && bp.length > 0;
  const binOf = (() => {
    if (numeric) {
      const sorted = (bp as number[]).slice().sort((a, b) => a - b);
      const cuts = [...new Set([0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9].map((q) => quantile(sorted, q)))];
      return (v: unknown) => {
        const x = v as number;
        let i = 0;
        while (i < cuts.length && x > cuts[i]!) i++;
        return String(i);
      };
    }
    return (v: unknown) => JSON.stringify(v);
  })();
  const shares = (values: readonly unknown[]) => {
    const m = new Map<string, number>();
    for (const v of values) {
      const k = isMissing(v) ? '\u0000missing' : binOf(v);
      m.set(k, (m.get(k) ?? 0) + 1);
    }
    return m;
  };
  const b = shares(baseline);
  const c = shares(current);
  const bins = [...new Set([...b.keys(), ...c.keys()])];
  return psiFromShares(bins.map((k) => (b.get(k) ?? 0) / baseline.length), bins.map((k) => (c.get(k) ?? 0) / current.length));
}

/** How a variable changed from a baseline period to a current one. */
export function compareProfiles(baselineValues: readonly unknown[], currentValues: readonly unknown[]): ProfileChange {
  const base = profileValues(baselineValues, 20);
  const cur = profileValues(currentValues, 20);
  const quantileChange = base.numeric && cur.numeric ? Object.fromEntries(Object.keys(QUANTILES).map((k) => [k, cur.numeric!.quantiles[k as keyof NumericProfile['quantiles']] - base.numeric!.quantiles[k as keyof NumericProfile['quantiles']]])) : null;
  const shareIn = (p: VariableProfile, v: string) => p.topValues.find((t) => t.value === v)?.share ?? 0;
  const values = [...new Set([...base.topValues, ...cur.topValues].map((t) => t.value))];
  const topValueShareChange = values
    .map((value) => ({ value, baseline: shareIn(base, value), current: shareIn(cur, value) }))
    .filter((t) => t.baseline !== t.current)
    .sort((a, b) => Math.abs(b.current - b.baseline) - Math.abs(a.current - a.baseline) || (a.value < b.value ? -1 : 1))
    .slice(0, 10);
  return {
    missingRateChange: cur.missingRate - base.missingRate,
    meanChange: base.numeric && cur.numeric ? cur.numeric.mean - base.numeric.mean : null,
    quantileChange,
    psi: populationStabilityIndex(baselineValues, currentValues),
    topValueShareChange,
  };
}
