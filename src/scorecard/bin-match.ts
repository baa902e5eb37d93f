// The one place a raw value is put in a bin. Training (WOE transform), file scoring and single-row scoring all call
// locateBin, and its order is the engine's: missing first, then special values, then the bins, then `other`.

import { categoricalValue, numericValue, specialMatches } from './values.ts';
import type { VariableType } from './types.ts';

export interface BinSet {
  type: VariableType;
  bins: { min?: number; max?: number; values?: (string | number)[] }[];
  special: { values: (string | number)[] }[];
}

export type BinLocation =
  | { kind: 'missing' }
  | { kind: 'special'; index: number }
  | { kind: 'bin'; index: number }
  | { kind: 'other' };

const MISSING: BinLocation = { kind: 'missing' };
const OTHER: BinLocation = { kind: 'other' };

export function locateBin(set: BinSet, raw: unknown): BinLocation {
  if (set.type === 'numeric') {
    const v = numericValue(raw);
    if (v === null) return MISSING;
    if (Number.isNaN(v)) return OTHER;
    for (let s = 0; s < set.special.length; s++) {
      for (const sv of set.special[s]!.values) if (specialMatches('numeric', sv, v)) return { kind: 'special', index: s };
    }
    for (let i = 0; i < set.bins.length; i++) {
      const b = set.bins[i]!;
      if (b.values) continue;
      if ((b.min === undefined || v >= b.min) && (b.max === undefined || v < b.max)) return { kind: 'bin', index: i };
    }
    return OTHER;
  }
  const v = categoricalValue(raw);
  if (v === null) return MISSING;
  for (let s = 0; s < set.special.length; s++) {
    for (const sv of set.special[s]!.values) if (specialMatches('categorical', sv, v)) return { kind: 'special', index: s };
  }
  for (let i = 0; i < set.bins.length; i++) {
    const values = set.bins[i]!.values;
    if (values && values.some((x) => String(x) === v)) return { kind: 'bin', index: i };
  }
  return OTHER;
}
