// Anti-fraud: the identity graph's applications (hashed identifiers only; the in-memory graph is rebuilt from this
// table on start), watchlists and their entries (hashed), investigation cases, and the rings of the last detection.
import type { Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('fraud_graph_applications')
    .ifNotExists()
    .addColumn('application_id', 'text', (c) => c.primaryKey())
    // Order the graph was built in: rebuilding in this order gives the same graph, and the same as-of-before variables.
    .addColumn('seq', 'bigint', (c) => c.notNull().unique())
    .addColumn('applied_at', 'bigint', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    // `role:key16,role:key16,...` — keyed hashes, never values.
    .addColumn('identifiers', 'text', (c) => c.notNull())
    .addColumn('recorded_at', 'text', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('fraud_watchlists')
    .ifNotExists()
    .addColumn('name', 'text', (c) => c.primaryKey())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('description', 'text', (c) => c.notNull())
    .addColumn('created_by', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema
    .createTable('fraud_watchlist_entries')
    .ifNotExists()
    .addColumn('list_name', 'text', (c) => c.notNull().references('fraud_watchlists.name'))
    .addColumn('key', 'text', (c) => c.notNull())
    .addColumn('reason', 'text', (c) => c.notNull())
    .addColumn('source', 'text', (c) => c.notNull())
    .addColumn('added_by', 'text', (c) => c.notNull())
    .addColumn('added_at', 'text', (c) => c.notNull())
    .addColumn('expires_at', 'text')
    .addPrimaryKeyConstraint('fraud_watchlist_entries_pk', ['list_name', 'key'])
    .execute();

  await db.schema
    .createTable('fraud_cases')
    .ifNotExists()
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('priority', 'text', (c) => c.notNull())
    .addColumn('source', 'text', (c) => c.notNull())
    .addColumn('ring_id', 'text')
    .addColumn('assignee', 'text')
    .addColumn('opened_at', 'text', (c) => c.notNull())
    .addColumn('response_due_at', 'text', (c) => c.notNull())
    .addColumn('resolution_due_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    // The whole case (notes, evidence, history) as JSON; the columns above are for queues and filters.
    .addColumn('document', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('fraud_cases_state').ifNotExists().on('fraud_cases').columns(['state', 'resolution_due_at']).execute();
  await db.schema.createIndex('fraud_cases_ring').ifNotExists().on('fraud_cases').column('ring_id').execute();
  await db.schema
    .createTable('fraud_case_applications')
    .ifNotExists()
    .addColumn('case_id', 'text', (c) => c.notNull().references('fraud_cases.id'))
    .addColumn('application_id', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('fraud_case_applications_pk', ['case_id', 'application_id'])
    .execute();
  await db.schema.createIndex('fraud_case_applications_app').ifNotExists().on('fraud_case_applications').column('application_id').execute();

  await db.schema
    .createTable('fraud_rings')
    .ifNotExists()
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('detected_at', 'text', (c) => c.notNull())
    .addColumn('score', 'double precision', (c) => c.notNull())
    .addColumn('size', 'integer', (c) => c.notNull())
    // Members, links and factors as JSON.
    .addColumn('document', 'text', (c) => c.notNull())
    .execute();
}
