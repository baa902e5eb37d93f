// Ageing rules shared by the per-loan model and the columnar nightly batch, so both age a loan identically.

export const BUCKETS = ['current', '1-30', '31-60', '61-90', '90+'] as const;
export type DelinquencyBucket = (typeof BUCKETS)[number];

/** Bucket index 0..4 of a days-past-due figure; boundaries are inclusive: 30 is 1-30, 31 is 31-60, 91 is 90+. */
export function bucketIndex(dpd: number): number {
  if (dpd <= 0) return 0;
  if (dpd <= 30) return 1;
  if (dpd <= 60) return 2;
  if (dpd <= 90) return 3;
  return 4;
}

export function bucketOf(dpd: number): DelinquencyBucket {
  return BUCKETS[bucketIndex(dpd)]!;
}

/**
 * One day of penalty interest on overdue principal, actual/365: base x penaltyApr / 365 plus the fraction carried
 * from earlier days. Whole minor units are posted; the fraction below one unit is carried, so nothing is lost to
 * rounding however many days accrue.
 */
export function accruePenaltyDay(base: number, penaltyApr: number, carry: number): { posted: number; carry: number } {
  const exact = carry + (base * penaltyApr) / 365;
  const posted = Math.floor(exact);
  return { posted, carry: exact - posted };
}

/**
 * Days past due. Payments settle the oldest billed instalments first, so what is still owed is the newest part of
 * the billed amounts: walking back from the newest billed instalment until `outstanding` is covered finds the
 * oldest instalment not fully paid; DPD counts days since its due day (0 on the due day itself).
 * `amounts[i]`/`dues[i]` are the billed instalments (principal + interest + fee) in due order.
 */
export function daysPastDue(day: number, outstanding: number, billedCount: number, amountAt: (i: number) => number, dueAt: (i: number) => number): number {
  if (outstanding <= 0 || billedCount === 0) return 0;
  let covered = 0;
  let i = billedCount - 1;
  for (; i > 0; i--) {
    covered += amountAt(i);
    if (covered >= outstanding) break;
  }
  return Math.max(0, day - dueAt(i));
}
