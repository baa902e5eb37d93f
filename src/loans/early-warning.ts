// Early-warning hooks: rules look at servicing events as they are produced (by the nightly run, payments and
// relief) and raise alerts; whoever calls them decides what an alert opens (a collections case, a review).
import type { ServicingEvent } from './loan-account.ts';

export interface EarlyWarningAlert {
  loanId: string;
  day: number;
  rule: string;
  severity: 'low' | 'medium' | 'high';
  message: string;
  detail: Record<string, unknown>;
}

export interface EarlyWarningRule {
  id: string;
  /** `context`: the loan's behaviour after the event (features, `behaviourScore`, `behaviourRating`), when known. */
  evaluate(event: ServicingEvent, context?: Readonly<Record<string, unknown>>): EarlyWarningAlert | null;
}

/** An instalment's due day ended with part of it unpaid. */
export function missedInstalmentRule(): EarlyWarningRule {
  return {
    id: 'missed_instalment',
    evaluate(e) {
      if (e.type !== 'instalment_missed') return null;
      return { loanId: e.loanId, day: e.day, rule: 'missed_instalment', severity: 'medium', message: `instalment ${e.seq} missed, ${e.unpaid} unpaid`, detail: { seq: e.seq, unpaid: e.unpaid } };
    },
  };
}

/** `threshold` payments in a row each left part of an instalment unpaid; fires once per streak. */
export function partialPaymentStreakRule(threshold: number): EarlyWarningRule {
  if (!Number.isInteger(threshold) || threshold < 1) throw new RangeError('threshold must be a positive integer');
  return {
    id: 'partial_payment_streak',
    evaluate(e) {
      if (e.type !== 'payment' || !e.partial || e.partialStreak !== threshold) return null;
      return { loanId: e.loanId, day: e.day, rule: 'partial_payment_streak', severity: 'medium', message: `${threshold} partial payments in a row`, detail: { streak: e.partialStreak, lastPayment: e.txId } };
    },
  };
}

/** The loan entered a worse state (delinquent) or was charged off. */
export function deteriorationRule(): EarlyWarningRule {
  return {
    id: 'deterioration',
    evaluate(e) {
      if (e.type === 'charged_off') return { loanId: e.loanId, day: e.day, rule: 'deterioration', severity: 'high', message: `charged off (${e.amount})`, detail: { amount: e.amount } };
      if (e.type === 'state_changed' && e.to === 'delinquent' && e.from !== 'delinquent') {
        return { loanId: e.loanId, day: e.day, rule: 'deterioration', severity: 'low', message: `became delinquent at ${e.dpd} DPD`, detail: { dpd: e.dpd } };
      }
      return null;
    },
  };
}

export function defaultEarlyWarningRules(partialStreakThreshold = 3): EarlyWarningRule[] {
  return [missedInstalmentRule(), partialPaymentStreakRule(partialStreakThreshold), deteriorationRule()];
}

export function evaluateEarlyWarning(events: readonly ServicingEvent[], rules: readonly EarlyWarningRule[], context?: Readonly<Record<string, unknown>>): EarlyWarningAlert[] {
  const alerts: EarlyWarningAlert[] = [];
  for (const e of events) {
    for (const r of rules) {
      const a = r.evaluate(e, context);
      if (a) alerts.push(a);
    }
  }
  return alerts;
}
