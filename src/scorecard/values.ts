// How a raw cell becomes a value. Training, batch scoring and single-row scoring all read values through these two
// functions, so a file row and an API row with the same content land in the same bin.

import { isMissing } from '../kernel/missing-values.ts';

export { isMissing };

/** A numeric reading: null when missing, NaN when present but not a number. */
export function numericValue(v: unknown): number | null {
  if (isMissing(v)) return null;
  if (typeof v === 'number') return Number.isFinite(v) ? v : Number.NaN;
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (typeof v === 'string') {
    const t = v.trim();
    const n = Number(t);
    return t !== '' && Number.isFinite(n) ? n : Number.NaN;
  }
  return Number.NaN;
}

/** A categorical reading: null when missing, otherwise the text. */
export function categoricalValue(v: unknown): string | null {
  if (isMissing(v)) return null;
  return typeof v === 'string' ? v : String(v);
}

/** Special values are declared as text (`-9`) and compared numerically for numeric variables. */
export function specialMatches(type: 'numeric' | 'categorical', special: string | number, v: number | string): boolean {
  if (type === 'numeric') return Number(special) === v;
  return String(special) === v;
}
