// Variable selection on WOE-transformed training columns: IV thresholds, pairwise correlation, VIF, optional forward
// stepwise by BIC, then a fit that removes wrong-signed or insignificant variables one at a time.

import { fitLogistic, invertSymmetric, type LogisticFit } from './logistic.ts';
import type { SelectionOptions } from './types.ts';

export interface Candidate {
  name: string;
  iv: number;
  /** WOE value of every training row. */
  woe: Float64Array;
}

export interface SelectionResult {
  selected: string[];
  fit: LogisticFit;
  /** Variable -> why it was dropped (absent when selected). */
  dropped: Map<string, string>;
  warnings: string[];
}

export function pearson(a: Float64Array, b: Float64Array): number {
  const n = a.length;
  let ma = 0;
  let mb = 0;
  for (let i = 0; i < n; i++) {
    ma += a[i]!;
    mb += b[i]!;
  }
  ma /= n;
  mb /= n;
  let sab = 0;
  let saa = 0;
  let sbb = 0;
  for (let i = 0; i < n; i++) {
    const da = a[i]! - ma;
    const db = b[i]! - mb;
    sab += da * db;
    saa += da * da;
    sbb += db * db;
  }
  return saa > 0 && sbb > 0 ? sab / Math.sqrt(saa * sbb) : 0;
}

/** Variance inflation factors: the diagonal of the inverse correlation matrix. */
export function vifs(columns: Float64Array[]): number[] {
  const p = columns.length;
  if (p < 2) return columns.map(() => 1);
  const R = new Float64Array(p * p);
  for (let i = 0; i < p; i++) {
    R[i * p + i] = 1;
    for (let j = 0; j < i; j++) R[i * p + j] = R[j * p + i] = pearson(columns[i]!, columns[j]!);
  }
  const inv = invertSymmetric(R, p);
  return Array.from({ length: p }, (_, i) => inv[i * p + i]!);
}

const fmt = (x: number) => x.toFixed(3);

export function selectVariables(candidates: Candidate[], y: Uint8Array, options: SelectionOptions, l2: number, onStep?: () => void): SelectionResult {
  const dropped = new Map<string, string>();
  const warnings: string[] = [];
  const forced = new Set(options.force);
  const byName = new Map(candidates.map((c) => [c.name, c]));

  // IV thresholds; strongest first.
  let pool: Candidate[] = [];
  for (const c of [...candidates].sort((a, b) => b.iv - a.iv || (a.name < b.name ? -1 : 1))) {
    if (c.iv > 0.5) warnings.push(`${c.name}: IV ${fmt(c.iv)} is suspiciously high; check it is known at application time`);
    if (!forced.has(c.name) && c.iv < options.minIv) dropped.set(c.name, `IV ${fmt(c.iv)} below ${options.minIv}`);
    // maxIv comes back as null from a scorecard.json (JSON has no Infinity): null means no limit.
    else if (!forced.has(c.name) && typeof options.maxIv === 'number' && c.iv > options.maxIv) dropped.set(c.name, `IV ${fmt(c.iv)} above ${options.maxIv}`);
    else pool.push(c);
  }

  // Pairwise correlation: keep the stronger of each correlated pair.
  const kept: Candidate[] = [];
  for (const c of pool) {
    const clash = kept.find((k) => Math.abs(pearson(k.woe, c.woe)) > options.maxCorrelation);
    if (clash && !forced.has(c.name)) dropped.set(c.name, `WOE correlation ${fmt(pearson(clash.woe, c.woe))} with ${clash.name} (higher IV)`);
    else kept.push(c);
  }
  pool = kept;

  // VIF: drop the worst offender until all are within the limit.
  while (pool.length > 1) {
    const v = vifs(pool.map((c) => c.woe));
    let worst = -1;
    for (let i = 0; i < pool.length; i++) if (!forced.has(pool[i]!.name) && v[i]! > options.maxVif && (worst < 0 || v[i]! > v[worst]!)) worst = i;
    if (worst < 0) break;
    dropped.set(pool[worst]!.name, `VIF ${v[worst]!.toFixed(2)} above ${options.maxVif}`);
    pool.splice(worst, 1);
  }

  const fit = (names: string[]) => {
    onStep?.();
    return fitLogistic(names.map((n) => byName.get(n)!.woe), y, l2);
  };

  let selected = pool.map((c) => c.name);
  if (options.stepwise === 'forward') {
    const chosen: string[] = pool.filter((c) => forced.has(c.name)).map((c) => c.name);
    let current = fit(chosen).bic;
    const remaining = selected.filter((n) => !chosen.includes(n));
    while (remaining.length) {
      let bestName = '';
      let bestBic = current;
      for (const name of remaining) {
        const b = fit([...chosen, name]).bic;
        if (b < bestBic - 1e-9) {
          bestBic = b;
          bestName = name;
        }
      }
      if (!bestName) break;
      chosen.push(bestName);
      remaining.splice(remaining.indexOf(bestName), 1);
      current = bestBic;
    }
    for (const n of remaining) dropped.set(n, 'not chosen by forward stepwise (no BIC gain)');
    selected = chosen;
  }
  if (selected.length > options.maxVariables) {
    for (const n of selected.slice(options.maxVariables)) dropped.set(n, `beyond the ${options.maxVariables}-variable limit`);
    selected = selected.slice(0, options.maxVariables);
  }

  // Fit; remove wrong signs (a higher WOE must mean lower risk: coefficient < 0) and insignificant terms one at a time.
  let model = fit(selected);
  while (selected.length) {
    const open = selected.map((_, i) => i).filter((i) => !forced.has(selected[i]!));
    const pOf = (i: number) => model.pValues[i + 1]!;
    const byP = (a: number, b: number) => (pOf(b) > pOf(a) ? b : a);
    const wrong = options.dropWrongSign ? open.filter((i) => model.coefficients[i]! > 0) : [];
    const weak = open.filter((i) => pOf(i) > options.maxPValue);
    let worst = -1;
    let reason = '';
    if (wrong.length) {
      worst = wrong.reduce(byP);
      reason = `wrong sign: coefficient ${model.coefficients[worst]!.toFixed(4)} on WOE should be negative (dropped, p=${pOf(worst).toFixed(3)})`;
    } else if (weak.length) {
      worst = weak.reduce(byP);
      reason = `p-value ${pOf(worst).toFixed(3)} above ${options.maxPValue}`;
    }
    if (worst < 0) break;
    const name = selected[worst]!;
    dropped.set(name, reason);
    if (reason.startsWith('wrong')) warnings.push(`${name}: ${reason}`);
    selected = selected.filter((n) => n !== name);
    model = fit(selected);
  }
  selected.forEach((name, i) => {
    if (model.coefficients[i]! > 0) warnings.push(`${name}: wrong sign: coefficient ${model.coefficients[i]!.toFixed(4)} on WOE should be negative (kept)`);
  });
  return { selected, fit: model, dropped, warnings };
}
