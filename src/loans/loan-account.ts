// One loan's servicing state and every operation on it. A LoanAccount is plain data (JSON-serialisable); the
// operations validate first, then update the account in place and return what they posted, so a failed call leaves
// the account untouched. Days are passed in by the caller: nothing here reads a clock.
import { MingjianError } from '../kernel/errors.ts';
import { roundMinor } from '../kernel/money.ts';
import { allocate, DEFAULT_ALLOCATION_ORDER, validateAllocationOrder, type Component, type ComponentAmounts } from './allocation.ts';
import { dayOfMonth, addMonths } from './dates.ts';
import { accruePenaltyDay, bucketOf, daysPastDue, type DelinquencyBucket } from './delinquency.ts';
import { applyEntries, counterEntries, emptyBalances, entries, reconcileLedger, type Balances, type LedgerEntry, type LedgerProblem, type LedgerTransaction, type TransactionKind } from './ledger.ts';
import { generateSchedule, type RepaymentMethod, type ScheduleLine } from './schedule.ts';

export type LoanState = 'booked' | 'routed' | 'disbursed' | 'current' | 'delinquent' | 'repaid' | 'charged_off';
const SERVICED: ReadonlySet<LoanState> = new Set(['disbursed', 'current', 'delinquent']);

export interface ServicingTerms {
  allocationOrder: Component[];
  /** Annual rate of penalty interest on overdue principal, accrued daily actual/365. */
  penaltyApr: number;
  /** Days past due at which the nightly run charges the loan off. */
  chargeOffDpd: number;
  /** Consecutive partial payments that raise an early-warning alert. */
  partialStreakAlert: number;
  /** Fee on prepaid principal, as a rate (0.01 = 1%). */
  prepaymentFeeRate: number;
}

export const DEFAULT_TERMS: ServicingTerms = {
  allocationOrder: [...DEFAULT_ALLOCATION_ORDER],
  penaltyApr: 0.18,
  chargeOffDpd: 180,
  partialStreakAlert: 3,
  prepaymentFeeRate: 0,
};

export interface ScheduleSnapshot {
  txId: string;
  lines: ScheduleLine[];
  billed: number;
  /** `billed` right after the change; a later billing makes the change irreversible. */
  billedAfter: number;
}

export type ServicingEvent =
  | { type: 'instalment_missed'; loanId: string; day: number; seq: number; unpaid: number }
  | { type: 'payment'; loanId: string; day: number; txId: string; amount: number; partial: boolean; partialStreak: number }
  | { type: 'state_changed'; loanId: string; day: number; from: LoanState; to: LoanState; dpd: number }
  | { type: 'charged_off'; loanId: string; day: number; amount: number };

export interface AuditEntry {
  day: number;
  actor: string;
  action: string;
  requestId?: string;
  txId?: string;
  detail?: Record<string, unknown>;
}

export type ReliefKind = 'deferral' | 'restructure' | 'fee_waiver' | 'penalty_waiver';

export interface ReliefRequest {
  requestId: string;
  kind: ReliefKind;
  requestedBy: string;
  requestedOn: number;
  reason: string;
  /** deferral: { seq, months }; restructure: { termMonths, apr? }; waivers: { amount }. */
  params: Record<string, number>;
  status: 'pending' | 'approved' | 'rejected';
  decidedBy?: string;
  decidedOn?: number;
  txId?: string;
}

export interface LoanAccount {
  loanId: string;
  currency: string;
  principal: number;
  apr: number;
  termMonths: number;
  method: RepaymentMethod;
  monthlyFee: number;
  originationFee: number;
  terms: ServicingTerms;
  state: LoanState;
  funderId: string | null;
  disbursedDay: number | null;
  anchorDayOfMonth: number | null;
  lines: ScheduleLine[];
  /** Lines [0, billed) have fallen due and been billed. */
  billed: number;
  balances: Balances;
  transactions: LedgerTransaction[];
  scheduleHistory: ScheduleSnapshot[];
  penaltyCarry: number;
  /** Last day the nightly run processed. */
  lastRunDay: number | null;
  dpd: number;
  partialStreak: number;
  /** Repayment-history counters for the behaviour features (not needed by the ledger). */
  history: { maxDpd: number; missedInstalments: number; payments: number; partialPayments: number };
  reliefRequests: ReliefRequest[];
  audit: AuditEntry[];
}

export interface LoanParams {
  loanId: string;
  currency: string;
  principal: number;
  apr: number;
  termMonths: number;
  method: RepaymentMethod;
  monthlyFee?: number;
  originationFee?: number;
  terms?: Partial<ServicingTerms>;
}

export interface OperationResult {
  posted: LedgerTransaction[];
  events: ServicingEvent[];
}

function fail(code: 'VALIDATION' | 'CONFLICT' | 'FORBIDDEN' | 'NOT_FOUND', message: string, path?: string): never {
  throw new MingjianError(code, message, path ? [{ path, message }] : undefined);
}

