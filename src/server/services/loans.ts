// The loan service as the HTTP service runs it: the Kysely loan store, decisions from the decision records, and the
// analysts' early-warning flow. Route files share this wiring (loans, funding) instead of repeating it.
import { MingjianError } from '../../kernel/errors.ts';
import { newId } from '../../kernel/ids.ts';
import { BEHAVIOUR_SCORE_FLOW } from '../../loans/behaviour-score.ts';
import { flowEarlyWarningRule } from '../../loans/early-warning-flow.ts';
import { createLoanService, type LoanService } from '../../loans/loan-service.ts';
import { findDecision } from '../../store/decisions-store.ts';
import { createLoanStore } from '../../store/loans-store.ts';
import type { Services } from './index.ts';

/** Id of the governed flow holding the analysts' early-warning rules over servicing events. */
export const EARLY_WARNING_FLOW = 'servicing-early-warning';

export function createServiceLoans(services: Pick<Services, 'store' | 'flows'>): LoanService {
  const db = services.store.db;
  return createLoanService({
    store: createLoanStore(services.store),
    async findDecision(id) {
      const row = await findDecision(db, id);
      if (!row) return undefined;
      const result = JSON.parse(row.result) as { creditLine?: number | null; priceBand?: string | null };
      return { decisionId: row.id, applicationId: row.idempotency_key ?? row.id, decision: row.decision, creditLine: result.creditLine ?? null, priceBand: result.priceBand ?? null };
    },
    // An active flow with this id adds analyst-written early-warning rules to the built-in ones.
    async extraRules() {
      try {
        return [flowEarlyWarningRule((await services.flows.resolve(EARLY_WARNING_FLOW)).compiled)];
      } catch (err) {
        if (err instanceof MingjianError && err.code === 'NOT_FOUND') return [];
        throw err;
      }
    },
    // An active flow with this id scores post-loan behaviour instead of the built-in default scorecard.
    async behaviourFlow() {
      try {
        return (await services.flows.resolve(BEHAVIOUR_SCORE_FLOW)).compiled;
      } catch (err) {
        if (err instanceof MingjianError && err.code === 'NOT_FOUND') return null;
        throw err;
      }
    },
    today: () => Math.floor(Date.now() / 86_400_000),
    newId: (prefix) => newId(prefix),
  });
}
