// Money is always an integer number of minor units (cents, fen) with its ISO 4217 currency.
// Floats never carry money; rates (APR, shares) are plain numbers and are applied with explicit rounding.

export interface Money {
  amount: number; // integer minor units
  currency: string;
}

export function assertMinorUnits(amount: number, field = 'amount'): number {
  if (!Number.isSafeInteger(amount)) throw new RangeError(`${field} must be an integer number of minor units, got ${amount}`);
  return amount;
}

/** Rounds half away from zero to the minor unit: the rounding used for interest, fees and instalments. */
export function roundMinor(x: number): number {
  return x < 0 ? -Math.round(-x) : Math.round(x);
}

/** Splits a total into n integer parts that sum exactly to the total, the remainder going to the last part. */
export function splitEvenly(total: number, n: number): number[] {
  const base = Math.trunc(total / n);
  const parts = new Array<number>(n).fill(base);
  parts[n - 1] = total - base * (n - 1);
  return parts;
}
