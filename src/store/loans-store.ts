// Kysely implementation of the loan store (tables from migration 0400_loans) on SQLite and PostgreSQL.
import type { Kysely } from 'kysely';
import { MingjianError } from '../kernel/errors.ts';
import { newId } from '../kernel/ids.ts';
import type { LedgerTransaction, LoanAccount, Offer } from '../loans/index.ts';
import type { ListedAccount, LoanCase, LoanChange, LoanListQuery, LoanStore, StoredAccount } from '../loans/loan-store.ts';
import { appendAudit } from './audit-store.ts';
import type { Store } from './database.ts';
import type { ServiceDatabase } from './schema.ts';

// A type alias, not an interface: Kysely's withTables needs an index-signature-compatible type.
export type LoanTables = {
  loan_offers: { offer_id: string; application_id: string; decision_id: string | null; status: string; loan_id: string | null; document: string; created_at: string };
  loan_accounts: { loan_id: string; state: string; dpd: number; funder_id: string | null; last_run_day: number | null; version: number; document: string; updated_at: string };
  loan_transactions: {
    tx_id: string; loan_id: string; seq: number; kind: string; day: number; entries: string; state_to: string | null;
    reverses: string | null; reversed_by: string | null; memo: string | null; created_at: string;
  };
  loan_cases: { case_id: string; loan_id: string; day: number; rule: string; severity: string; message: string; detail: string; status: string; created_at: string };
};

type Db = Kysely<ServiceDatabase & LoanTables>;

function txSeq(txId: string): number {
  return Number(txId.slice(txId.lastIndexOf(':') + 1));
}

function toTransaction(r: LoanTables['loan_transactions']): LedgerTransaction {
  return {
    txId: r.tx_id, loanId: r.loan_id, kind: r.kind as LedgerTransaction['kind'], day: r.day, entries: JSON.parse(r.entries),
    ...(r.state_to ? { stateTo: r.state_to } : {}), ...(r.reverses ? { reverses: r.reverses } : {}), ...(r.reversed_by ? { reversedBy: r.reversed_by } : {}),
    ...(r.memo ? { memo: JSON.parse(r.memo) } : {}),
  };
}

