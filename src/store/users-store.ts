// Users and their API keys. Keys are stored only as SHA-256 hashes of the secret.
import type { Kysely } from 'kysely';
import type { ApiKeysTable, ServiceDatabase, UsersTable } from './schema.ts';

export interface UserRow {
  id: string;
  name: string;
  roles: string[];
  createdAt: string;
  disabledAt: string | null;
}

export interface ApiKeyRow {
  id: string;
  userId: string;
  name: string;
  prefix: string;
  createdAt: string;
  createdBy: string | null;
  revokedAt: string | null;
  expiresAt: string | null;
  rateLimitPerMinute: number | null;
}

export interface KeyOwner {
  key: ApiKeyRow;
  user: UserRow;
}

const toUser = (r: UsersTable): UserRow => ({ id: r.id, name: r.name, roles: JSON.parse(r.roles) as string[], createdAt: r.created_at, disabledAt: r.disabled_at });
const toKey = (r: ApiKeysTable): ApiKeyRow => ({
  id: r.id,
  userId: r.user_id,
  name: r.name,
  prefix: r.prefix,
  createdAt: r.created_at,
  createdBy: r.created_by,
  revokedAt: r.revoked_at,
  expiresAt: r.expires_at,
  rateLimitPerMinute: r.rate_limit_per_minute,
});

export async function insertUser(db: Kysely<ServiceDatabase>, user: UserRow): Promise<void> {
  await db.insertInto('users').values({ id: user.id, name: user.name, roles: JSON.stringify(user.roles), created_at: user.createdAt, disabled_at: user.disabledAt }).execute();
}

export async function findUser(db: Kysely<ServiceDatabase>, by: { id?: string; name?: string }): Promise<UserRow | undefined> {
  let q = db.selectFrom('users').selectAll();
  if (by.id !== undefined) q = q.where('id', '=', by.id);
  if (by.name !== undefined) q = q.where('name', '=', by.name);
  const row = await q.executeTakeFirst();
  return row ? toUser(row) : undefined;
}

export async function listUsers(db: Kysely<ServiceDatabase>): Promise<UserRow[]> {
  return (await db.selectFrom('users').selectAll().orderBy('created_at').orderBy('id').execute()).map(toUser);
}

export async function insertKey(db: Kysely<ServiceDatabase>, key: ApiKeyRow, keyHash: string): Promise<void> {
  await db
    .insertInto('api_keys')
    .values({
      id: key.id,
      user_id: key.userId,
      name: key.name,
      key_hash: keyHash,
      prefix: key.prefix,
      created_at: key.createdAt,
      created_by: key.createdBy,
      revoked_at: key.revokedAt,
      expires_at: key.expiresAt,
      rate_limit_per_minute: key.rateLimitPerMinute,
    })
    .execute();
}

export async function findKeyOwnerByHash(db: Kysely<ServiceDatabase>, keyHash: string): Promise<KeyOwner | undefined> {
  const key = await db.selectFrom('api_keys').selectAll().where('key_hash', '=', keyHash).executeTakeFirst();
  if (!key) return undefined;
  const user = await db.selectFrom('users').selectAll().where('id', '=', key.user_id).executeTakeFirst();
  return user ? { key: toKey(key), user: toUser(user) } : undefined;
}

export async function findKey(db: Kysely<ServiceDatabase>, id: string): Promise<ApiKeyRow | undefined> {
  const row = await db.selectFrom('api_keys').selectAll().where('id', '=', id).executeTakeFirst();
  return row ? toKey(row) : undefined;
}

export async function listKeys(db: Kysely<ServiceDatabase>, userId?: string): Promise<ApiKeyRow[]> {
  let q = db.selectFrom('api_keys').selectAll().orderBy('created_at').orderBy('id');
  if (userId) q = q.where('user_id', '=', userId);
  return (await q.execute()).map(toKey);
}

export async function markKeyRevoked(db: Kysely<ServiceDatabase>, id: string, at: string): Promise<void> {
  await db.updateTable('api_keys').set({ revoked_at: at }).where('id', '=', id).where('revoked_at', 'is', null).execute();
}

export async function countActiveAdminKeys(db: Kysely<ServiceDatabase>): Promise<number> {
  const users = (await listUsers(db)).filter((u) => u.roles.includes('admin') && !u.disabledAt);
  if (users.length === 0) return 0;
  const keys = await db.selectFrom('api_keys').select('id').where('user_id', 'in', users.map((u) => u.id)).where('revoked_at', 'is', null).execute();
  return keys.length;
}
