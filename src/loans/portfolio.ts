// Columnar portfolio state for the nightly batch: one typed array per field, one slot per loan, and the schedule
// lines of all loans laid end to end. A million loans with their schedules fit in a few hundred megabytes and are
// walked in one pass without allocating per loan.
import { MingjianError, type ErrorDetail } from '../kernel/errors.ts';
import { validateAllocationOrder, type Component } from './allocation.ts';
import { daysPastDue } from './delinquency.ts';
import { DEFAULT_TERMS, type LoanAccount, type LoanState } from './loan-account.ts';
import { generateSchedule, type RepaymentMethod, type ScheduleLine } from './schedule.ts';

/** State codes of the columnar batch; the order is part of the format. */
export const STATE_CODES: readonly LoanState[] = ['booked', 'routed', 'disbursed', 'current', 'delinquent', 'repaid', 'charged_off'];
export const STATE = { booked: 0, routed: 1, disbursed: 2, current: 3, delinquent: 4, repaid: 5, charged_off: 6 } as const;

export interface PortfolioTerms {
  allocationOrder: Component[];
  chargeOffDpd: number;
  partialStreakAlert: number;
}

export interface Portfolio {
  size: number;
  currency: string;
  terms: PortfolioTerms;
  loanIds: string[];
  state: Uint8Array;
  principalNotDue: Float64Array;
  principalDue: Float64Array;
  interestDue: Float64Array;
  feeDue: Float64Array;
  penaltyDue: Float64Array;
  penaltyCarry: Float64Array;
  penaltyApr: Float64Array;
  dpd: Int32Array;
  partialStreak: Uint16Array;
  lastRunDay: Int32Array;
  /** What each borrower's linked account holds for automatic deduction on the next run; consumed by it. */
  debitAvailable: Float64Array;
  /** Lines of loan i are lineOffset[i] .. lineOffset[i + 1] - 1; the first `billed[i]` of them have been billed. */
  lineOffset: Int32Array;
  billed: Uint16Array;
  lineDue: Int32Array;
  linePrincipal: Float64Array;
  lineInterest: Float64Array;
  lineFee: Float64Array;
}

export function allocatePortfolio(size: number, lineCapacity: number, currency: string, terms: Partial<PortfolioTerms> = {}): Portfolio {
  const t: PortfolioTerms = {
    allocationOrder: validateAllocationOrder(terms.allocationOrder ?? DEFAULT_TERMS.allocationOrder),
    chargeOffDpd: terms.chargeOffDpd ?? DEFAULT_TERMS.chargeOffDpd,
    partialStreakAlert: terms.partialStreakAlert ?? DEFAULT_TERMS.partialStreakAlert,
  };
  return {
    size,
    currency,
    terms: t,
    loanIds: new Array<string>(size),
    state: new Uint8Array(size),
    principalNotDue: new Float64Array(size),
    principalDue: new Float64Array(size),
    interestDue: new Float64Array(size),
    feeDue: new Float64Array(size),
    penaltyDue: new Float64Array(size),
    penaltyCarry: new Float64Array(size),
    penaltyApr: new Float64Array(size),
    dpd: new Int32Array(size),
    partialStreak: new Uint16Array(size),
    lastRunDay: new Int32Array(size),
    debitAvailable: new Float64Array(size),
    lineOffset: new Int32Array(size + 1),
    billed: new Uint16Array(size),
    lineDue: new Int32Array(lineCapacity),
    linePrincipal: new Float64Array(lineCapacity),
    lineInterest: new Float64Array(lineCapacity),
    lineFee: new Float64Array(lineCapacity),
  };
}

function putLines(p: Portfolio, i: number, lines: readonly ScheduleLine[], cursor: number): number {
  p.lineOffset[i] = cursor;
  for (const l of lines) {
    p.lineDue[cursor] = l.due;
    p.linePrincipal[cursor] = l.principal;
    p.lineInterest[cursor] = l.interest;
    p.lineFee[cursor] = l.fee;
    cursor++;
  }
  p.lineOffset[i + 1] = cursor;
  return cursor;
}

