// Funding partners, the volume committed to each per day (batch and online routing share it), and one row per batch
// routing run with its summary and the LP's shadow prices that online routing uses until the next batch.
import type { Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('funders')
    .ifNotExists()
    .addColumn('funder_id', 'varchar(100)', (c) => c.primaryKey())
    .addColumn('document', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('funder_usage')
    .ifNotExists()
    .addColumn('day', 'integer', (c) => c.notNull())
    .addColumn('funder_id', 'varchar(100)', (c) => c.notNull())
    .addColumn('volume', 'bigint', (c) => c.notNull())
    .addColumn('high_risk_volume', 'bigint', (c) => c.notNull())
    .addColumn('loans', 'integer', (c) => c.notNull())
    .addPrimaryKeyConstraint('funder_usage_pk', ['day', 'funder_id'])
    .execute();

  await db.schema
    .createTable('routing_runs')
    .ifNotExists()
    .addColumn('run_id', 'varchar(100)', (c) => c.primaryKey())
    .addColumn('day', 'integer', (c) => c.notNull())
    .addColumn('summary', 'text', (c) => c.notNull())
    .addColumn('prices', 'text')
    .addColumn('created_by', 'varchar(100)', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('routing_runs_day').ifNotExists().on('routing_runs').columns(['day', 'created_at']).execute();
}
