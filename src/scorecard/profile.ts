// Profiling: the type of every column (numeric when every present value parses as a number), missing rate, distinct
// values and declared special values found; and the typed column the binning reads.

import { categoricalValue, numericValue } from './values.ts';
import type { DataColumn } from './binning.ts';
import type { ColumnProfile, Table } from './types.ts';

export function profileColumn(table: Table, c: number, special: (string | number)[]): { profile: ColumnProfile; column: DataColumn } {
  const name = table.columns[c]!;
  const n = table.rows.length;
  let numeric = true;
  let missing = 0;
  for (let r = 0; r < n; r++) {
    const v = numericValue(table.rows[r]![c]);
    if (v === null) missing++;
    else if (Number.isNaN(v)) {
      numeric = false;
      break;
    }
  }
  const specialCounts: Record<string, number> = {};
  for (const s of special) specialCounts[String(s)] = 0;
  if (numeric) {
    const numbers = new Float64Array(n);
    const specNums = special.map(Number);
    const distinct = new Set<number>();
    let min = Infinity;
    let max = -Infinity;
    let sum = 0;
    let regular = 0;
    for (let r = 0; r < n; r++) {
      const v = numericValue(table.rows[r]![c]);
      numbers[r] = v === null ? Number.NaN : v;
      if (v === null) continue;
      distinct.add(v);
      const s = specNums.indexOf(v);
      if (s >= 0) {
        specialCounts[String(special[s])]!++;
        continue;
      }
      min = Math.min(min, v);
      max = Math.max(max, v);
      sum += v;
      regular++;
    }
    const profile: ColumnProfile = { name, type: 'numeric', rows: n, missing, missingRate: n ? missing / n : 0, distinct: distinct.size, special: specialCounts };
    if (regular) {
      profile.min = min;
      profile.max = max;
      profile.mean = sum / regular;
    }
    return { profile, column: { name, type: 'numeric', numbers } };
  }
  const texts: (string | null)[] = new Array(n);
  const counts = new Map<string, number>();
  missing = 0;
  const specTexts = special.map(String);
  for (let r = 0; r < n; r++) {
    const v = categoricalValue(table.rows[r]![c]);
    texts[r] = v;
    if (v === null) {
      missing++;
      continue;
    }
    counts.set(v, (counts.get(v) ?? 0) + 1);
    if (specTexts.includes(v)) specialCounts[v]!++;
  }
  const top = [...counts.entries()]
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
    .slice(0, 10)
    .map(([value, count]) => ({ value, count }));
  const profile: ColumnProfile = { name, type: 'categorical', rows: n, missing, missingRate: n ? missing / n : 0, distinct: counts.size, special: specialCounts, top };
  return { profile, column: { name, type: 'categorical', texts } };
}
