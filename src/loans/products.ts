// Loan products the service offers. The price comes from the decision's price band; the product says which bands
// it lends to and at what APR, the terms, fees, limits and servicing terms.
import type { LoanProduct } from './offer.ts';

export interface PricedProduct extends LoanProduct {
  /** APR by the decision's price band; a decision with a band not listed gets no offer from this product. */
  aprByPriceBand: Record<string, number>;
  /** APR when the decision has no price band at all. */
  defaultApr: number;
  /**
   * The routing rating (A best .. E) of a loan by its decision's price band: funders take loans by rating, and a
   * band without one here routes as E.
   */
  ratingByPriceBand: Record<string, 'A' | 'B' | 'C' | 'D' | 'E'>;
  /** The product category funders list in `products` (`cash`, `consumer`, `sme`). */
  fundingCategory: string;
}

export const DEFAULT_PRODUCTS: readonly PricedProduct[] = [
  {
    productId: 'consumer-cash',
    currency: 'CNY',
    terms: [3, 6, 9, 12, 18, 24],
    minAmount: 50_000,
    maxAmount: 20_000_000,
    method: 'annuity',
    originationFeeRate: 0.01,
    monthlyFeeRate: 0,
    validityDays: 7,
    servicing: { penaltyApr: 0.18, chargeOffDpd: 180, partialStreakAlert: 3, prepaymentFeeRate: 0 },
    // P1-P5: the bands examples/flows/consumer-loan.yaml prices by grade (its own APR per band; A's longer terms
    // at the higher one). A-E: flows that band by rating letter directly.
    aprByPriceBand: { P1: 0.099, P2: 0.129, P3: 0.169, P4: 0.219, P5: 0.24, A: 0.108, B: 0.144, C: 0.18, D: 0.24, E: 0.3 },
    defaultApr: 0.24,
    // consumer-loan's bands follow its grades A-E (P1 = grade A, ..., P5 = the rest).
    ratingByPriceBand: { P1: 'A', P2: 'B', P3: 'C', P4: 'D', P5: 'E', A: 'A', B: 'B', C: 'C', D: 'D', E: 'E' },
    fundingCategory: 'cash',
  },
];
