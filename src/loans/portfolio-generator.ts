// A synthetic portfolio for trying and benchmarking the nightly run offline. Deterministic for a seed: the
// randomness is a seeded generator passed through, never Math.random.
import { seededRandom } from '../kernel/seeded-random.ts';
import { generateSchedule, type RepaymentMethod } from './schedule.ts';
import type { PortfolioRow } from './portfolio.ts';

export { seededRandom };

const TERMS = [3, 6, 6, 9, 12, 12, 12, 18, 24, 36];

/**
 * `count` loans disbursed over the year before `runDay`. Most borrowers are up to date; about one in eight is behind
 * by one to eight instalments (some past the charge-off threshold), some have paid part of an instalment, and the
 * linked accounts hold anything from nothing to twice the instalment for the day's automatic deduction.
 */
export function generatePortfolioRows(count: number, runDay: number, seed = 1): PortfolioRow[] {
  const rnd = seededRandom(seed);
  const rows: PortfolioRow[] = new Array(count);
  for (let i = 0; i < count; i++) {
    const termMonths = TERMS[Math.floor(rnd() * TERMS.length)]!;
    const principal = (1_000 + Math.floor(rnd() * 199_000)) * 100;
    const apr = Math.round((0.08 + rnd() * 0.28) * 10_000) / 10_000;
    const method: RepaymentMethod = rnd() < 0.8 ? 'annuity' : 'equal-principal';
    const disbursedDay = runDay - 1 - Math.floor(rnd() * Math.min(365, termMonths * 31));
    const monthlyFee = rnd() < 0.3 ? Math.round(principal * 0.002) : 0;
    // Instalments billed before the run day, to decide how many are paid without building the schedule twice.
    const lines = generateSchedule({ principal, termMonths, apr, method, startDay: disbursedDay, monthlyFee });
    let billed = 0;
    while (billed < lines.length && lines[billed]!.due < runDay) billed++;
    const u = rnd();
    const behind = billed === 0 ? 0 : u < 0.875 ? 0 : Math.min(billed, 1 + Math.floor(rnd() * 8));
    const paidInstalments = billed - behind;
    const next = lines[paidInstalments];
    const nextTotal = next ? next.principal + next.interest + next.fee : 0;
    const partialPaid = behind > 0 && rnd() < 0.3 ? Math.floor(nextTotal * rnd() * 0.9) : 0;
    const dueToday = lines[billed] && lines[billed]!.due === runDay;
    const debitAvailable = dueToday || behind > 0 ? Math.floor(rnd() * 2 * (nextTotal || principal / termMonths)) : 0;
    rows[i] = {
      loanId: `L${String(i + 1).padStart(8, '0')}`,
      principal,
      apr,
      termMonths,
      method,
      disbursedDay,
      monthlyFee,
      penaltyApr: 0.18,
      paidInstalments,
      partialPaid,
      penaltyDue: 0,
      debitAvailable,
      partialStreak: partialPaid > 0 ? Math.floor(rnd() * 3) : 0,
    };
  }
  return rows;
}
