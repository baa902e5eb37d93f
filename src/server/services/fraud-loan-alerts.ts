// Confirmed fraud reaches the loan book: when a case is resolved as confirmed fraud, every live loan booked from one
// of its applications (the offer's decision, or the application id the decision was made under) gets an
// early-warning case with rule `new_fraud_link`, in the same store transaction as the loan's audit entry. The fraud
// core knows nothing of loans; createServices connects this to the fraud service's `confirmedFraud` hook.
import { MingjianError } from '../../kernel/errors.ts';
import type { ConfirmedFraud, FraudActor } from '../../fraud/fraud-service.ts';
import type { LoanState } from '../../loans/loan-account.ts';
import type { Store } from '../../store/database.ts';
import { createLoanStore, type LoanTables } from '../../store/loans-store.ts';

export const NEW_FRAUD_LINK_RULE = 'new_fraud_link';

/** Loans still on the book (not repaid or charged off): the ones an alert can still act on. */
const LIVE_STATES: readonly LoanState[] = ['booked', 'routed', 'disbursed', 'current', 'delinquent'];

export interface FraudLinkAlert {
  loanId: string;
  applicationId: string;
}

export function createFraudLinkAlerts(store: Store, today: () => number = () => Math.floor(Date.now() / 86_400_000)) {
  const loans = createLoanStore(store);
  const db = store.db.withTables<LoanTables>();

  /** Opens the alerts; returns the loans alerted now (a loan already alerted for this case is skipped). */
  return async function alertLoans(actor: FraudActor, event: ConfirmedFraud): Promise<FraudLinkAlert[]> {
    const ids = [...new Set(event.applicationIds)];
    const linked = new Map<string, string>();
    for (let i = 0; i < ids.length; i += 500) {
      const chunk = ids.slice(i, i + 500);
      const rows = await db.selectFrom('loan_offers').select(['loan_id', 'decision_id', 'application_id'])
        .where('loan_id', 'is not', null)
        .where((eb) => eb.or([eb('decision_id', 'in', chunk), eb('application_id', 'in', chunk)]))
        .execute();
      for (const r of rows) linked.set(r.loan_id!, r.decision_id && chunk.includes(r.decision_id) ? r.decision_id : r.application_id);
    }
    const alerted: FraudLinkAlert[] = [];
    for (const [loanId, applicationId] of [...linked].sort(([a], [b]) => a.localeCompare(b))) {
      // Another writer may change the loan between read and commit (optimistic lock): read again and retry.
      for (let attempt = 1; ; attempt++) {
        const stored = await loans.getAccount(loanId);
        if (!stored || !LIVE_STATES.includes(stored.account.state)) break;
        const open = await loans.listCases(loanId);
        if (open.some((c) => c.rule === NEW_FRAUD_LINK_RULE && (c.detail as { caseId?: string }).caseId === event.caseId)) break;
        try {
          await loans.commit({
            account: stored.account,
            expectedVersion: stored.version,
            newTransactions: [],
            cases: [{
              loanId, day: today(), rule: NEW_FRAUD_LINK_RULE, severity: 'high',
              message: `application ${applicationId} of this loan was confirmed as fraud in case ${event.caseId}`,
              detail: { caseId: event.caseId, applicationId, confirmedAt: event.resolvedAt },
            }],
            audit: [{ actorUserId: actor.userId, actorKeyId: actor.keyId ?? null, action: 'loan.alert', objectId: loanId, after: { rule: NEW_FRAUD_LINK_RULE, caseId: event.caseId, applicationId } }],
          });
          alerted.push({ loanId, applicationId });
          break;
        } catch (err) {
          if (!(err instanceof MingjianError && err.code === 'CONFLICT') || attempt >= 3) throw err;
        }
      }
    }
    return alerted;
  };
}
