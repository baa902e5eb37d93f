// What counts as a missing value for a scorecard attribute. Training reads CSV cells, a flow reads JSON fields and a
// warehouse reads SQL columns: all three must put `""`, `NA` or `null` text in the same (missing) bin, or the flow
// scores differently from the scorecard the modeller validated.

/** Text read as missing, compared trimmed and lower-cased. */
export const MISSING_TEXT: readonly string[] = ['', 'na', 'nan', 'null', 'n/a'];
const MISSING_TEXT_SET = new Set(MISSING_TEXT);

export function isMissing(v: unknown): boolean {
  if (v === null || v === undefined) return true;
  if (typeof v === 'number') return Number.isNaN(v);
  if (typeof v === 'string') return MISSING_TEXT_SET.has(v.trim().toLowerCase());
  return false;
}
