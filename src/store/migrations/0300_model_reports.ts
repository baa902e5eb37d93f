// Training artefacts of governed scorecard models that do not belong in the governed body: the report a credit
// committee reads and the metrics of the run, one row per (model, version) trained through the service.
import type { Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('model_training_runs')
    .ifNotExists()
    .addColumn('model_id', 'varchar(100)', (c) => c.notNull())
    .addColumn('version', 'varchar(50)', (c) => c.notNull())
    .addColumn('metrics', 'text', (c) => c.notNull())
    .addColumn('report_html', 'text', (c) => c.notNull())
    .addColumn('trained_by', 'varchar(100)', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('model_training_runs_pk', ['model_id', 'version'])
    .execute();
}
