// Tables of the anti-fraud capability (migration 0200_fraud). Rows carry keyed hashes of identifiers, never values.
import type { Kysely, Transaction } from 'kysely';
import type { ServiceDatabase } from './schema.ts';

export interface FraudGraphApplicationsTable {
  application_id: string;
  /** Build order: writer << 32 plus the writer's own count (rows from before writers: writer 0). */
  seq: number;
  applied_at: number;
  status: string;
  identifiers: string;
  recorded_at: string;
  /** In the range of the writer that last inserted or changed the row; null for rows from before writers. */
  changed_seq: number | null;
}
export interface FraudGraphWritersTable {
  writer: number;
  started_at: string;
  seen_at: string;
}
export interface FraudWatchlistsTable {
  name: string;
  kind: string;
  description: string;
  created_by: string;
  created_at: string;
}
export interface FraudWatchlistEntriesTable {
  list_name: string;
  key: string;
  reason: string;
  source: string;
  added_by: string;
  added_at: string;
  expires_at: string | null;
}
export interface FraudCasesTable {
  id: string;
  state: string;
  priority: string;
  source: string;
  ring_id: string | null;
  assignee: string | null;
  opened_at: string;
  response_due_at: string;
  resolution_due_at: string;
  updated_at: string;
  document: string;
}
export interface FraudCaseApplicationsTable {
  case_id: string;
  application_id: string;
}
export interface FraudRingsTable {
  id: string;
  detected_at: string;
  score: number;
  size: number;
  document: string;
}

export interface FraudDatabase extends ServiceDatabase {
  fraud_graph_applications: FraudGraphApplicationsTable;
  fraud_graph_writers: FraudGraphWritersTable;
  fraud_watchlists: FraudWatchlistsTable;
  fraud_watchlist_entries: FraudWatchlistEntriesTable;
  fraud_cases: FraudCasesTable;
  fraud_case_applications: FraudCaseApplicationsTable;
  fraud_rings: FraudRingsTable;
}

export type FraudDb = Kysely<FraudDatabase> | Transaction<FraudDatabase>;

export function fraudDb(db: Kysely<ServiceDatabase>): Kysely<FraudDatabase> {
  return db as unknown as Kysely<FraudDatabase>;
}

/** Graph rows in build order, a page at a time (keyset on seq) so a million rows never sit in memory at once. */
export async function* graphApplicationsInOrder(db: Kysely<FraudDatabase>, pageSize = 20_000): AsyncGenerator<FraudGraphApplicationsTable> {
  let after = -1;
  while (true) {
    const rows = await db.selectFrom('fraud_graph_applications').selectAll().where('seq', '>', after).orderBy('seq', 'asc').limit(pageSize).execute();
    for (const r of rows) yield { ...r, seq: Number(r.seq), applied_at: Number(r.applied_at), changed_seq: r.changed_seq === null ? null : Number(r.changed_seq) };
    if (rows.length < pageSize) return;
    after = Number(rows[rows.length - 1]!.seq);
  }
}

/** Graph rows, 1,000 to a statement (6 parameters a row); the caller holds the transaction. */
export async function insertGraphApplications(db: FraudDb, rows: readonly FraudGraphApplicationsTable[]): Promise<void> {
  for (let i = 0; i < rows.length; i += 1000) await db.insertInto('fraud_graph_applications').values(rows.slice(i, i + 1000)).execute();
}

/** Sets the status of applications, each with its own `changed_seq` (the others pull the change by it). */
export async function updateGraphStatus(db: FraudDb, changes: readonly { applicationId: string; changedSeq: number }[], status: string): Promise<void> {
  for (const c of changes) {
    await db.updateTable('fraud_graph_applications').set({ status, changed_seq: c.changedSeq }).where('application_id', '=', c.applicationId).execute();
  }
}

/** The bit a writer's number is shifted by: each writer numbers up to 2^32 rows and changes of its own. */
export const WRITER_RANGE = 2 ** 32;

/** Registers this process as a graph writer under the next free number (concurrent starts retry). */
export async function registerGraphWriter(db: Kysely<FraudDatabase>, nowIso: string): Promise<number> {
  for (let attempt = 0; ; attempt++) {
    const top = await db.selectFrom('fraud_graph_writers').select((eb) => eb.fn.max('writer').as('w')).executeTakeFirst();
    const writer = Number(top?.w ?? 0) + 1;
    try {
      await db.insertInto('fraud_graph_writers').values({ writer, started_at: nowIso, seen_at: nowIso }).execute();
      return writer;
    } catch (err) {
      // Another instance took the number between the read and the insert.
      if (attempt >= 20) throw err;
    }
  }
}

export async function touchGraphWriter(db: Kysely<FraudDatabase>, writer: number, nowIso: string): Promise<void> {
  await db.updateTable('fraud_graph_writers').set({ seen_at: nowIso }).where('writer', '=', writer).execute();
}

/** Writers seen at or after `sinceIso`. */
export async function graphWritersSeenSince(db: Kysely<FraudDatabase>, sinceIso: string): Promise<number[]> {
  return (await db.selectFrom('fraud_graph_writers').select('writer').where('seen_at', '>=', sinceIso).execute()).map((r) => Number(r.writer));
}

/** A writer's inserts and status changes after `afterSeq`, in the order it made them. */
export async function graphChangesOfWriter(db: Kysely<FraudDatabase>, writer: number, afterSeq: number, limit: number): Promise<FraudGraphApplicationsTable[]> {
  const rows = await db.selectFrom('fraud_graph_applications').selectAll()
    .where('changed_seq', '>', afterSeq).where('changed_seq', '<', (writer + 1) * WRITER_RANGE)
    .orderBy('changed_seq', 'asc').limit(limit).execute();
  return rows.map((r) => ({ ...r, seq: Number(r.seq), applied_at: Number(r.applied_at), changed_seq: Number(r.changed_seq) }));
}

export async function saveCaseRow(db: FraudDb, row: FraudCasesTable, applicationIds: readonly string[]): Promise<void> {
  const existing = await db.selectFrom('fraud_cases').select('id').where('id', '=', row.id).executeTakeFirst();
  if (existing) await db.updateTable('fraud_cases').set(row).where('id', '=', row.id).execute();
  else await db.insertInto('fraud_cases').values(row).execute();
  const linked = new Set((await db.selectFrom('fraud_case_applications').select('application_id').where('case_id', '=', row.id).execute()).map((r) => r.application_id));
  const add = applicationIds.filter((a) => !linked.has(a));
  for (let i = 0; i < add.length; i += 500) {
    await db.insertInto('fraud_case_applications').values(add.slice(i, i + 500).map((application_id) => ({ case_id: row.id, application_id }))).execute();
  }
}
