// Who may do what: roles, their permissions, API key authentication (cached), and user/key administration.
// No HTTP here: the server and the CLI call the same functions.
import { LRUCache } from 'lru-cache';
import { generateApiKey, hashApiKey } from '../../kernel/crypto.ts';
import { MingjianError } from '../../kernel/errors.ts';
import { newId } from '../../kernel/ids.ts';
import type { Store } from '../../store/database.ts';
import { appendAudit } from '../../store/audit-store.ts';
import * as users from '../../store/users-store.ts';

export const ROLES = ['admin', 'analyst', 'approver', 'investigator', 'operator', 'auditor', 'service'] as const;
export type Role = (typeof ROLES)[number];

export type Permission =
  | 'decide'
  | 'decisions:read'
  | 'decisions:replay'
  | 'pii:read'
  | 'objects:read'
  | 'objects:edit'
  | 'objects:approve'
  | 'objects:activate'
  | 'access:manage'
  | 'audit:read'
  | 'models:train'
  | 'models:read'
  | 'models:score'
  | 'funding:read'
  | 'funding:route'
  | 'fraud:investigate'
  | 'watchlists:read'
  | 'watchlists:propose'
  | 'watchlists:approve';

/** The one table of which role holds which permission. */
export const PERMISSIONS: Record<Permission, readonly Role[]> = {
  decide: ['service', 'admin', 'analyst', 'operator'],
  'decisions:read': ['admin', 'analyst', 'investigator', 'operator', 'auditor'],
  'decisions:replay': ['admin', 'analyst', 'investigator', 'auditor'],
  'pii:read': ['admin', 'investigator'],
  'objects:read': ['admin', 'analyst', 'approver', 'investigator', 'operator', 'auditor'],
  'objects:edit': ['admin', 'analyst'],
  'objects:approve': ['admin', 'approver'],
  'objects:activate': ['admin', 'approver'],
  'access:manage': ['admin'],
  'audit:read': ['admin', 'auditor'],
  'models:train': ['admin', 'analyst'],
  'models:read': ['admin', 'analyst', 'approver', 'auditor'],
  'models:score': ['service', 'admin', 'analyst', 'operator'],
  'funding:read': ['admin', 'analyst', 'operator', 'auditor'],
  'funding:route': ['admin', 'operator', 'service'],
  // Anti-fraud: investigators work cases, rings and the identity graph and propose watchlist changes; an approver
  // (never the proposer: maker-checker) applies them. Approvers and auditors read lists and change sets (hashes only).
  'fraud:investigate': ['admin', 'investigator'],
  'watchlists:read': ['admin', 'investigator', 'approver', 'auditor'],
  'watchlists:propose': ['admin', 'investigator'],
  'watchlists:approve': ['admin', 'approver'],
};

export interface Caller {
  userId: string;
  userName: string;
  keyId: string;
  roles: Role[];
  rateLimitPerMinute: number | null;
}

export const SYSTEM_USER = 'system';

export function hasPermission(caller: Pick<Caller, 'roles'>, permission: Permission): boolean {
  const allowed = PERMISSIONS[permission];
  return caller.roles.some((r) => allowed.includes(r));
}

export function requirePermission(caller: Caller, permission: Permission): void {
  if (!hasPermission(caller, permission)) {
    throw new MingjianError('FORBIDDEN', `role ${caller.roles.join(', ') || '(none)'} may not ${permission}; allowed roles: ${PERMISSIONS[permission].join(', ')}`);
  }
}

export interface AccessService {
  authenticate(secret: string): Promise<Caller | undefined>;
  createUser(actor: Caller, input: { name: string; roles: Role[] }): Promise<users.UserRow>;
  listUsers(): Promise<users.UserRow[]>;
  createKey(actor: Caller, input: { userId: string; name: string; rateLimitPerMinute?: number | null; expiresAt?: string | null }): Promise<{ key: users.ApiKeyRow; secret: string }>;
  listKeys(userId?: string): Promise<users.ApiKeyRow[]>;
  revokeKey(actor: Caller, keyId: string): Promise<users.ApiKeyRow>;
  /**
   * Makes sure an admin can log in: registers `adminKey` when given (idempotent), otherwise creates an admin key when
   * none exists. Returns the secret only when it generated one (print it once).
   */
  ensureAdmin(adminKey?: string): Promise<{ generatedSecret?: string }>;
  /** The system actor, for seeds and other start-up changes (audited like any other). */
  readonly system: Caller;
}