/** Loads disbursed loan accounts into columns (e.g. the service's accounts before a nightly run). */
export function portfolioFromAccounts(accounts: readonly LoanAccount[], currency: string, debitAvailable?: readonly number[]): Portfolio {
  let lineCount = 0;
  for (const a of accounts) lineCount += a.lines.length;
  const first = accounts[0];
  const p = allocatePortfolio(accounts.length, lineCount, currency, first ? first.terms : {});
  let cursor = 0;
  accounts.forEach((a, i) => {
    if (a.currency !== currency) throw new MingjianError('VALIDATION', `loan ${a.loanId} is in ${a.currency}, the portfolio in ${currency}`);
    if (a.lastRunDay === null) throw new MingjianError('VALIDATION', `loan ${a.loanId} has not been disbursed`);
    const b = a.balances;
    p.loanIds[i] = a.loanId;
    p.state[i] = STATE[a.state];
    p.principalNotDue[i] = b.principal_not_due;
    p.principalDue[i] = b.principal_due;
    p.interestDue[i] = b.interest_due;
    p.feeDue[i] = b.fee_due;
    p.penaltyDue[i] = b.penalty_due;
    p.penaltyCarry[i] = a.penaltyCarry;
    p.penaltyApr[i] = a.terms.penaltyApr;
    p.dpd[i] = a.dpd;
    p.partialStreak[i] = a.partialStreak;
    p.lastRunDay[i] = a.lastRunDay;
    p.debitAvailable[i] = debitAvailable?.[i] ?? 0;
    p.billed[i] = a.billed;
    cursor = putLines(p, i, a.lines, cursor);
  });
  return p;
}

/**
 * A loan as a portfolio file describes it: the contract and how much of it has been paid as of the day before the
 * run. Instalments due before the run day are billed; the first `paidInstalments` of them are paid in full, and
 * `partialPaid` went to the next one (fee, then interest, then principal).
 */
export interface PortfolioRow {
  loanId: string;
  principal: number;
  apr: number;
  termMonths: number;
  method: RepaymentMethod;
  disbursedDay: number;
  monthlyFee: number;
  penaltyApr: number;
  paidInstalments: number;
  partialPaid: number;
  penaltyDue: number;
  debitAvailable: number;
  /** Partial payments in a row so far (optional column; 0 when absent). */
  partialStreak?: number;
}

export function validatePortfolioRow(r: PortfolioRow, path: string): ErrorDetail[] {
  const errors: ErrorDetail[] = [];
  const int = (f: keyof PortfolioRow, min: number) => {
    const v = r[f] as number;
    if (!Number.isSafeInteger(v) || v < min) errors.push({ path: `${path}.${f}`, message: `must be an integer >= ${min}, got ${v}` });
  };
  if (!r.loanId) errors.push({ path: `${path}.loanId`, message: 'is required' });
  int('principal', 1);
  int('termMonths', 1);
  int('monthlyFee', 0);
  int('paidInstalments', 0);
  int('partialPaid', 0);
  int('penaltyDue', 0);
  int('debitAvailable', 0);
  if (r.partialStreak !== undefined && (!Number.isInteger(r.partialStreak) || r.partialStreak < 0 || r.partialStreak > 65_535)) errors.push({ path: `${path}.partialStreak`, message: 'must be an integer from 0 to 65535' });
  if (!(r.apr >= 0 && r.apr <= 10)) errors.push({ path: `${path}.apr`, message: 'must be a decimal rate between 0 and 10' });
  if (!(r.penaltyApr >= 0 && r.penaltyApr <= 10)) errors.push({ path: `${path}.penaltyApr`, message: 'must be a decimal rate between 0 and 10' });
  if (r.method !== 'annuity' && r.method !== 'equal-principal') errors.push({ path: `${path}.method`, message: "must be 'annuity' or 'equal-principal'" });
  if (r.termMonths > 600) errors.push({ path: `${path}.termMonths`, message: 'must be at most 600' });
  return errors;
}

