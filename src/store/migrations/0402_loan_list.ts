// Indexes for the loan list (GET /v1/loans): newest first (loan ids sort by creation time) filtered by state or by
// funder, so a page is a short backward scan of one index range instead of a sort of every matching loan. The DPD
// bucket filter is a range on dpd; it narrows the scan within the state or funder range (or the primary key).
import type { Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.createIndex('loan_accounts_state_loan').ifNotExists().on('loan_accounts').columns(['state', 'loan_id']).execute();
  await db.schema.createIndex('loan_accounts_funder_loan').ifNotExists().on('loan_accounts').columns(['funder_id', 'loan_id']).execute();
  // (state, loan_id) serves every query the single-column state index served (the nightly run's state IN (...)).
  await db.schema.dropIndex('loan_accounts_state').ifExists().execute();
}
