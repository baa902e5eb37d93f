// Versions of governed objects (flows, watchlists, models): one table for every kind, one status machine.
import type { Kysely } from 'kysely';
import type { GovernedStatus, GovernedVersionsTable, ServiceDatabase } from './schema.ts';

export interface GovernedComment {
  by: string;
  at: string;
  action: string;
  text: string;
}

export interface GovernedVersion {
  id: string;
  kind: string;
  objectId: string;
  version: string;
  seq: number;
  status: GovernedStatus;
  author: string;
  approver: string | null;
  comments: GovernedComment[];
  body: unknown;
  source: string | null;
  sourceFormat: string;
  createdAt: string;
  updatedAt: string;
  seeded: boolean;
}

const toVersion = (r: GovernedVersionsTable): GovernedVersion => ({
  id: r.id,
  kind: r.kind,
  objectId: r.object_id,
  version: r.version,
  seq: r.seq,
  status: r.status,
  author: r.author,
  approver: r.approver,
  comments: JSON.parse(r.comments) as GovernedComment[],
  body: JSON.parse(r.body),
  source: r.source,
  sourceFormat: r.source_format,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
  seeded: r.seeded === 1,
});

export async function insertVersion(db: Kysely<ServiceDatabase>, v: GovernedVersion): Promise<void> {
  await db
    .insertInto('governed_versions')
    .values({
      id: v.id,
      kind: v.kind,
      object_id: v.objectId,
      version: v.version,
      seq: v.seq,
      status: v.status,
      author: v.author,
      approver: v.approver,
      comments: JSON.stringify(v.comments),
      body: JSON.stringify(v.body),
      source: v.source,
      source_format: v.sourceFormat,
      created_at: v.createdAt,
      updated_at: v.updatedAt,
      seeded: v.seeded ? 1 : 0,
    })
    .execute();
}

export interface VersionChange {
  status?: GovernedStatus;
  approver?: string | null;
  comments?: GovernedComment[];
  body?: unknown;
  source?: string | null;
  sourceFormat?: string;
  updatedAt: string;
}

/** Updates one version only while it still has `expectedStatus` (optimistic check); returns false when it changed meanwhile. */
export async function updateVersion(db: Kysely<ServiceDatabase>, id: string, expectedStatus: GovernedStatus, change: VersionChange): Promise<boolean> {
  const set: Partial<GovernedVersionsTable> = { updated_at: change.updatedAt };
  if (change.status !== undefined) set.status = change.status;
  if (change.approver !== undefined) set.approver = change.approver;
  if (change.comments !== undefined) set.comments = JSON.stringify(change.comments);
  if (change.body !== undefined) set.body = JSON.stringify(change.body);
  if (change.source !== undefined) set.source = change.source;
  if (change.sourceFormat !== undefined) set.source_format = change.sourceFormat;
  const res = await db.updateTable('governed_versions').set(set).where('id', '=', id).where('status', '=', expectedStatus).executeTakeFirst();
  return Number(res.numUpdatedRows) === 1;
}

export async function findVersion(db: Kysely<ServiceDatabase>, kind: string, objectId: string, version: string): Promise<GovernedVersion | undefined> {
  const row = await db.selectFrom('governed_versions').selectAll().where('kind', '=', kind).where('object_id', '=', objectId).where('version', '=', version).executeTakeFirst();
  return row ? toVersion(row) : undefined;
}

export async function findActiveVersion(db: Kysely<ServiceDatabase>, kind: string, objectId: string): Promise<GovernedVersion | undefined> {
  const row = await db.selectFrom('governed_versions').selectAll().where('kind', '=', kind).where('object_id', '=', objectId).where('status', '=', 'active').executeTakeFirst();
  return row ? toVersion(row) : undefined;
}

export async function listVersions(db: Kysely<ServiceDatabase>, kind: string, objectId: string): Promise<GovernedVersion[]> {
  return (await db.selectFrom('governed_versions').selectAll().where('kind', '=', kind).where('object_id', '=', objectId).orderBy('seq', 'asc').execute()).map(toVersion);
}

export async function nextSeq(db: Kysely<ServiceDatabase>, kind: string, objectId: string): Promise<number> {
  const row = await db.selectFrom('governed_versions').select((eb) => eb.fn.max('seq').as('maxSeq')).where('kind', '=', kind).where('object_id', '=', objectId).executeTakeFirst();
  return Number(row?.maxSeq ?? 0) + 1;
}

export interface GovernedObjectSummary {
  objectId: string;
  versions: number;
  activeVersion: string | null;
  latestVersion: string;
  latestStatus: GovernedStatus;
}

export async function listObjects(db: Kysely<ServiceDatabase>, kind: string): Promise<GovernedObjectSummary[]> {
  const rows = await db.selectFrom('governed_versions').select(['object_id', 'version', 'status', 'seq']).where('kind', '=', kind).orderBy('object_id').orderBy('seq').execute();
  const out = new Map<string, GovernedObjectSummary>();
  for (const r of rows) {
    const s = out.get(r.object_id) ?? { objectId: r.object_id, versions: 0, activeVersion: null, latestVersion: r.version, latestStatus: r.status };
    s.versions++;
    s.latestVersion = r.version;
    s.latestStatus = r.status;
    if (r.status === 'active') s.activeVersion = r.version;
    out.set(r.object_id, s);
  }
  return [...out.values()];
}

export interface Activation {
  id: string;
  kind: string;
  objectId: string;
  version: string;
  previousVersion: string | null;
  activatedBy: string;
  activatedAt: string;
  reason: string;
}

export async function insertActivation(db: Kysely<ServiceDatabase>, a: Activation): Promise<void> {
  await db
    .insertInto('governed_activations')
    .values({ id: a.id, kind: a.kind, object_id: a.objectId, version: a.version, previous_version: a.previousVersion, activated_by: a.activatedBy, activated_at: a.activatedAt, reason: a.reason })
    .execute();
}

export async function listActivations(db: Kysely<ServiceDatabase>, kind: string, objectId: string): Promise<Activation[]> {
  const rows = await db.selectFrom('governed_activations').selectAll().where('kind', '=', kind).where('object_id', '=', objectId).orderBy('activated_at', 'desc').orderBy('id', 'desc').execute();
  return rows.map((r) => ({ id: r.id, kind: r.kind, objectId: r.object_id, version: r.version, previousVersion: r.previous_version, activatedBy: r.activated_by, activatedAt: r.activated_at, reason: r.reason }));
}