function post(acc: LoanAccount, kind: TransactionKind, day: number, list: LedgerEntry[], extra: Partial<LedgerTransaction> = {}): LedgerTransaction {
  const tx: LedgerTransaction = { txId: `${acc.loanId}:${acc.transactions.length + 1}`, loanId: acc.loanId, kind, day, entries: list, ...extra };
  let sum = 0;
  for (const e of list) sum += e.amount;
  if (sum !== 0) throw new MingjianError('INTERNAL', `unbalanced ${kind} transaction on loan ${acc.loanId}`);
  applyEntries(acc.balances, list);
  acc.transactions.push(tx);
  if (tx.stateTo) acc.state = tx.stateTo as LoanState;
  return tx;
}

function requireState(acc: LoanAccount, allowed: readonly LoanState[], action: string): void {
  if (!allowed.includes(acc.state)) fail('CONFLICT', `cannot ${action} loan ${acc.loanId} in state '${acc.state}' (needs ${allowed.join(' or ')})`);
}

function requireAmount(amount: number, path: string): void {
  if (!Number.isSafeInteger(amount) || amount <= 0) fail('VALIDATION', `${path} must be a positive integer number of minor units`, path);
}

export function validateTerms(t: Partial<ServicingTerms>): ServicingTerms {
  const terms = { ...DEFAULT_TERMS, ...t };
  validateAllocationOrder(terms.allocationOrder, 'terms.allocationOrder');
  if (!(terms.penaltyApr >= 0 && terms.penaltyApr <= 10)) fail('VALIDATION', 'penaltyApr must be a rate between 0 and 10', 'terms.penaltyApr');
  if (!Number.isInteger(terms.chargeOffDpd) || terms.chargeOffDpd < 1) fail('VALIDATION', 'chargeOffDpd must be a positive integer', 'terms.chargeOffDpd');
  if (!Number.isInteger(terms.partialStreakAlert) || terms.partialStreakAlert < 1) fail('VALIDATION', 'partialStreakAlert must be a positive integer', 'terms.partialStreakAlert');
  if (!(terms.prepaymentFeeRate >= 0 && terms.prepaymentFeeRate < 1)) fail('VALIDATION', 'prepaymentFeeRate must be a rate in [0, 1)', 'terms.prepaymentFeeRate');
  return { ...terms, allocationOrder: [...terms.allocationOrder] };
}

// ---------------------------------------------------------------------------------------------------------------
// Life cycle: booked -> routed -> disbursed

/** Books an accepted offer: the commitment to lend is recorded off balance sheet. */
export function bookLoan(p: LoanParams, day: number): LoanAccount {
  requireAmount(p.principal, 'principal');
  if (!/^[A-Z]{3}$/.test(p.currency)) fail('VALIDATION', 'currency must be an ISO 4217 code', 'currency');
  const originationFee = p.originationFee ?? 0;
  if (!Number.isSafeInteger(originationFee) || originationFee < 0 || originationFee >= p.principal) fail('VALIDATION', 'originationFee must be a non-negative integer below the principal', 'originationFee');
  // Validates term, APR, method and fee by building a throwaway schedule.
  generateSchedule({ principal: p.principal, termMonths: p.termMonths, apr: p.apr, method: p.method, startDay: day, monthlyFee: p.monthlyFee ?? 0 });
  const acc: LoanAccount = {
    loanId: p.loanId,
    currency: p.currency,
    principal: p.principal,
    apr: p.apr,
    termMonths: p.termMonths,
    method: p.method,
    monthlyFee: p.monthlyFee ?? 0,
    originationFee,
    terms: validateTerms(p.terms ?? {}),
    state: 'booked',
    funderId: null,
    disbursedDay: null,
    anchorDayOfMonth: null,
    lines: [],
    billed: 0,
    balances: emptyBalances(),
    transactions: [],
    scheduleHistory: [],
    penaltyCarry: 0,
    lastRunDay: null,
    dpd: 0,
    partialStreak: 0,
    history: { maxDpd: 0, missedInstalments: 0, payments: 0, partialPayments: 0 },
    reliefRequests: [],
    audit: [],
  };
  post(acc, 'booked', day, entries({ commitment: p.principal }, { commitment_offset: p.principal }), { stateTo: 'booked' });
  return acc;
}

export function routeLoan(acc: LoanAccount, funderId: string, day: number): LedgerTransaction {
  requireState(acc, ['booked'], 'route');
  if (!funderId) fail('VALIDATION', 'funderId is required', 'funderId');
  acc.funderId = funderId;
  return post(acc, 'routed', day, entries({ funder_commitment: acc.principal }, { commitment: acc.principal }), { stateTo: 'routed', memo: { funderId } });
}

/** Pays out the principal less the origination fee, closes the commitment and fixes the schedule from this day. */
export function disburseLoan(acc: LoanAccount, day: number): LedgerTransaction {
  requireState(acc, ['routed'], 'disburse');
  acc.lines = generateSchedule({ principal: acc.principal, termMonths: acc.termMonths, apr: acc.apr, method: acc.method, startDay: day, monthlyFee: acc.monthlyFee });
  acc.disbursedDay = day;
  acc.anchorDayOfMonth = dayOfMonth(day);
  acc.lastRunDay = day;
  const p = acc.principal;
  return post(acc, 'disbursed', day, entries(
    { commitment_offset: p, principal_not_due: p },
    { funder_commitment: p, disbursement_clearing: p - acc.originationFee, fee_income: acc.originationFee },
  ), { stateTo: 'disbursed', memo: { funderId: acc.funderId, netPaidOut: p - acc.originationFee } });
}

