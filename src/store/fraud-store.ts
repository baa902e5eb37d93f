// Tables of the anti-fraud capability (migration 0200_fraud). Rows carry keyed hashes of identifiers, never values.
import type { Kysely, Transaction } from 'kysely';
import type { ServiceDatabase } from './schema.ts';

export interface FraudGraphApplicationsTable {
  application_id: string;
  seq: number;
  applied_at: number;
  status: string;
  identifiers: string;
  recorded_at: string;
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
    for (const r of rows) yield { ...r, seq: Number(r.seq), applied_at: Number(r.applied_at) };
    if (rows.length < pageSize) return;
    after = Number(rows[rows.length - 1]!.seq);
  }
}

/** Graph rows, 1,000 to a statement (6 parameters a row); the caller holds the transaction. */
export async function insertGraphApplications(db: FraudDb, rows: readonly FraudGraphApplicationsTable[]): Promise<void> {
  for (let i = 0; i < rows.length; i += 1000) await db.insertInto('fraud_graph_applications').values(rows.slice(i, i + 1000)).execute();
}

export async function updateGraphStatus(db: FraudDb, applicationIds: readonly string[], status: string): Promise<void> {
  for (let i = 0; i < applicationIds.length; i += 500) {
    await db.updateTable('fraud_graph_applications').set({ status }).where('application_id', 'in', applicationIds.slice(i, i + 500)).execute();
  }
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
