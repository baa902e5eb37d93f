// Offers: an approved decision plus the borrower's choice of amount and term, priced by the product. Accepting an
// open offer before it expires books the loan.
import { MingjianError, type ErrorDetail } from '../kernel/errors.ts';
import { roundMinor } from '../kernel/money.ts';
import { bookLoan, validateTerms, type LoanAccount, type ServicingTerms } from './loan-account.ts';
import { generateSchedule, scheduleTotals, type RepaymentMethod, type ScheduleLine } from './schedule.ts';

export interface ApprovedDecision {
  applicationId: string;
  /** Only 'approve' yields an offer. */
  outcome: string;
  /** Maximum amount the decision allows, minor units. */
  creditLine: number;
  currency: string;
  /** Price set by the decision (e.g. by risk grade). */
  apr: number;
}

export interface LoanProduct {
  productId: string;
  currency: string;
  /** Terms offered, in months. */
  terms: number[];
  minAmount: number;
  maxAmount: number;
  method: RepaymentMethod;
  /** Charged once, deducted from the amount paid out (rate of the principal). */
  originationFeeRate: number;
  /** Charged with every instalment (rate of the principal per month). */
  monthlyFeeRate: number;
  /** Days the offer stays open. */
  validityDays: number;
  servicing?: Partial<ServicingTerms>;
}

export interface OfferRequest {
  amount: number;
  termMonths: number;
}

export interface Offer {
  offerId: string;
  applicationId: string;
  productId: string;
  currency: string;
  amount: number;
  termMonths: number;
  apr: number;
  method: RepaymentMethod;
  originationFee: number;
  monthlyFee: number;
  /** Amount paid out: the amount less the origination fee. */
  netDisbursement: number;
  /** Illustrative schedule if disbursed on the offer day; the real one starts on the disbursement day. */
  schedule: ScheduleLine[];
  totalRepayable: number;
  createdDay: number;
  /** Last day the offer can be accepted. */
  expiresDay: number;
  status: 'open' | 'accepted' | 'declined';
  loanId?: string;
}

export function makeOffer(offerId: string, decision: ApprovedDecision, request: OfferRequest, product: LoanProduct, day: number): Offer {
  const errors: ErrorDetail[] = [];
  if (decision.outcome !== 'approve') throw new MingjianError('CONFLICT', `application ${decision.applicationId} was not approved (outcome '${decision.outcome}')`, [{ path: 'decision.outcome', message: `is '${decision.outcome}', needs 'approve'` }]);
  if (decision.currency !== product.currency) errors.push({ path: 'decision.currency', message: `is ${decision.currency} but product ${product.productId} lends in ${product.currency}` });
  if (!Number.isSafeInteger(decision.creditLine) || decision.creditLine <= 0) errors.push({ path: 'decision.creditLine', message: 'must be a positive integer number of minor units' });
  if (!(decision.apr >= 0 && decision.apr <= 10)) errors.push({ path: 'decision.apr', message: 'must be a decimal rate between 0 and 10' });
  const max = Math.min(decision.creditLine, product.maxAmount);
  if (!Number.isSafeInteger(request.amount) || request.amount < product.minAmount || request.amount > max) {
    errors.push({ path: 'request.amount', message: `must be an integer number of minor units from ${product.minAmount} to ${max} (credit line ${decision.creditLine}, product maximum ${product.maxAmount})` });
  }
  if (!product.terms.includes(request.termMonths)) errors.push({ path: 'request.termMonths', message: `must be one of ${product.terms.join(', ')}`, expected: product.terms.join(' | ') });
  if (!(product.originationFeeRate >= 0 && product.originationFeeRate < 1)) errors.push({ path: 'product.originationFeeRate', message: 'must be a rate in [0, 1)' });
  if (!(product.monthlyFeeRate >= 0 && product.monthlyFeeRate < 1)) errors.push({ path: 'product.monthlyFeeRate', message: 'must be a rate in [0, 1)' });
  if (!Number.isInteger(product.validityDays) || product.validityDays < 0) errors.push({ path: 'product.validityDays', message: 'must be a non-negative integer' });
  if (errors.length) throw new MingjianError('VALIDATION', 'cannot make an offer', errors);
  validateTerms(product.servicing ?? {});
  const originationFee = roundMinor(request.amount * product.originationFeeRate);
  const monthlyFee = roundMinor(request.amount * product.monthlyFeeRate);
  const schedule = generateSchedule({ principal: request.amount, termMonths: request.termMonths, apr: decision.apr, method: product.method, startDay: day, monthlyFee });
  return {
    offerId,
    applicationId: decision.applicationId,
    productId: product.productId,
    currency: product.currency,
    amount: request.amount,
    termMonths: request.termMonths,
    apr: decision.apr,
    method: product.method,
    originationFee,
    monthlyFee,
    netDisbursement: request.amount - originationFee,
    schedule,
    totalRepayable: scheduleTotals(schedule).total,
    createdDay: day,
    expiresDay: day + product.validityDays,
    status: 'open',
  };
}

/** Accepts an open offer on or before its expiry day and books the loan. */
export function acceptOffer(offer: Offer, loanId: string, day: number, servicing?: Partial<ServicingTerms>): LoanAccount {
  if (offer.status !== 'open') throw new MingjianError('CONFLICT', `offer ${offer.offerId} is ${offer.status}`);
  if (day > offer.expiresDay) throw new MingjianError('CONFLICT', `offer ${offer.offerId} expired`, [{ path: 'day', message: 'is after the offer expiry day' }]);
  if (day < offer.createdDay) throw new MingjianError('VALIDATION', 'acceptance day is before the offer was made', [{ path: 'day', message: 'before the offer day' }]);
  const acc = bookLoan({
    loanId, currency: offer.currency, principal: offer.amount, apr: offer.apr, termMonths: offer.termMonths, method: offer.method,
    monthlyFee: offer.monthlyFee, originationFee: offer.originationFee, terms: servicing,
  }, day);
  offer.status = 'accepted';
  offer.loanId = loanId;
  return acc;
}