// ---------------------------------------------------------------------------------------------------------------
// Reading the state

export function amountsDue(acc: LoanAccount): ComponentAmounts {
  const b = acc.balances;
  return { penalty: b.penalty_due, fee: b.fee_due, interest: b.interest_due, principal: b.principal_due };
}

/** Billed instalment amounts still unpaid (penalty excluded: it is not part of any instalment). */
function instalmentArrears(acc: LoanAccount): number {
  const b = acc.balances;
  return b.principal_due + b.interest_due + b.fee_due;
}

function lineTotal(l: ScheduleLine): number {
  return l.principal + l.interest + l.fee;
}

export function computeDpd(acc: LoanAccount, day: number): number {
  return daysPastDue(day, instalmentArrears(acc), acc.billed, (i) => lineTotal(acc.lines[i]!), (i) => acc.lines[i]!.due);
}

export interface LoanStatus {
  loanId: string;
  state: LoanState;
  dpd: number;
  bucket: DelinquencyBucket;
  due: ComponentAmounts & { total: number };
  principalOutstanding: number;
  nextInstalment: ScheduleLine | null;
  overpayment: number;
}

export function loanStatus(acc: LoanAccount): LoanStatus {
  const due = amountsDue(acc);
  return {
    loanId: acc.loanId,
    state: acc.state,
    dpd: acc.dpd,
    bucket: bucketOf(acc.dpd),
    due: { ...due, total: due.penalty + due.fee + due.interest + due.principal },
    principalOutstanding: acc.balances.principal_not_due + acc.balances.principal_due,
    nextInstalment: acc.lines[acc.billed] ?? null,
    overpayment: -acc.balances.overpayment,
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Billing, ageing and the nightly run

/** Bills every line due on or before `day` (interest and fees are recognised as income when billed). */
function billThrough(acc: LoanAccount, day: number, out: OperationResult): void {
  while (acc.billed < acc.lines.length && acc.lines[acc.billed]!.due <= day) {
    const l = acc.lines[acc.billed]!;
    acc.billed++;
    out.posted.push(post(acc, 'billed', l.due, entries(
      { principal_due: l.principal, interest_due: l.interest, fee_due: l.fee },
      { principal_not_due: l.principal, interest_income: l.interest, fee_income: l.fee },
    ), { memo: { seq: l.seq } }));
  }
}

function isSettled(acc: LoanAccount): boolean {
  const b = acc.balances;
  return acc.billed === acc.lines.length && b.principal_not_due === 0 && b.principal_due === 0 && b.interest_due === 0 && b.fee_due === 0 && b.penalty_due === 0;
}

/**
 * Re-ages the loan for `day` and records a state change when its state moves. The nightly run may charge off;
 * payments, reversals and relief re-age without charging off (the next nightly run does).
 */
function age(acc: LoanAccount, day: number, out: OperationResult, opts: { chargeOff?: boolean; reopen?: boolean } = {}): void {
  if (acc.state === 'booked' || acc.state === 'routed') return;
  if (acc.state === 'charged_off' && !opts.reopen) return;
  if (acc.state === 'repaid' && isSettled(acc)) return;
  acc.dpd = computeDpd(acc, day);
  if (acc.dpd > acc.history.maxDpd) acc.history.maxDpd = acc.dpd;
  const from = acc.state;
  let to: LoanState = isSettled(acc) ? 'repaid' : acc.dpd > 0 ? 'delinquent' : 'current';
  if (to !== 'repaid' && opts.chargeOff && acc.dpd >= acc.terms.chargeOffDpd) {
    const b = acc.balances;
    const amount = b.principal_not_due + b.principal_due + b.interest_due + b.fee_due + b.penalty_due;
    out.posted.push(post(acc, 'charge_off', day, entries(
      { write_off_expense: amount },
      { principal_not_due: b.principal_not_due, principal_due: b.principal_due, interest_due: b.interest_due, fee_due: b.fee_due, penalty_due: b.penalty_due },
    ), { stateTo: 'charged_off', memo: { dpd: acc.dpd } }));
    out.events.push({ type: 'charged_off', loanId: acc.loanId, day, amount });
    to = 'charged_off';
  } else if (to !== from) {
    out.posted.push(post(acc, 'state_change', day, [], { stateTo: to, memo: { dpd: acc.dpd } }));
  }
  if (to !== from) out.events.push({ type: 'state_changed', loanId: acc.loanId, day, from, to, dpd: acc.dpd });
}

export interface RunDayOptions {
  /** What the borrower's linked account holds for automatic deduction that day (none when absent). */
  debitAvailable?: number;
}

/**
 * The nightly run for one loan and one day: penalty interest on principal overdue before the day, billing of the
 * instalments falling due, automatic deduction of what the linked account holds, missed-instalment events for
 * instalments whose due day ended unpaid, ageing and charge-off. Days skipped since the last run are run first
 * (without deductions), so penalty interest never skips a day.
 */
export function runDay(acc: LoanAccount, day: number, opts: RunDayOptions = {}): OperationResult {
  const out: OperationResult = { posted: [], events: [] };
  if (acc.lastRunDay !== null && day <= acc.lastRunDay) fail('CONFLICT', `loan ${acc.loanId} already ran for this day or a later one`, 'day');
  if (opts.debitAvailable !== undefined && (!Number.isSafeInteger(opts.debitAvailable) || opts.debitAvailable < 0)) fail('VALIDATION', 'debitAvailable must be a non-negative integer number of minor units', 'debitAvailable');
  if (!SERVICED.has(acc.state)) {
    if (acc.lastRunDay !== null) acc.lastRunDay = day;
    return out;
  }
  for (let d = acc.lastRunDay! + 1; d <= day; d++) runOneDay(acc, d, d === day ? opts.debitAvailable : undefined, out);
  return out;
}

function runOneDay(acc: LoanAccount, day: number, debitAvailable: number | undefined, out: OperationResult): void {
  acc.lastRunDay = day;
  if (!SERVICED.has(acc.state)) return;
  // Principal due before this day bears penalty interest for it (a payment earlier in the day may already have
  // billed today's instalment: its principal is not overdue yet).
  const base = overduePrincipal(acc, day);
  if (base > 0 && acc.terms.penaltyApr > 0) {
    const { posted, carry } = accruePenaltyDay(base, acc.terms.penaltyApr, acc.penaltyCarry);
    acc.penaltyCarry = carry;
    if (posted > 0) out.posted.push(post(acc, 'penalty_accrued', day, entries({ penalty_due: posted }, { penalty_income: posted })));
  }
  billThrough(acc, day, out);
  if (debitAvailable !== undefined && debitAvailable > 0) {
    const owed = totalDue(acc);
    if (owed > 0) applyPayment(acc, Math.min(owed, debitAvailable), day, 'auto_deduction', out);
  }
  // Instalments that fell due yesterday and are still (partly) unpaid at the end of today's processing.
  let newer = 0;
  const arrears = instalmentArrears(acc);
  for (let i = acc.billed - 1; i >= 0 && arrears > newer; i--) {
    const l = acc.lines[i]!;
    if (l.due < day - 1) break;
    const total = lineTotal(l);
    if (l.due === day - 1) {
      out.events.push({ type: 'instalment_missed', loanId: acc.loanId, day, seq: l.seq, unpaid: Math.min(total, arrears - newer) });
      acc.history.missedInstalments++;
    }
    newer += total;
  }
  age(acc, day, out, { chargeOff: true });
}

function overduePrincipal(acc: LoanAccount, day: number): number {
  let base = acc.balances.principal_due;
  for (let i = acc.billed - 1; i >= 0 && acc.lines[i]!.due >= day; i--) base -= acc.lines[i]!.principal;
  return Math.max(0, base);
}

function totalDue(acc: LoanAccount): number {
  const d = amountsDue(acc);
  return d.penalty + d.fee + d.interest + d.principal;
}

// ---------------------------------------------------------------------------------------------------------------
// Repayments

function applyPayment(acc: LoanAccount, amount: number, day: number, kind: 'repayment' | 'auto_deduction', out: OperationResult): LedgerTransaction {
  const { applied, remainder } = allocate(amount, amountsDue(acc), acc.terms.allocationOrder);
  const tx = post(acc, kind, day, entries(
    { collections: amount },
    { penalty_due: applied.penalty, fee_due: applied.fee, interest_due: applied.interest, principal_due: applied.principal, overpayment: remainder },
  ), { memo: { applied, remainder } });
  out.posted.push(tx);
  const partial = instalmentArrears(acc) > 0;
  acc.partialStreak = partial ? acc.partialStreak + 1 : 0;
  acc.history.payments++;
  if (partial) acc.history.partialPayments++;
  out.events.push({ type: 'payment', loanId: acc.loanId, day, txId: tx.txId, amount, partial, partialStreak: acc.partialStreak });
  return tx;
}

/**
 * A payment by the borrower, of any amount: it settles what is due in the configured order; whatever exceeds
 * the amount due is held as an overpayment (paying ahead of the schedule is `prepay`).
 */
export function repay(acc: LoanAccount, amount: number, day: number): OperationResult {
  requireAmount(amount, 'amount');
  requireState(acc, ['disbursed', 'current', 'delinquent'], 'take a repayment on');
  requireNotBeforeRun(acc, day);
  const out: OperationResult = { posted: [], events: [] };
  billThrough(acc, day, out);
  applyPayment(acc, amount, day, 'repayment', out);
  age(acc, day, out);
  return out;
}

/**
 * An automatic deduction collected from the borrower's linked account outside the nightly run (the bank's answer to
 * a debit request): at most what is due on `day`, allocated like a repayment; less than the instalment is a partial
 * deduction and counts towards the partial-payment streak.
 */
export function autoDeduct(acc: LoanAccount, amount: number, day: number): OperationResult {
  requireAmount(amount, 'amount');
  requireState(acc, ['disbursed', 'current', 'delinquent'], 'deduct from');
  requireNotBeforeRun(acc, day);
  const owed = totalDue(acc) + unbilledThrough(acc, day);
  if (amount > owed) fail('VALIDATION', `a deduction cannot exceed what is due (${owed})`, 'amount');
  const out: OperationResult = { posted: [], events: [] };
  billThrough(acc, day, out);
  applyPayment(acc, amount, day, 'auto_deduction', out);
  age(acc, day, out);
  return out;
}

function requireNotBeforeRun(acc: LoanAccount, day: number): void {
  // The ledger never goes back before a day the nightly run has processed.
  if (acc.lastRunDay !== null && day < acc.lastRunDay) fail('CONFLICT', `loan ${acc.loanId} has already been run for a later day`, 'day');
}

/** Interest of the current (first unbilled) line earned from its start up to `day`, actual days over the period. */
function interestToDate(line: ScheduleLine | undefined, day: number): number {
  if (!line || day <= line.start) return 0;
  return roundMinor((line.interest * (day - line.start)) / (line.due - line.start));
}

export interface PayoffQuote {
  due: number;
  interestToDate: number;
  principal: number;
  prepaymentFee: number;
  total: number;
}

/** What it takes to repay the whole loan on `day` (billing through the day first, as a payment would). */
export function payoffQuote(acc: LoanAccount, day: number): PayoffQuote {
  const due = totalDue(acc) + unbilledThrough(acc, day);
  const current = acc.lines.slice(acc.billed).find((l) => l.due > day);
  const principal = acc.balances.principal_not_due - unbilledPrincipalThrough(acc, day);
  const itd = interestToDate(current, day);
  const prepaymentFee = roundMinor(principal * acc.terms.prepaymentFeeRate);
  return { due, interestToDate: itd, principal, prepaymentFee, total: due + itd + principal + prepaymentFee };
}

function unbilledThrough(acc: LoanAccount, day: number): number {
  let s = 0;
  for (let i = acc.billed; i < acc.lines.length && acc.lines[i]!.due <= day; i++) s += lineTotal(acc.lines[i]!);
  return s;
}

function unbilledPrincipalThrough(acc: LoanAccount, day: number): number {
  let s = 0;
  for (let i = acc.billed; i < acc.lines.length && acc.lines[i]!.due <= day; i++) s += acc.lines[i]!.principal;
  return s;
}

/**
 * Prepayment, partial or full. The amount first settles everything due; then the interest earned so far in the
 * current period (actual days) and the prepayment fee; the rest repays principal. A prepayment line dated `day`
 * records what was paid; the principal left is re-amortised over the instalments that remained, keeping their due
 * days, the first one charging interest only for the part of its period still to run. Paying the payoff quote or
 * more repays the loan (any excess is held as an overpayment).
 */
export function prepay(acc: LoanAccount, amount: number, day: number): OperationResult {
  requireAmount(amount, 'amount');
  requireState(acc, ['disbursed', 'current', 'delinquent'], 'prepay');
  requireNotBeforeRun(acc, day);
  const quote = payoffQuote(acc, day);
  if (quote.principal === 0) fail('CONFLICT', 'no principal is left to prepay: every instalment has fallen due; use a repayment', 'amount');
  if (amount <= quote.due + quote.interestToDate) {
    fail('VALIDATION', `a prepayment must exceed what is due plus interest to date (${quote.due + quote.interestToDate}); use a repayment for less`, 'amount');
  }
  const out: OperationResult = { posted: [], events: [] };
  billThrough(acc, day, out);
  const { applied } = allocate(amount, amountsDue(acc), acc.terms.allocationOrder);
  const afterDue = amount - applied.penalty - applied.fee - applied.interest - applied.principal;
  const current = acc.lines[acc.billed]!;
  const itd = interestToDate(current, day);
  const rate = acc.terms.prepaymentFeeRate;
  const available = afterDue - itd;
  let prepaid = Math.min(acc.balances.principal_not_due, Math.floor(available / (1 + rate)));
  while (prepaid > 0 && prepaid + roundMinor(prepaid * rate) > available) prepaid--;
  const fee = roundMinor(prepaid * rate);
  const overpaid = available - prepaid - fee;
  const remaining = acc.balances.principal_not_due - prepaid;

  const snapshot: ScheduleSnapshot = { txId: '', lines: acc.lines, billed: acc.billed, billedAfter: acc.billed + 1 };
  const unbilled = acc.lines.length - acc.billed;
  const prepaymentLine: ScheduleLine = { seq: current.seq, start: current.start, due: day, principal: prepaid, interest: itd, fee };
  let rest: ScheduleLine[] = [];
  if (remaining > 0) {
    rest = generateSchedule({
      principal: remaining,
      termMonths: unbilled,
      apr: acc.apr,
      method: acc.method,
      startDay: day,
      firstDueDay: current.due,
      anchorDayOfMonth: acc.anchorDayOfMonth ?? undefined,
      monthlyFee: current.fee,
      firstPeriodFraction: day <= current.start ? 1 : (current.due - day) / (current.due - current.start),
      firstSeq: current.seq,
    });
    // Deferred lines keep their spacing: reuse the old due days rather than re-deriving them from the anchor.
    for (let i = 0; i < rest.length; i++) {
      const old = acc.lines[acc.billed + i]!;
      rest[i]!.due = old.due;
      rest[i]!.start = i === 0 ? day : acc.lines[acc.billed + i - 1]!.due;
    }
  }
  const tx = post(acc, 'prepayment', day, entries(
    { collections: amount },
    {
      penalty_due: applied.penalty, fee_due: applied.fee, interest_due: applied.interest, principal_due: applied.principal,
      principal_not_due: prepaid, interest_income: itd, fee_income: fee, overpayment: overpaid,
    },
  ), { memo: { applied, interestToDate: itd, prepaidPrincipal: prepaid, prepaymentFee: fee, overpaid, full: remaining === 0 } });
  snapshot.txId = tx.txId;
  acc.scheduleHistory.push(snapshot);
  acc.lines = [...acc.lines.slice(0, acc.billed), prepaymentLine, ...rest];
  acc.billed += 1;
  out.posted.push(tx);
  acc.partialStreak = 0;
  acc.history.payments++;
  out.events.push({ type: 'payment', loanId: acc.loanId, day, txId: tx.txId, amount, partial: false, partialStreak: 0 });
  age(acc, day, out);
  return out;
}

// ---------------------------------------------------------------------------------------------------------------
// Reversal

const REVERSIBLE: ReadonlySet<TransactionKind> = new Set(['repayment', 'auto_deduction', 'prepayment', 'waiver', 'penalty_accrued', 'deferral', 'restructure', 'charge_off']);
const CHANGES_SCHEDULE: ReadonlySet<TransactionKind> = new Set(['prepayment', 'deferral', 'restructure']);
const NON_NEGATIVE = ['principal_not_due', 'principal_due', 'interest_due', 'fee_due', 'penalty_due'] as const;

/**
 * Reverses a transaction by a counter-entry (same accounts, amounts negated) dated `day`. Billing, booking and
 * state changes are not reversible: they follow from the schedule and the balances. A transaction that changed the
 * schedule is reversible only while nothing has been billed since and it is the latest schedule change; a
 * reversal that would drive a receivable negative (e.g. a penalty accrual already paid) is refused.
 */
export function reverseTransaction(acc: LoanAccount, txId: string, day: number, actor: string, reason: string): OperationResult {
  const tx = acc.transactions.find((t) => t.txId === txId);
  if (!tx) fail('NOT_FOUND', `transaction ${txId} not found on loan ${acc.loanId}`, 'txId');
  if (!REVERSIBLE.has(tx.kind)) fail('CONFLICT', `a '${tx.kind}' transaction cannot be reversed`, 'txId');
  if (tx.reversedBy) fail('CONFLICT', `transaction ${txId} was already reversed by ${tx.reversedBy}`, 'txId');
  if (!actor) fail('VALIDATION', 'actor is required', 'actor');
  let snapshot: ScheduleSnapshot | undefined;
  if (CHANGES_SCHEDULE.has(tx.kind)) {
    snapshot = acc.scheduleHistory[acc.scheduleHistory.length - 1];
    if (!snapshot || snapshot.txId !== txId) fail('CONFLICT', `transaction ${txId} is not the latest schedule change; reverse the later ones first`, 'txId');
    if (acc.billed !== snapshot.billedAfter) fail('CONFLICT', `an instalment has been billed since transaction ${txId}; it can no longer be reversed`, 'txId');
  }
  const counter = counterEntries(tx);
  const after = { ...acc.balances };
  applyEntries(after, counter);
  for (const a of NON_NEGATIVE) {
    if (after[a] < 0) fail('CONFLICT', `reversing ${txId} would make ${a} negative; reverse the later payments first`, 'txId');
  }
  const out: OperationResult = { posted: [], events: [] };
  const rev = post(acc, 'reversal', day, counter, { reverses: txId, memo: { reason, actor, kind: tx.kind } });
  tx.reversedBy = rev.txId;
  out.posted.push(rev);
  if (snapshot) {
    acc.scheduleHistory.pop();
    acc.lines = snapshot.lines;
    acc.billed = snapshot.billed;
  }
  if (tx.kind === 'restructure') acc.apr = Number(tx.memo?.previousApr ?? acc.apr);
  acc.audit.push({ day, actor, action: 'reversal', txId: rev.txId, detail: { reverses: txId, kind: tx.kind, reason } });
  // A reversed charge-off puts the loan back on the books; the next nightly run charges it off again unless relief cures it.
  age(acc, day, out, { reopen: tx.kind === 'charge_off' });
  return out;
}

// ---------------------------------------------------------------------------------------------------------------
// Hardship relief, maker-checker: a request is applied only when someone other than its requester approves it.

export interface ReliefRequestInput {
  requestId: string;
  kind: ReliefKind;
  requestedBy: string;
  reason: string;
  params: Record<string, number>;
}

function checkRelief(acc: LoanAccount, kind: ReliefKind, params: Record<string, number>, day: number, code: 'VALIDATION' | 'CONFLICT'): void {
  requireState(acc, ['disbursed', 'current', 'delinquent'], 'grant relief on');
  const int = (name: string, lo: number, hi: number) => {
    const v = params[name];
    if (!Number.isInteger(v) || v! < lo || v! > hi) fail('VALIDATION', `params.${name} must be an integer from ${lo} to ${hi}`, `params.${name}`);
    return v!;
  };
  if (kind === 'deferral') {
    const seq = int('seq', 1, 10_000);
    int('months', 1, 12);
    const idx = acc.lines.findIndex((l, i) => i >= acc.billed && l.seq === seq);
    if (idx < 0 || acc.lines[idx]!.due <= day) fail(code, `instalment ${seq} is not a future instalment: only instalments not yet due can be deferred (restructure an overdue one)`, 'params.seq');
  } else if (kind === 'restructure') {
    const term = int('termMonths', 1, 120);
    const remaining = acc.lines.filter((l, i) => i >= acc.billed && l.due > day).length;
    if (term <= remaining) fail(code, `a restructured plan must be longer than the ${remaining} instalments left`, 'params.termMonths');
    if (params.apr !== undefined && !(params.apr >= 0 && params.apr <= 10)) fail('VALIDATION', 'params.apr must be a rate between 0 and 10', 'params.apr');
  } else if (kind === 'fee_waiver' || kind === 'penalty_waiver') {
    const amount = params.amount;
    if (!Number.isSafeInteger(amount) || amount! <= 0) fail('VALIDATION', 'params.amount must be a positive integer number of minor units', 'params.amount');
    const due = kind === 'fee_waiver' ? acc.balances.fee_due : acc.balances.penalty_due;
    if (amount! > due) fail(code, `cannot waive ${amount}: only ${due} is due`, 'params.amount');
  } else {
    fail('VALIDATION', "kind must be 'deferral', 'restructure', 'fee_waiver' or 'penalty_waiver'", 'kind');
  }
}

export function requestRelief(acc: LoanAccount, input: ReliefRequestInput, day: number): ReliefRequest {
  if (!input.requestedBy) fail('VALIDATION', 'requestedBy is required', 'requestedBy');
  if (!input.requestId) fail('VALIDATION', 'requestId is required', 'requestId');
  if (acc.reliefRequests.some((r) => r.requestId === input.requestId)) fail('CONFLICT', `relief request ${input.requestId} already exists`, 'requestId');
  checkRelief(acc, input.kind, input.params, day, 'VALIDATION');
  const req: ReliefRequest = { requestId: input.requestId, kind: input.kind, requestedBy: input.requestedBy, requestedOn: day, reason: input.reason, params: { ...input.params }, status: 'pending' };
  acc.reliefRequests.push(req);
  acc.audit.push({ day, actor: input.requestedBy, action: 'relief_requested', requestId: req.requestId, detail: { kind: req.kind, params: req.params, reason: req.reason } });
  return req;
}

function pendingRequest(acc: LoanAccount, requestId: string, decidedBy: string): ReliefRequest {
  const req = acc.reliefRequests.find((r) => r.requestId === requestId);
  if (!req) fail('NOT_FOUND', `relief request ${requestId} not found on loan ${acc.loanId}`, 'requestId');
  if (req.status !== 'pending') fail('CONFLICT', `relief request ${requestId} is already ${req.status}`, 'requestId');
  if (!decidedBy) fail('VALIDATION', 'the deciding user is required', 'decidedBy');
  if (decidedBy === req.requestedBy) fail('FORBIDDEN', `relief request ${requestId} must be decided by someone other than its requester`, 'decidedBy');
  return req;
}

export function rejectRelief(acc: LoanAccount, requestId: string, decidedBy: string, day: number, reason: string): ReliefRequest {
  const req = pendingRequest(acc, requestId, decidedBy);
  req.status = 'rejected';
  req.decidedBy = decidedBy;
  req.decidedOn = day;
  acc.audit.push({ day, actor: decidedBy, action: 'relief_rejected', requestId, detail: { reason } });
  return req;
}

export function approveRelief(acc: LoanAccount, requestId: string, decidedBy: string, day: number): OperationResult {
  const req = pendingRequest(acc, requestId, decidedBy);
  requireNotBeforeRun(acc, day);
  const out: OperationResult = { posted: [], events: [] };
  // Checked against the day's position (instalments due by `day` count as due), before anything is posted.
  checkRelief(acc, req.kind, req.params, day, 'CONFLICT');
  billThrough(acc, day, out);
  const memo = { requestId, requestedBy: req.requestedBy, approvedBy: decidedBy };
  let tx: LedgerTransaction;
  if (req.kind === 'fee_waiver' || req.kind === 'penalty_waiver') {
    const account = req.kind === 'fee_waiver' ? 'fee_due' : 'penalty_due';
    tx = post(acc, 'waiver', day, entries({ relief_expense: req.params.amount! }, { [account]: req.params.amount! }), { memo: { ...memo, account } });
  } else if (req.kind === 'deferral') {
    tx = applyDeferral(acc, req.params.seq!, req.params.months!, day, memo);
  } else {
    tx = applyRestructure(acc, req.params.termMonths!, req.params.apr ?? acc.apr, day, memo);
  }
  out.posted.push(tx);
  req.status = 'approved';
  req.decidedBy = decidedBy;
  req.decidedOn = day;
  req.txId = tx.txId;
  acc.audit.push({ day, actor: decidedBy, action: 'relief_approved', requestId, txId: tx.txId, detail: { kind: req.kind, params: req.params } });
  age(acc, day, out);
  return out;
}

/** Moves instalment `seq` and every later one `months` months on, interest-free: no money moves, only due days. */
function applyDeferral(acc: LoanAccount, seq: number, months: number, day: number, memo: Record<string, unknown>): LedgerTransaction {
  const idx = acc.lines.findIndex((l, i) => i >= acc.billed && l.seq === seq);
  const anchor = acc.anchorDayOfMonth ?? undefined;
  const lines = acc.lines.map((l, i) => {
    if (i < idx) return l;
    const due = addMonths(l.due, months, anchor);
    return { ...l, due, start: i === idx ? l.start : addMonths(l.start, months, anchor) };
  });
  const tx = post(acc, 'deferral', day, [], { memo: { ...memo, seq, months, from: acc.lines[idx]!.due, to: lines[idx]!.due } });
  acc.scheduleHistory.push({ txId: tx.txId, lines: acc.lines, billed: acc.billed, billedAfter: acc.billed });
  acc.lines = lines;
  return tx;
}

/**
 * Restructures into a longer plan from `day`: overdue principal, interest and fees and the interest earned so far in
 * the current period are capitalised; the new principal is amortised over `termMonths` instalments on the loan's
 * anchor day, the first one charging interest for its (short) first period only. Penalty already due stays due.
 */
function applyRestructure(acc: LoanAccount, termMonths: number, apr: number, day: number, memo: Record<string, unknown>): LedgerTransaction {
  const b = acc.balances;
  const itd = interestToDate(acc.lines[acc.billed], day);
  const capitalised = b.principal_due + b.interest_due + b.fee_due + itd;
  const principal = b.principal_not_due + capitalised;
  const anchor = acc.anchorDayOfMonth ?? dayOfMonth(day);
  let firstDue = addMonths(day, 0, anchor);
  if (firstDue <= day) firstDue = addMonths(day, 1, anchor);
  const periodStart = addMonths(firstDue, -1, anchor);
  const lastSeq = acc.billed > 0 ? acc.lines[acc.billed - 1]!.seq : 0;
  const lines = generateSchedule({
    principal, termMonths, apr, method: acc.method, startDay: day, firstDueDay: firstDue, anchorDayOfMonth: anchor,
    monthlyFee: acc.monthlyFee, firstPeriodFraction: Math.min(1, (firstDue - day) / (firstDue - periodStart)), firstSeq: lastSeq + 1,
  });
  const tx = post(acc, 'restructure', day, entries(
    { principal_not_due: capitalised },
    { principal_due: b.principal_due, interest_due: b.interest_due, fee_due: b.fee_due, interest_income: itd },
  ), { memo: { ...memo, termMonths, apr, previousApr: acc.apr, capitalised, interestToDate: itd, newPrincipal: principal } });
  acc.scheduleHistory.push({ txId: tx.txId, lines: acc.lines, billed: acc.billed, billedAfter: acc.billed });
  acc.lines = [...acc.lines.slice(0, acc.billed), ...lines];
  acc.apr = apr;
  return tx;
}

// ---------------------------------------------------------------------------------------------------------------
// Reconciliation

/**
 * The ledger reconciles (balances equal the sum of their transactions, every transaction balances) and agrees with
 * the schedule: principal not yet due equals the principal of the unbilled lines; receivables are never negative;
 * principal lent = principal outstanding + principal repaid, prepaid, capitalised-in net, and written off.
 */
export function reconcileLoan(acc: LoanAccount): LedgerProblem[] {
  const problems = reconcileLedger(acc.transactions, acc.balances);
  if (acc.disbursedDay !== null) {
    let unbilled = 0;
    for (let i = acc.billed; i < acc.lines.length; i++) unbilled += acc.lines[i]!.principal;
    const chargedOff = acc.state === 'charged_off';
    if (!chargedOff && unbilled !== acc.balances.principal_not_due) {
      problems.push({ account: 'principal_not_due', message: `balance ${acc.balances.principal_not_due} but unbilled schedule principal is ${unbilled}` });
    }
  }
  for (const a of NON_NEGATIVE) if (acc.balances[a] < 0) problems.push({ account: a, message: `negative receivable ${acc.balances[a]}` });
  if (acc.balances.overpayment > 0) problems.push({ account: 'overpayment', message: 'overpayment has a debit balance' });
  return problems;
}
