// Append-only, hash-chained audit log. Each entry's hash covers the previous entry's hash and its own content, so
// changing, removing or reordering any entry breaks every hash after it; the head row also catches a cut-off tail.
import type { Kysely, Transaction } from 'kysely';
import { canonicalJson, sha256Hex } from '../kernel/crypto.ts';
import type { AuditLogTable, ServiceDatabase } from './schema.ts';

export const GENESIS_HASH = '0'.repeat(64);

export interface AuditInput {
  actorUserId: string;
  actorKeyId?: string | null;
  /** Dotted verb, e.g. `flow.approve`, `key.create`, `decision.read-unmasked`. */
  action: string;
  objectKind: string;
  objectId: string;
  before?: unknown;
  after?: unknown;
}

export interface AuditEntry {
  seq: number;
  at: string;
  actorUserId: string;
  actorKeyId: string | null;
  action: string;
  objectKind: string;
  objectId: string;
  before: unknown;
  after: unknown;
  prevHash: string;
  hash: string;
}

export function entryHash(row: Omit<AuditLogTable, 'hash'>): string {
  const content = canonicalJson({
    seq: row.seq,
    at: row.at,
    actor: row.actor_user_id,
    key: row.actor_key_id,
    action: row.action,
    kind: row.object_kind,
    object: row.object_id,
    before: row.before,
    after: row.after,
  });
  return sha256Hex(`${row.prev_hash}\n${content}`);
}

/** Appends one entry inside the caller's transaction, so the change and its audit record commit together. */
export async function appendAudit(trx: Transaction<ServiceDatabase>, input: AuditInput, now: Date = new Date()): Promise<AuditEntry> {
  // The UPDATE takes the head's row lock (PostgreSQL) or the write lock (SQLite) before the head is read.
  const head = await trx.updateTable('audit_head').set((eb) => ({ seq: eb('seq', '+', 1) })).where('id', '=', 1).returning(['seq', 'hash']).executeTakeFirstOrThrow();
  const row: Omit<AuditLogTable, 'hash'> = {
    seq: head.seq,
    at: now.toISOString(),
    actor_user_id: input.actorUserId,
    actor_key_id: input.actorKeyId ?? null,
    action: input.action,
    object_kind: input.objectKind,
    object_id: input.objectId,
    before: input.before === undefined ? null : canonicalJson(input.before),
    after: input.after === undefined ? null : canonicalJson(input.after),
    prev_hash: head.hash,
  };
  const hash = entryHash(row);
  await trx.insertInto('audit_log').values({ ...row, hash }).execute();
  await trx.updateTable('audit_head').set({ hash }).where('id', '=', 1).execute();
  return toEntry({ ...row, hash });
}

export async function appendAuditNow(db: Kysely<ServiceDatabase>, input: AuditInput): Promise<AuditEntry> {
  return db.transaction().execute((trx) => appendAudit(trx, input));
}

function toEntry(r: AuditLogTable): AuditEntry {
  return {
    seq: r.seq,
    at: r.at,
    actorUserId: r.actor_user_id,
    actorKeyId: r.actor_key_id,
    action: r.action,
    objectKind: r.object_kind,
    objectId: r.object_id,
    before: r.before === null ? null : JSON.parse(r.before),
    after: r.after === null ? null : JSON.parse(r.after),
    prevHash: r.prev_hash,
    hash: r.hash,
  };
}

export interface AuditQuery {
  afterSeq?: number;
  limit: number;
  action?: string;
  objectKind?: string;
  objectId?: string;
  actorUserId?: string;
}

export async function listAudit(db: Kysely<ServiceDatabase>, q: AuditQuery): Promise<AuditEntry[]> {
  let query = db.selectFrom('audit_log').selectAll().orderBy('seq', 'asc').limit(q.limit);
  if (q.afterSeq !== undefined) query = query.where('seq', '>', q.afterSeq);
  if (q.action) query = query.where('action', '=', q.action);
  if (q.objectKind) query = query.where('object_kind', '=', q.objectKind);
  if (q.objectId) query = query.where('object_id', '=', q.objectId);
  if (q.actorUserId) query = query.where('actor_user_id', '=', q.actorUserId);
  return (await query.execute()).map(toEntry);
}

export interface AuditVerification {
  ok: boolean;
  entries: number;
  headSeq: number;
  /** The first entry that does not match the chain, and why. */
  firstBad?: { seq: number; reason: string };
}

export async function verifyAuditChain(db: Kysely<ServiceDatabase>, pageSize = 2000): Promise<AuditVerification> {
  const head = await db.selectFrom('audit_head').selectAll().where('id', '=', 1).executeTakeFirstOrThrow();
  let prevHash = GENESIS_HASH;
  let expectedSeq = 1;
  let count = 0;
  for (;;) {
    const rows = await db.selectFrom('audit_log').selectAll().where('seq', '>=', expectedSeq).orderBy('seq', 'asc').limit(pageSize).execute();
    for (const r of rows) {
      count++;
      const bad = (reason: string): AuditVerification => ({ ok: false, entries: count, headSeq: head.seq, firstBad: { seq: r.seq, reason } });
      if (r.seq !== expectedSeq) return { ok: false, entries: count, headSeq: head.seq, firstBad: { seq: expectedSeq, reason: `entry ${expectedSeq} is missing (next is ${r.seq})` } };
      if (r.prev_hash !== prevHash) return bad('previous-hash link does not match the entry before it');
      if (entryHash(r) !== r.hash) return bad('content does not match its hash (entry was modified)');
      prevHash = r.hash;
      expectedSeq++;
    }
    if (rows.length < pageSize) break;
  }
  if (expectedSeq - 1 !== head.seq || prevHash !== head.hash) {
    return { ok: false, entries: count, headSeq: head.seq, firstBad: { seq: expectedSeq, reason: `chain ends at entry ${expectedSeq - 1} but the head records entry ${head.seq} (entries removed from the end)` } };
  }
  return { ok: true, entries: count, headSeq: head.seq };
}
