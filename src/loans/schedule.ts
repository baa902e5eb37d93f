// Repayment schedules: pure arithmetic over integer minor units.
// Day count: the monthly rate is APR / 12 for every scheduled period whatever its length in days (the convention
// of consumer instalment loans); interest per period = roundMinor(balance x monthly rate) on the declining balance.
// Principal always sums exactly to the amount lent: the last instalment takes whatever principal is left.
import { MingjianError, type ErrorDetail } from '../kernel/errors.ts';
import { roundMinor, splitEvenly } from '../kernel/money.ts';
import { addMonths, dayOfMonth } from './dates.ts';

export type RepaymentMethod = 'annuity' | 'equal-principal';

/** One instalment. Interest accrues from `start` to `due`; the instalment is billed (falls due) on `due`. */
export interface ScheduleLine {
  seq: number;
  start: number; // day number
  due: number; // day number
  principal: number;
  interest: number;
  fee: number;
}

export interface ScheduleInput {
  principal: number;
  termMonths: number;
  apr: number;
  method: RepaymentMethod;
  /** Day interest starts accruing (disbursement, or the day of a prepayment or restructure). */
  startDay: number;
  /** Day of the month instalments fall due; defaults to the start day's. */
  anchorDayOfMonth?: number;
  /** Day the first instalment falls due; defaults to one month after the start. */
  firstDueDay?: number;
  /** Fee charged with every instalment, in minor units. */
  monthlyFee?: number;
  /**
   * Share of a full month the first period is worth (1 by default). A schedule recalculated mid-period charges
   * only the part of the month still to run: interest of the first line = roundMinor(balance x rate x fraction).
   */
  firstPeriodFraction?: number;
  /** Sequence number of the first line (continuing an existing schedule). */
  firstSeq?: number;
}

export function validateScheduleInput(input: ScheduleInput, base = ''): ErrorDetail[] {
  const p = (f: string) => (base ? `${base}.${f}` : f);
  const errors: ErrorDetail[] = [];
  if (!Number.isSafeInteger(input.principal) || input.principal < 0) errors.push({ path: p('principal'), message: 'must be a non-negative integer number of minor units' });
  if (!Number.isInteger(input.termMonths) || input.termMonths < 1 || input.termMonths > 600) errors.push({ path: p('termMonths'), message: 'must be an integer between 1 and 600' });
  if (!Number.isFinite(input.apr) || input.apr < 0 || input.apr > 10) errors.push({ path: p('apr'), message: 'must be a decimal rate between 0 and 10 (0.18 = 18%)' });
  if (input.method !== 'annuity' && input.method !== 'equal-principal') errors.push({ path: p('method'), message: "must be 'annuity' or 'equal-principal'" });
  if (input.monthlyFee !== undefined && (!Number.isSafeInteger(input.monthlyFee) || input.monthlyFee < 0)) errors.push({ path: p('monthlyFee'), message: 'must be a non-negative integer number of minor units' });
  if (input.firstPeriodFraction !== undefined && !(input.firstPeriodFraction >= 0 && input.firstPeriodFraction <= 1)) errors.push({ path: p('firstPeriodFraction'), message: 'must be between 0 and 1' });
  return errors;
}

/** The level instalment of an annuity, rounded to the minor unit: P x r / (1 - (1 + r)^-n). */
export function annuityPayment(principal: number, monthlyRate: number, n: number): number {
  if (monthlyRate === 0) return Math.ceil(principal / n);
  return roundMinor((principal * monthlyRate) / (1 - Math.pow(1 + monthlyRate, -n)));
}

export function generateSchedule(input: ScheduleInput): ScheduleLine[] {
  const errors = validateScheduleInput(input);
  if (errors.length) throw new MingjianError('VALIDATION', 'invalid schedule input', errors);
  const { principal, termMonths: n, apr, method, startDay } = input;
  const r = apr / 12;
  const fee = input.monthlyFee ?? 0;
  const fraction = input.firstPeriodFraction ?? 1;
  const anchor = input.anchorDayOfMonth ?? dayOfMonth(input.firstDueDay ?? startDay);
  const firstDue = input.firstDueDay ?? addMonths(startDay, 1, anchor);
  const seq0 = input.firstSeq ?? 1;
  const equalPrincipal = method === 'equal-principal' ? splitEvenly(principal, n) : undefined;
  const payment = method === 'annuity' ? annuityPayment(principal, r, n) : 0;
  const lines: ScheduleLine[] = [];
  let balance = principal;
  let start = startDay;
  for (let i = 0; i < n; i++) {
    const due = i === 0 ? firstDue : addMonths(firstDue, i, anchor);
    const interest = roundMinor(balance * r * (i === 0 ? fraction : 1));
    let part: number;
    if (i === n - 1) part = balance;
    else if (equalPrincipal) part = equalPrincipal[i]!;
    else part = Math.min(balance, Math.max(0, payment - interest));
    balance -= part;
    lines.push({ seq: seq0 + i, start, due, principal: part, interest, fee });
    start = due;
  }
  return lines;
}

export interface ScheduleTotals {
  principal: number;
  interest: number;
  fee: number;
  total: number;
}

export function scheduleTotals(lines: readonly ScheduleLine[]): ScheduleTotals {
  let principal = 0, interest = 0, fee = 0;
  for (const l of lines) {
    principal += l.principal;
    interest += l.interest;
    fee += l.fee;
  }
  return { principal, interest, fee, total: principal + interest + fee };
}
