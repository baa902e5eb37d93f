// Builders shared by the loan tests (not used by production code).
import { parseDay } from './dates.ts';
import { bookLoan, disburseLoan, routeLoan, type LoanAccount, type LoanParams } from './loan-account.ts';

export function disbursedLoan(over: Partial<LoanParams> = {}, disburseOn = '2026-01-15'): LoanAccount {
  const day = parseDay(disburseOn);
  const acc = bookLoan({ loanId: 'L1', currency: 'CNY', principal: 100_000, apr: 0.12, termMonths: 3, method: 'annuity', ...over }, day);
  routeLoan(acc, 'F1', day);
  disburseLoan(acc, day);
  return acc;
}
