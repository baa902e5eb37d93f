// Events behind the embedded velocity store: the in-memory buckets are rebuilt from this table on start.
// Personal fields are keyed-hashed before they reach it (see src/variables/velocity-service.ts).
import type { Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('velocity_events')
    .ifNotExists()
    .addColumn('id', 'varchar(128)', (c) => c.primaryKey())
    .addColumn('type', 'varchar(100)', (c) => c.notNull())
    .addColumn('occurred_at', 'bigint', (c) => c.notNull())
    .addColumn('fields', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('velocity_events_occurred_at').ifNotExists().on('velocity_events').column('occurred_at').execute();
}