export function createAccessService(store: Pick<Store, 'db'>, options: { cacheTtlMs?: number } = {}): AccessService {
  const { db } = store;
  // A key lookup per request would cost a query; revocations in this process clear the cache at once, other
  // processes see them within the TTL.
  const cache = new LRUCache<string, Caller | false>({ max: 10000, ttl: options.cacheTtlMs ?? 5000 });
  const system: Caller = { userId: SYSTEM_USER, userName: SYSTEM_USER, keyId: 'system', roles: ['admin'], rateLimitPerMinute: null };

  async function ensureSystemUser(): Promise<void> {
    if (await users.findUser(db, { id: SYSTEM_USER })) return;
    await users.insertUser(db, { id: SYSTEM_USER, name: SYSTEM_USER, roles: [], createdAt: new Date().toISOString(), disabledAt: null }).catch(async (err) => {
      if (!(await users.findUser(db, { id: SYSTEM_USER }))) throw err;
    });
  }

  async function addKey(actor: Caller, user: users.UserRow, name: string, secret: string, extra: { rateLimitPerMinute?: number | null; expiresAt?: string | null }) {
    const key: users.ApiKeyRow = {
      id: newId('key'),
      userId: user.id,
      name,
      prefix: secret.slice(0, 7),
      createdAt: new Date().toISOString(),
      createdBy: actor.userId,
      revokedAt: null,
      expiresAt: extra.expiresAt ?? null,
      rateLimitPerMinute: extra.rateLimitPerMinute ?? null,
    };
    await db.transaction().execute(async (trx) => {
      await users.insertKey(trx, key, hashApiKey(secret));
      await appendAudit(trx, { actorUserId: actor.userId, actorKeyId: actor.keyId, action: 'key.create', objectKind: 'api_key', objectId: key.id, after: { ...key, user: user.name } });
    });
    return key;
  }

  return {
    system,
    async authenticate(secret) {
      const hash = hashApiKey(secret);
      const cached = cache.get(hash);
      if (cached !== undefined) return cached || undefined;
      const owner = await users.findKeyOwnerByHash(db, hash);
      const now = new Date().toISOString();
      const valid = owner && !owner.key.revokedAt && !owner.user.disabledAt && (!owner.key.expiresAt || owner.key.expiresAt > now);
      const caller: Caller | false = valid
        ? { userId: owner.user.id, userName: owner.user.name, keyId: owner.key.id, roles: owner.user.roles as Role[], rateLimitPerMinute: owner.key.rateLimitPerMinute }
        : false;
      cache.set(hash, caller);
      return caller || undefined;
    },
    async createUser(actor, input) {
      requirePermission(actor, 'access:manage');
      const unknown = input.roles.filter((r) => !ROLES.includes(r));
      if (unknown.length) throw new MingjianError('VALIDATION', 'unknown role', unknown.map((r) => ({ path: 'roles', message: `unknown role '${r}'`, expected: ROLES.join(', ') })));
      if (await users.findUser(db, { name: input.name })) throw new MingjianError('CONFLICT', `user '${input.name}' already exists`);
      const user: users.UserRow = { id: newId('usr'), name: input.name, roles: [...new Set(input.roles)], createdAt: new Date().toISOString(), disabledAt: null };
      await db.transaction().execute(async (trx) => {
        await users.insertUser(trx, user);
        await appendAudit(trx, { actorUserId: actor.userId, actorKeyId: actor.keyId, action: 'user.create', objectKind: 'user', objectId: user.id, after: user });
      });
      return user;
    },
    listUsers: () => users.listUsers(db),
    async createKey(actor, input) {
      requirePermission(actor, 'access:manage');
      const user = await users.findUser(db, { id: input.userId });
      if (!user) throw new MingjianError('NOT_FOUND', `user '${input.userId}' not found`);
      const secret = generateApiKey();
      const key = await addKey(actor, user, input.name, secret, input);
      return { key, secret };
    },
    listKeys: (userId) => users.listKeys(db, userId),
    async revokeKey(actor, keyId) {
      requirePermission(actor, 'access:manage');
      const before = await users.findKey(db, keyId);
      if (!before) throw new MingjianError('NOT_FOUND', `key '${keyId}' not found`);
      if (before.revokedAt) return before;
      const at = new Date().toISOString();
      await db.transaction().execute(async (trx) => {
        await users.markKeyRevoked(trx, keyId, at);
        await appendAudit(trx, { actorUserId: actor.userId, actorKeyId: actor.keyId, action: 'key.revoke', objectKind: 'api_key', objectId: keyId, before, after: { ...before, revokedAt: at } });
      });
      cache.clear();
      return { ...before, revokedAt: at };
    },
    async ensureAdmin(adminKey) {
      await ensureSystemUser();
      let admin = await users.findUser(db, { name: 'admin' });
      if (!admin) {
        admin = { id: newId('usr'), name: 'admin', roles: ['admin'], createdAt: new Date().toISOString(), disabledAt: null };
        const created = admin;
        await db.transaction().execute(async (trx) => {
          await users.insertUser(trx, created);
          await appendAudit(trx, { actorUserId: SYSTEM_USER, action: 'user.create', objectKind: 'user', objectId: created.id, after: created });
        });
      }
      if (adminKey) {
        if (!(await users.findKeyOwnerByHash(db, hashApiKey(adminKey)))) await addKey(system, admin, 'MINGJIAN_ADMIN_KEY', adminKey, {});
        return {};
      }
      if ((await users.countActiveAdminKeys(db)) > 0) return {};
      const secret = generateApiKey();
      await addKey(system, admin, 'generated at first start', secret, {});
      return { generatedSecret: secret };
    },
  };
}