export function createLoanStore(store: Store): LoanStore {
  const db = store.db.withTables<LoanTables>() as unknown as Db;
  return {
    async insertOffer(offer: Offer, decisionId: string | null) {
      await db.insertInto('loan_offers').values({
        offer_id: offer.offerId, application_id: offer.applicationId, decision_id: decisionId, status: offer.status, loan_id: offer.loanId ?? null,
        document: JSON.stringify(offer), created_at: new Date().toISOString(),
      }).execute();
    },
    async getOffer(offerId: string) {
      const row = await db.selectFrom('loan_offers').select('document').where('offer_id', '=', offerId).executeTakeFirst();
      return row ? (JSON.parse(row.document) as Offer) : undefined;
    },
    async acceptedSibling(offerId: string) {
      const row = await db.selectFrom('loan_offers as o1')
        .innerJoin('loan_offers as o2', 'o2.decision_id', 'o1.decision_id')
        .select('o2.offer_id')
        .where('o1.offer_id', '=', offerId).where('o2.status', '=', 'accepted').where('o2.offer_id', '!=', offerId)
        .executeTakeFirst();
      return row?.offer_id;
    },
    async getAccount(loanId: string): Promise<StoredAccount | undefined> {
      const row = await db.selectFrom('loan_accounts').select(['document', 'version']).where('loan_id', '=', loanId).executeTakeFirst();
      if (!row) return undefined;
      const txs = await db.selectFrom('loan_transactions').selectAll().where('loan_id', '=', loanId).orderBy('seq').execute();
      const account = { ...(JSON.parse(row.document) as Omit<LoanAccount, 'transactions'>), transactions: txs.map(toTransaction) } as LoanAccount;
      return { account, version: row.version };
    },
    async commit(change: LoanChange) {
      const { account } = change;
      const { transactions: _t, ...doc } = account;
      const now = new Date().toISOString();
      await db.transaction().execute(async (trx) => {
        const values = {
          state: account.state, dpd: account.dpd, funder_id: account.funderId, last_run_day: account.lastRunDay,
          document: JSON.stringify(doc), updated_at: now,
        };
        if (change.expectedVersion === null) {
          const exists = await trx.selectFrom('loan_accounts').select('loan_id').where('loan_id', '=', account.loanId).executeTakeFirst();
          if (exists) throw new MingjianError('CONFLICT', `loan ${account.loanId} already exists`);
          await trx.insertInto('loan_accounts').values({ loan_id: account.loanId, version: 1, ...values }).execute();
        } else {
          const res = await trx.updateTable('loan_accounts').set({ ...values, version: change.expectedVersion + 1 })
            .where('loan_id', '=', account.loanId).where('version', '=', change.expectedVersion).executeTakeFirst();
          if (Number(res.numUpdatedRows) !== 1) throw new MingjianError('CONFLICT', `loan ${account.loanId} was changed by someone else; read it again and retry`);
        }
        if (change.newTransactions.length) {
          await trx.insertInto('loan_transactions').values(change.newTransactions.map((t) => ({
            tx_id: t.txId, loan_id: t.loanId, seq: txSeq(t.txId), kind: t.kind, day: t.day, entries: JSON.stringify(t.entries),
            state_to: t.stateTo ?? null, reverses: t.reverses ?? null, reversed_by: t.reversedBy ?? null, memo: t.memo ? JSON.stringify(t.memo) : null, created_at: now,
          }))).execute();
          for (const t of change.newTransactions) {
            if (t.reverses) await trx.updateTable('loan_transactions').set({ reversed_by: t.txId }).where('tx_id', '=', t.reverses).where('reversed_by', 'is', null).execute();
          }
        }
        if (change.offer) {
          if (change.offer.status === 'accepted') {
            const other = await trx.selectFrom('loan_offers as o1').innerJoin('loan_offers as o2', 'o2.decision_id', 'o1.decision_id').select('o2.offer_id')
              .where('o1.offer_id', '=', change.offer.offerId).where('o2.status', '=', 'accepted').where('o2.offer_id', '!=', change.offer.offerId).executeTakeFirst();
            if (other) throw new MingjianError('CONFLICT', `offer ${other.offer_id} on the same decision was already accepted`);
          }
          await trx.updateTable('loan_offers').set({ status: change.offer.status, loan_id: change.offer.loanId ?? null, document: JSON.stringify(change.offer) })
            .where('offer_id', '=', change.offer.offerId).execute();
        }
        for (const c of change.cases ?? []) {
          await trx.insertInto('loan_cases').values({
            case_id: newId('case'), loan_id: c.loanId, day: c.day, rule: c.rule, severity: c.severity, message: c.message, detail: JSON.stringify(c.detail), status: 'open', created_at: now,
          }).execute();
        }
        for (const a of change.audit ?? []) {
          await appendAudit(trx as never, { actorUserId: a.actorUserId, actorKeyId: a.actorKeyId ?? null, action: a.action, objectKind: 'loan', objectId: a.objectId, after: a.after });
        }
      });
    },
    async listServicedLoanIds() {
      const rows = await db.selectFrom('loan_accounts').select('loan_id').where('state', 'in', ['disbursed', 'current', 'delinquent']).orderBy('loan_id').execute();
      return rows.map((r) => r.loan_id);
    },
    // Ordered by loan_id (creation order) and filtered on indexed columns (migration 0402_loan_list); the summary
    // figures come from the account document, so only the page's documents are read.
    async listAccounts(q: LoanListQuery): Promise<ListedAccount[]> {
      let query = db.selectFrom('loan_accounts').select(['document', 'updated_at']).orderBy('loan_id', 'desc').limit(q.limit);
      if (q.state !== undefined) query = query.where('state', '=', q.state);
      if (q.funderId !== undefined) query = query.where('funder_id', '=', q.funderId);
      if (q.minDpd !== undefined) query = query.where('dpd', '>=', q.minDpd);
      if (q.maxDpd !== undefined) query = query.where('dpd', '<=', q.maxDpd);
      if (q.beforeId !== undefined) query = query.where('loan_id', '<', q.beforeId);
      const rows = await query.execute();
      return rows.map((r) => ({ account: JSON.parse(r.document) as Omit<LoanAccount, 'transactions'>, updatedAt: r.updated_at }));
    },
    async listCases(loanId: string): Promise<LoanCase[]> {
      const rows = await db.selectFrom('loan_cases').selectAll().where('loan_id', '=', loanId).orderBy('case_id').execute();
      return rows.map((r) => ({
        caseId: r.case_id, loanId: r.loan_id, day: r.day, rule: r.rule, severity: r.severity as LoanCase['severity'], message: r.message,
        detail: JSON.parse(r.detail), status: r.status as LoanCase['status'],
      }));
    },
  };
}
