// Post-loan behaviour features, refreshed from a loan's repayment history and ledger. They are the inputs of a
// behaviour scorecard (src/scorecard) or an early-warning flow; this file only measures, it does not score.
import type { LoanAccount } from './loan-account.ts';

export interface BehaviourFeatures {
  monthsOnBook: number;
  instalmentsBilled: number;
  currentDpd: number;
  maxDpd: number;
  missedInstalments: number;
  payments: number;
  partialPayments: number;
  /** Partial payments / payments (0 with no payment). */
  partialPaymentShare: number;
  partialStreak: number;
  reversals: number;
  approvedRelief: number;
  /** Principal repaid (paid or prepaid, net of reversals) / principal lent, at most 1. */
  principalRepaidShare: number;
  /** Amount still due (penalty, fee, interest, principal) / the next regular instalment, 0 when nothing is due. */
  arrearsInInstalments: number;
}

export function behaviourFeatures(acc: LoanAccount, day: number): BehaviourFeatures {
  const b = acc.balances;
  const h = acc.history;
  let repaid = 0;
  for (const t of acc.transactions) {
    if ((t.kind !== 'repayment' && t.kind !== 'auto_deduction' && t.kind !== 'prepayment') || t.reversedBy) continue;
    for (const e of t.entries) if (e.account === 'principal_due' || e.account === 'principal_not_due') repaid -= e.amount;
  }
  const next = acc.lines[acc.billed] ?? acc.lines[acc.lines.length - 1];
  const nextTotal = next ? next.principal + next.interest + next.fee : 0;
  const due = b.penalty_due + b.fee_due + b.interest_due + b.principal_due;
  return {
    monthsOnBook: acc.disbursedDay === null ? 0 : Math.max(0, Math.floor((day - acc.disbursedDay) / (365 / 12))),
    instalmentsBilled: acc.billed,
    currentDpd: acc.dpd,
    maxDpd: h.maxDpd,
    missedInstalments: h.missedInstalments,
    payments: h.payments,
    partialPayments: h.partialPayments,
    partialPaymentShare: h.payments ? h.partialPayments / h.payments : 0,
    partialStreak: acc.partialStreak,
    reversals: acc.transactions.filter((t) => t.kind === 'reversal').length,
    approvedRelief: acc.reliefRequests.filter((r) => r.status === 'approved').length,
    principalRepaidShare: Math.min(1, repaid / acc.principal),
    arrearsInInstalments: due > 0 && nextTotal > 0 ? due / nextTotal : 0,
  };
}
