// Several instances writing one identity graph: each process registers as a writer and numbers its graph rows in a
// range of its own (writer << 32), so rows of two instances never collide; `changed_seq` numbers every insert and
// status change in the writer's range, so the other instances can pull what they have not seen (refreshGraph).
// Rows from before this migration keep `changed_seq` null: they belong to writer 0 and every instance loads them.
import type { Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('fraud_graph_writers')
    .ifNotExists()
    .addColumn('writer', 'bigint', (c) => c.primaryKey())
    .addColumn('started_at', 'text', (c) => c.notNull())
    // Refreshed while the instance runs: the others pull from writers seen lately.
    .addColumn('seen_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.alterTable('fraud_graph_applications').addColumn('changed_seq', 'bigint').execute();
  await db.schema.createIndex('fraud_graph_applications_changed').ifNotExists().on('fraud_graph_applications').column('changed_seq').execute();
}
