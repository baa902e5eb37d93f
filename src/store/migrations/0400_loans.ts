// Loans: offers, loan accounts (the servicing state as a JSON document with an optimistic-lock version), the
// append-only ledger transactions, and early-warning cases. Amounts inside the JSON are integer minor units.
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('loan_offers')
    .ifNotExists()
    .addColumn('offer_id', 'varchar(100)', (c) => c.primaryKey())
    .addColumn('application_id', 'varchar(200)', (c) => c.notNull())
    .addColumn('decision_id', 'varchar(100)')
    .addColumn('status', 'varchar(20)', (c) => c.notNull())
    .addColumn('loan_id', 'varchar(100)')
    .addColumn('document', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();

  // One accepted offer per decision: a credit line is drawn once, even by two concurrent acceptances.
  await db.schema
    .createIndex('loan_offers_one_accepted')
    .ifNotExists()
    .on('loan_offers')
    .column('decision_id')
    .unique()
    .where(sql.ref('status'), '=', sql.lit('accepted'))
    .execute();

  await db.schema
    .createTable('loan_accounts')
    .ifNotExists()
    .addColumn('loan_id', 'varchar(100)', (c) => c.primaryKey())
    .addColumn('state', 'varchar(20)', (c) => c.notNull())
    .addColumn('dpd', 'integer', (c) => c.notNull())
    .addColumn('funder_id', 'varchar(100)')
    .addColumn('last_run_day', 'integer')
    .addColumn('version', 'integer', (c) => c.notNull())
    .addColumn('document', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('loan_accounts_state').ifNotExists().on('loan_accounts').column('state').execute();

  await db.schema
    .createTable('loan_transactions')
    .ifNotExists()
    .addColumn('tx_id', 'varchar(120)', (c) => c.primaryKey())
    .addColumn('loan_id', 'varchar(100)', (c) => c.notNull())
    .addColumn('seq', 'integer', (c) => c.notNull())
    .addColumn('kind', 'varchar(30)', (c) => c.notNull())
    .addColumn('day', 'integer', (c) => c.notNull())
    .addColumn('entries', 'text', (c) => c.notNull())
    .addColumn('state_to', 'varchar(20)')
    .addColumn('reverses', 'varchar(120)')
    .addColumn('reversed_by', 'varchar(120)')
    .addColumn('memo', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('loan_transactions_loan').ifNotExists().on('loan_transactions').columns(['loan_id', 'seq']).unique().execute();

  await db.schema
    .createTable('loan_cases')
    .ifNotExists()
    .addColumn('case_id', 'varchar(100)', (c) => c.primaryKey())
    .addColumn('loan_id', 'varchar(100)', (c) => c.notNull())
    .addColumn('day', 'integer', (c) => c.notNull())
    .addColumn('rule', 'varchar(60)', (c) => c.notNull())
    .addColumn('severity', 'varchar(10)', (c) => c.notNull())
    .addColumn('message', 'text', (c) => c.notNull())
    .addColumn('detail', 'text', (c) => c.notNull())
    .addColumn('status', 'varchar(20)', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('loan_cases_loan').ifNotExists().on('loan_cases').column('loan_id').execute();
}