/** Builds the columnar state as of the end of `runDay - 1` from portfolio rows. */
export function portfolioFromRows(rows: readonly PortfolioRow[], runDay: number, currency: string, terms: Partial<PortfolioTerms> = {}): Portfolio {
  let lineCount = 0;
  const errors: ErrorDetail[] = [];
  rows.forEach((r, i) => {
    errors.push(...validatePortfolioRow(r, `loans[${i}]`));
    if (r.disbursedDay >= runDay) errors.push({ path: `loans[${i}].disbursedDay`, message: 'must be before the run day' });
    lineCount += r.termMonths;
  });
  if (errors.length) throw new MingjianError('VALIDATION', `invalid portfolio (${errors.length} problems)`, errors.slice(0, 50));
  const p = allocatePortfolio(rows.length, lineCount, currency, terms);
  let cursor = 0;
  const asOf = runDay - 1;
  rows.forEach((r, i) => {
    const lines = generateSchedule({ principal: r.principal, termMonths: r.termMonths, apr: r.apr, method: r.method, startDay: r.disbursedDay, monthlyFee: r.monthlyFee });
    let billed = 0;
    while (billed < lines.length && lines[billed]!.due <= asOf) billed++;
    if (r.paidInstalments > billed) throw new MingjianError('VALIDATION', `loan ${r.loanId}: ${r.paidInstalments} instalments paid but only ${billed} have fallen due`, [{ path: `loans[${i}].paidInstalments`, message: `at most ${billed}` }]);
    let notDue = 0, pDue = 0, iDue = 0, fDue = 0;
    for (let k = 0; k < lines.length; k++) {
      const l = lines[k]!;
      if (k >= billed) notDue += l.principal;
      else if (k >= r.paidInstalments) {
        pDue += l.principal;
        iDue += l.interest;
        fDue += l.fee;
      }
    }
    let partial = r.partialPaid;
    if (partial > pDue + iDue + fDue) throw new MingjianError('VALIDATION', `loan ${r.loanId}: partialPaid ${partial} exceeds the ${pDue + iDue + fDue} due`, [{ path: `loans[${i}].partialPaid`, message: 'exceeds what is due' }]);
    const next = lines[r.paidInstalments];
    if (next && r.paidInstalments < billed && partial > next.principal + next.interest + next.fee) {
      throw new MingjianError('VALIDATION', `loan ${r.loanId}: partialPaid exceeds instalment ${next.seq}`, [{ path: `loans[${i}].partialPaid`, message: 'a partial payment is less than one instalment' }]);
    }
    const takeFee = Math.min(partial, fDue); fDue -= takeFee; partial -= takeFee;
    const takeInt = Math.min(partial, iDue); iDue -= takeInt; partial -= takeInt;
    pDue -= partial;
    p.loanIds[i] = r.loanId;
    p.principalNotDue[i] = notDue;
    p.principalDue[i] = pDue;
    p.interestDue[i] = iDue;
    p.feeDue[i] = fDue;
    p.penaltyDue[i] = r.penaltyDue;
    p.penaltyApr[i] = r.penaltyApr;
    p.lastRunDay[i] = asOf;
    p.debitAvailable[i] = r.debitAvailable;
    p.partialStreak[i] = r.partialStreak ?? 0;
    p.billed[i] = billed;
    cursor = putLines(p, i, lines, cursor);
    const arrears = pDue + iDue + fDue;
    const dpd = daysPastDue(asOf, arrears, billed, (k) => lines[k]!.principal + lines[k]!.interest + lines[k]!.fee, (k) => lines[k]!.due);
    p.dpd[i] = dpd;
    const settled = billed === lines.length && arrears === 0 && r.penaltyDue === 0;
    p.state[i] = settled ? STATE.repaid : dpd > 0 ? STATE.delinquent : STATE.current;
  });
  return p;
}
