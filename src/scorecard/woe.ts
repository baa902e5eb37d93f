// Weight of evidence and information value, Siddiqi's sign convention: WOE = ln(%good / %bad), so a higher WOE
// means lower risk and a good scorecard has negative coefficients on WOE when it predicts bad.

/** Added to an empty cell (no goods or no bads in a bin) so its WOE stays finite; bins with both keep exact counts. */
export const ZERO_CELL_ADJUSTMENT = 0.5;

export function woeIv(good: number, bad: number, totalGood: number, totalBad: number): { woe: number; iv: number } {
  if (good + bad === 0 || totalGood === 0 || totalBad === 0) return { woe: 0, iv: 0 };
  const g = good === 0 || bad === 0 ? good + ZERO_CELL_ADJUSTMENT : good;
  const b = good === 0 || bad === 0 ? bad + ZERO_CELL_ADJUSTMENT : bad;
  const pg = g / totalGood;
  const pb = b / totalBad;
  const woe = Math.log(pg / pb);
  return { woe, iv: (pg - pb) * woe };
}
