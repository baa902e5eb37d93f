// Decision records: written in batches (group commit), read by id, idempotency key or filters.
import type { Kysely } from 'kysely';
import type { DecisionsTable, ServiceDatabase } from './schema.ts';

export type DecisionRow = DecisionsTable;

const COLUMNS = 16;

/**
 * Inserts the rows in one transaction. A row whose idempotency key is already stored is skipped (the caller then
 * reads the stored one); returns, per row, whether it was inserted.
 */
/**
 * Inserts the decisions in one transaction; one flag per row, false where its idempotency key was already recorded.
 * `alsoWrite` runs in the same transaction, told which rows were new, for what must be exactly as durable as them.
 */
export async function insertDecisionBatch(
  db: Kysely<ServiceDatabase>,
  rows: DecisionRow[],
  maxParameters: number,
  alsoWrite?: (trx: Kysely<ServiceDatabase>, inserted: boolean[]) => Promise<void>,
): Promise<boolean[]> {
  const perStatement = Math.max(1, Math.floor(maxParameters / COLUMNS));
  const ids = new Set<string>();
  let inserted: boolean[] = [];
  await db.transaction().execute(async (trx) => {
    for (let i = 0; i < rows.length; i += perStatement) {
      const chunk = rows.slice(i, i + perStatement);
      const returned = await trx
        .insertInto('decisions')
        .values(chunk)
        .onConflict((oc) => oc.column('idempotency_key').doNothing())
        .returning('id')
        .execute();
      for (const r of returned) ids.add(r.id);
    }
    inserted = rows.map((r) => ids.has(r.id));
    if (alsoWrite) await alsoWrite(trx, inserted);
  });
  return inserted;
}

export async function findDecision(db: Kysely<ServiceDatabase>, id: string): Promise<DecisionRow | undefined> {
  return db.selectFrom('decisions').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function findDecisionByKey(db: Kysely<ServiceDatabase>, idempotencyKey: string): Promise<DecisionRow | undefined> {
  return db.selectFrom('decisions').selectAll().where('idempotency_key', '=', idempotencyKey).executeTakeFirst();
}

export interface DecisionQuery {
  flow?: string;
  decision?: string;
  /** Inclusive ISO timestamp. */
  from?: string;
  /** Exclusive ISO timestamp. */
  to?: string;
  /** Newest first: only ids below this one. */
  beforeId?: string;
  limit: number;
}

export type DecisionSummaryRow = Pick<DecisionRow, 'id' | 'flow_id' | 'flow_version' | 'decision' | 'idempotency_key' | 'created_at' | 'result' | 'caller_user_id'>;

export async function listDecisions(db: Kysely<ServiceDatabase>, q: DecisionQuery): Promise<DecisionSummaryRow[]> {
  let query = db.selectFrom('decisions').select(['id', 'flow_id', 'flow_version', 'decision', 'idempotency_key', 'created_at', 'result', 'caller_user_id']).orderBy('id', 'desc').limit(q.limit);
  if (q.flow) query = query.where('flow_id', '=', q.flow);
  if (q.decision) query = query.where('decision', '=', q.decision);
  if (q.from) query = query.where('created_at', '>=', q.from);
  if (q.to) query = query.where('created_at', '<', q.to);
  if (q.beforeId) query = query.where('id', '<', q.beforeId);
  return query.execute();
}

/** Flow versions decided at or after `from` (ISO): which flows a catch-up after a crash has to look at. */
export async function flowVersionsSince(db: Kysely<ServiceDatabase>, from: string): Promise<{ flow_id: string; flow_version: string }[]> {
  return db.selectFrom('decisions').select(['flow_id', 'flow_version']).distinct().where('created_at', '>=', from).execute();
}

/** Decisions of one flow version at or after `from`, oldest first, a page at a time (after `afterId`). */
export async function decisionsOfVersionSince(db: Kysely<ServiceDatabase>, q: { flow: string; version: string; from: string; afterId?: string; limit: number }): Promise<Pick<DecisionRow, 'id' | 'flow_id' | 'input' | 'result' | 'decision' | 'evaluated_at' | 'caller_user_id' | 'caller_key_id'>[]> {
  let query = db.selectFrom('decisions')
    .select(['id', 'flow_id', 'input', 'result', 'decision', 'evaluated_at', 'caller_user_id', 'caller_key_id'])
    .where('flow_id', '=', q.flow).where('flow_version', '=', q.version).where('created_at', '>=', q.from)
    .orderBy('id').limit(q.limit);
  if (q.afterId) query = query.where('id', '>', q.afterId);
  return query.execute();
}
