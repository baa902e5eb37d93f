// One governance mechanism for every versioned object (flows, models, watchlist change sets):
// draft -> submitted -> approved | rejected; approved -> active -> retired; retired -> active again (rollback).
// Maker-checker: the approver is never the author. Only drafts change; everything else is immutable.
// Change-set kinds (watchlist changes) are proposed already submitted, through their capability's API, and applied by
// the kind in the same transaction as their activation, which follows the approval at once.
import type { Transaction } from 'kysely';
import { MingjianError, type ErrorDetail } from '../../kernel/errors.ts';
import { newId } from '../../kernel/ids.ts';
import type { Store } from '../../store/database.ts';
import { appendAudit } from '../../store/audit-store.ts';
import * as gov from '../../store/governance-store.ts';
import type { GovernedStatus, ServiceDatabase } from '../../store/schema.ts';
import { requirePermission, SYSTEM_USER, type Caller, type Permission } from './access.ts';
import { diffJson, type DiffEntry } from './json-diff.ts';

export type SourceFormat = 'yaml' | 'json';

export interface ParsedObject {
  objectId: string;
  /** The version the document declares, when it declares one. */
  version?: string;
  body: Record<string, unknown>;
  /** Kind-specific parse results the check may use (for flows: the source map, for line/column in errors). */
  context?: unknown;
}

/** Which permission each step of a kind needs; flows and models use the defaults (objects:*). */
/** Ids of governed objects (flows, models): letters, digits, `_ . -`, up to 100. */
export const GOVERNED_ID = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$/;
const GOVERNED_VERSION = /^[A-Za-z0-9][A-Za-z0-9_.+-]{0,49}$/;

/**
 * The id and optional version a governed document declares, checked alike for every kind that keeps them in the
 * body (`noun` names the kind in messages, `shape` says what the document should be).
 */
export function declaredIdentity(value: unknown, noun: string, shape: string): ParsedObject {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new MingjianError('VALIDATION', `a ${noun} document must be an object`, [{ path: '(root)', message: shape }]);
  }
  const body = value as Record<string, unknown>;
  if (typeof body.id !== 'string' || !GOVERNED_ID.test(body.id)) {
    throw new MingjianError('VALIDATION', `the ${noun} needs a valid id`, [{ path: 'id', message: 'required: letters, digits, _ . - (up to 100)', expected: GOVERNED_ID.source }]);
  }
  const version = body.version === undefined || body.version === null ? undefined : String(body.version);
  if (version !== undefined && !GOVERNED_VERSION.test(version)) {
    throw new MingjianError('VALIDATION', `invalid ${noun} version`, [{ path: 'version', message: 'letters, digits, _ . + - (up to 50)' }]);
  }
  return { objectId: body.id, ...(version !== undefined ? { version } : {}), body };
}

/** Writes the assigned version into a body that does not declare one (`GovernedKind.withVersion` of such kinds). */
export function withDeclaredVersion(body: Record<string, unknown>, version: string): Record<string, unknown> {
  return body.version === undefined || body.version === null ? { ...body, version } : body;
}

export interface KindPermissions {
  read: Permission;
  edit: Permission;
  approve: Permission;
  activate: Permission;
}

const DEFAULT_PERMISSIONS: KindPermissions = { read: 'objects:read', edit: 'objects:edit', approve: 'objects:approve', activate: 'objects:activate' };

export function permissionsOf(k: GovernedKind): KindPermissions {
  return { ...DEFAULT_PERMISSIONS, ...k.permissions };
}

export interface AppliedChange {
  /** Added to the activation's audit entry (what the change did). */
  audit?: unknown;
  /** Runs after the transaction committed (e.g. reload an in-memory index); awaited before approve returns. */
  afterCommit?: () => Promise<void>;
}

/** What a kind of governed object must provide; everything else (states, approvals, audit) is shared. */
export interface GovernedKind {
  kind: string;
  /** URL segment, e.g. `flows`. */
  plural: string;
  /** Parses submitted text or an already-parsed JSON value; throws VALIDATION/FLOW_INVALID with details. */
  parse(input: { text?: string; value?: unknown; format: SourceFormat; file?: string }): ParsedObject;
  /** Writes the assigned version into the body (so the stored body names its own version). */
  withVersion(body: Record<string, unknown>, version: string): Record<string, unknown>;
  /** Every problem, errors and warnings (severity 'warning' does not block submission). */
  check(body: unknown, parsed?: ParsedObject): Promise<ErrorDetail[]>;
  permissions?: Partial<KindPermissions>;
  /**
   * Set for kinds whose versions are one-off change sets rather than documents. They are created already submitted
   * by `propose` from their capability's API (`proposedThrough` says where; drafts, edits and rollback are refused),
   * and approving one activates it at once, `apply` making the change in the activation's transaction.
   */
  changeSet?: {
    proposedThrough: string;
    apply(trx: Transaction<ServiceDatabase>, version: gov.GovernedVersion, actor: Caller): Promise<AppliedChange>;
  };
}

export type GovernanceEvent = { type: 'activated'; kind: string; objectId: string; version: string };

export interface VersionView extends gov.GovernedVersion {
  problems?: ErrorDetail[];
}

export interface GovernanceService {
  kinds(): GovernedKind[];
  kind(name: string): GovernedKind;
  listObjects(kind: string): Promise<gov.GovernedObjectSummary[]>;
  listVersions(kind: string, objectId: string): Promise<gov.GovernedVersion[]>;
  getVersion(kind: string, objectId: string, version: string): Promise<gov.GovernedVersion>;
  getActive(kind: string, objectId: string): Promise<gov.GovernedVersion | undefined>;
  createDraft(actor: Caller, kind: string, input: { text?: string; value?: unknown; format: SourceFormat }): Promise<VersionView>;
  /** A change set of a change-set kind, stored as submitted (no draft step), waiting for another user's approval. */
  propose(actor: Caller, kind: string, value: Record<string, unknown>, comment?: string): Promise<gov.GovernedVersion>;
  updateDraft(actor: Caller, kind: string, objectId: string, version: string, input: { text?: string; value?: unknown; format: SourceFormat }): Promise<VersionView>;
  validate(kind: string, objectId: string, version: string): Promise<{ valid: boolean; problems: ErrorDetail[] }>;
  validateDocument(kind: string, input: { text?: string; value?: unknown; format: SourceFormat }): Promise<{ valid: boolean; problems: ErrorDetail[] }>;
  diff(kind: string, objectId: string, from: string, to: string): Promise<DiffEntry[]>;
  submit(actor: Caller, kind: string, objectId: string, version: string, comment?: string): Promise<gov.GovernedVersion>;
  approve(actor: Caller, kind: string, objectId: string, version: string, comment: string): Promise<gov.GovernedVersion>;
  reject(actor: Caller, kind: string, objectId: string, version: string, comment: string): Promise<gov.GovernedVersion>;
  activate(actor: Caller, kind: string, objectId: string, version: string, comment?: string): Promise<gov.GovernedVersion>;
  rollback(actor: Caller, kind: string, objectId: string, toVersion?: string, comment?: string): Promise<gov.GovernedVersion>;
  listActivations(kind: string, objectId: string): Promise<gov.Activation[]>;
  /**
   * Loads a document as a system-approved, active version unless that version already exists. Bypasses maker-checker
   * on purpose (the files ship with the release) and is audited as `<kind>.seed` by the `system` user.
   */
  seed(kind: string, text: string, file: string): Promise<{ version: gov.GovernedVersion; created: boolean }>;
  onEvent(listener: (e: GovernanceEvent) => void): void;
}

const hasErrors = (problems: ErrorDetail[]) => problems.some((p) => p.severity !== 'warning');

export function createGovernanceService(store: Pick<Store, 'db'>, kindList: GovernedKind[]): GovernanceService {
  const { db } = store;
  const byName = new Map<string, GovernedKind>();
  for (const k of kindList) {
    byName.set(k.kind, k);
    byName.set(k.plural, k);
  }
  const listeners: ((e: GovernanceEvent) => void)[] = [];

  function kindOf(name: string): GovernedKind {
    const k = byName.get(name);
    if (!k) throw new MingjianError('NOT_FOUND', `unknown kind '${name}'; known: ${kindList.map((x) => x.kind).join(', ')}`);
    return k;
  }

  async function mustFind(kind: string, objectId: string, version: string): Promise<gov.GovernedVersion> {
    const v = await gov.findVersion(db, kind, objectId, version);
    if (!v) throw new MingjianError('NOT_FOUND', `${kind} '${objectId}' has no version '${version}'`);
    return v;
  }

  const summary = (v: gov.GovernedVersion) => ({ version: v.version, status: v.status, author: v.author, approver: v.approver });

  /** Applies one state change with its audit entry in one transaction; fails with CONFLICT if the state moved meanwhile. */
  async function transition(actor: Caller, v: gov.GovernedVersion, action: string, to: GovernedStatus, extra: { approver?: string | null; comment?: string } = {}): Promise<gov.GovernedVersion> {
    const at = new Date().toISOString();
    const comments = extra.comment ? [...v.comments, { by: actor.userName, at, action, text: extra.comment }] : v.comments;
    const updated: gov.GovernedVersion = { ...v, status: to, comments, updatedAt: at, ...(extra.approver !== undefined ? { approver: extra.approver } : {}) };
    await db.transaction().execute(async (trx) => {
      const ok = await gov.updateVersion(trx, v.id, v.status, { status: to, comments, updatedAt: at, ...(extra.approver !== undefined ? { approver: extra.approver } : {}) });
      if (!ok) throw new MingjianError('CONFLICT', `${v.kind} '${v.objectId}' version '${v.version}' changed meanwhile; reload and retry`);
      await appendAudit(trx, { actorUserId: actor.userId, actorKeyId: actor.keyId, action: `${v.kind}.${action}`, objectKind: v.kind, objectId: `${v.objectId}@${v.version}`, before: summary(v), after: { ...summary(updated), comment: extra.comment } });
    });
    return updated;
  }

  async function doActivate(actor: Caller, v: gov.GovernedVersion, reason: 'activate' | 'rollback' | 'seed', comment?: string): Promise<gov.GovernedVersion> {
    if (v.status === 'active') throw new MingjianError('CONFLICT', `${v.kind} '${v.objectId}' version '${v.version}' is already active`);
    if (v.status !== 'approved' && v.status !== 'retired') {
      throw new MingjianError('CONFLICT', `only approved versions can be activated; ${v.kind} '${v.objectId}' version '${v.version}' is ${v.status}`);
    }
    const at = new Date().toISOString();
    const previous = await gov.findActiveVersion(db, v.kind, v.objectId);
    const comments = comment ? [...v.comments, { by: actor.userName, at, action: reason, text: comment }] : v.comments;
    const apply = byName.get(v.kind)?.changeSet?.apply;
    let applied: AppliedChange | undefined;
    try {
      await db.transaction().execute(async (trx) => {
        if (previous && !(await gov.updateVersion(trx, previous.id, 'active', { status: 'retired', updatedAt: at }))) {
          throw new MingjianError('CONFLICT', `the active version of ${v.kind} '${v.objectId}' changed meanwhile; retry`);
        }
        if (!(await gov.updateVersion(trx, v.id, v.status, { status: 'active', comments, updatedAt: at }))) {
          throw new MingjianError('CONFLICT', `${v.kind} '${v.objectId}' version '${v.version}' changed meanwhile; retry`);
        }
        await gov.insertActivation(trx, { id: newId('act'), kind: v.kind, objectId: v.objectId, version: v.version, previousVersion: previous?.version ?? null, activatedBy: actor.userId, activatedAt: at, reason });
        if (apply) applied = await apply(trx, v, actor);
        await appendAudit(trx, {
          actorUserId: actor.userId,
          actorKeyId: actor.keyId,
          action: `${v.kind}.${reason}`,
          objectKind: v.kind,
          objectId: v.objectId,
          before: { activeVersion: previous?.version ?? null },
          after: { activeVersion: v.version, comment, ...(applied?.audit !== undefined ? { applied: applied.audit } : {}) },
        });
      });
    } catch (err) {
      if (err instanceof MingjianError) throw err;
      if (/unique|duplicate/i.test((err as Error).message)) throw new MingjianError('CONFLICT', `another activation of ${v.kind} '${v.objectId}' happened at the same time; retry`);
      throw err;
    }
    await applied?.afterCommit?.();
    for (const l of listeners) l({ type: 'activated', kind: v.kind, objectId: v.objectId, version: v.version });
    return { ...v, status: 'active', comments, updatedAt: at };
  }

  async function parseAndCheck(k: GovernedKind, input: { text?: string; value?: unknown; format: SourceFormat }) {
    const parsed = k.parse(input);
    return { parsed, problems: await k.check(parsed.body, parsed) };
  }

  async function insertNew(actor: Caller, k: GovernedKind, parsed: ParsedObject, source: string | null, format: SourceFormat, opts: { status: GovernedStatus; approver: string | null; seeded: boolean; action: string; comment?: string }) {
    const seq = await gov.nextSeq(db, k.kind, parsed.objectId);
    let version = parsed.version;
    if (version === undefined) {
      version = String(seq);
      while (await gov.findVersion(db, k.kind, parsed.objectId, version)) version = `${version}.1`;
    } else if (await gov.findVersion(db, k.kind, parsed.objectId, version)) {
      throw new MingjianError('CONFLICT', `${k.kind} '${parsed.objectId}' version '${version}' already exists; change the version, or update the draft with PUT`);
    }
    const at = new Date().toISOString();
    const v: gov.GovernedVersion = {
      id: newId('ver'),
      kind: k.kind,
      objectId: parsed.objectId,
      version,
      seq,
      status: opts.status,
      author: actor.userName,
      approver: opts.approver,
      comments: opts.comment ? [{ by: actor.userName, at, action: opts.action, text: opts.comment }] : [],
      body: k.withVersion(parsed.body, version),
      source,
      sourceFormat: format,
      createdAt: at,
      updatedAt: at,
      seeded: opts.seeded,
    };
    try {
      await db.transaction().execute(async (trx) => {
        await gov.insertVersion(trx, v);
        await appendAudit(trx, { actorUserId: actor.userId, actorKeyId: actor.keyId, action: `${k.kind}.${opts.action}`, objectKind: k.kind, objectId: `${v.objectId}@${v.version}`, after: { ...summary(v), body: v.body, ...(opts.comment ? { comment: opts.comment } : {}) } });
      });
    } catch (err) {
      if (/unique|duplicate/i.test((err as Error).message)) throw new MingjianError('CONFLICT', `${k.kind} '${v.objectId}' version '${v.version}' was created at the same time; retry`);
      throw err;
    }
    return v;
  }

  function notForChangeSets(k: GovernedKind, what: string): void {
    if (k.changeSet) throw new MingjianError('CONFLICT', `${k.plural} cannot be ${what} here: ${k.changeSet.proposedThrough}`);
  }

  function sourceOf(input: { text?: string; value?: unknown; format: SourceFormat }): string | null {
    return input.text ?? (input.value === undefined ? null : JSON.stringify(input.value, null, 2));
  }

  return {
    kinds: () => kindList,
    kind: kindOf,
    listObjects: (kind) => gov.listObjects(db, kindOf(kind).kind),
    listVersions: (kind, objectId) => gov.listVersions(db, kindOf(kind).kind, objectId),
    getVersion: (kind, objectId, version) => mustFind(kindOf(kind).kind, objectId, version),
    getActive: (kind, objectId) => gov.findActiveVersion(db, kindOf(kind).kind, objectId),

    async createDraft(actor, kind, input) {
      const k = kindOf(kind);
      requirePermission(actor, permissionsOf(k).edit);
      notForChangeSets(k, 'drafted');
      const { parsed, problems } = await parseAndCheck(k, input);
      const v = await insertNew(actor, k, parsed, sourceOf(input), input.format, { status: 'draft', approver: null, seeded: false, action: 'draft.create' });
      return { ...v, problems };
    },

    async propose(actor, kind, value, comment) {
      const k = kindOf(kind);
      requirePermission(actor, permissionsOf(k).edit);
      if (!k.changeSet) throw new MingjianError('CONFLICT', `${k.plural} are drafted and submitted, not proposed`);
      const { parsed, problems } = await parseAndCheck(k, { value, format: 'json' });
      if (hasErrors(problems)) throw new MingjianError('VALIDATION', `the ${k.kind} has errors`, problems.filter((p) => p.severity !== 'warning'));
      // No source text is kept: the body is all there is (for watchlists: keyed hashes and masked previews).
      return insertNew(actor, k, parsed, null, 'json', { status: 'submitted', approver: null, seeded: false, action: 'propose', ...(comment ? { comment } : {}) });
    },

    async updateDraft(actor, kind, objectId, version, input) {
      const k = kindOf(kind);
      requirePermission(actor, permissionsOf(k).edit);
      notForChangeSets(k, 'edited');
      const v = await mustFind(k.kind, objectId, version);
      if (v.status !== 'draft') throw new MingjianError('CONFLICT', `${k.kind} '${objectId}' version '${version}' is ${v.status} and can no longer change; create a new version`);
      const { parsed, problems } = await parseAndCheck(k, input);
      const mismatch: ErrorDetail[] = [];
      if (parsed.objectId !== objectId) mismatch.push({ path: 'id', message: `document id '${parsed.objectId}' does not match '${objectId}'` });
      if (parsed.version !== undefined && parsed.version !== version) mismatch.push({ path: 'version', message: `document version '${parsed.version}' does not match '${version}'` });
      if (mismatch.length) throw new MingjianError('VALIDATION', 'the document does not match the draft it updates', mismatch);
      const at = new Date().toISOString();
      const body = k.withVersion(parsed.body, version);
      const source = sourceOf(input);
      await db.transaction().execute(async (trx) => {
        if (!(await gov.updateVersion(trx, v.id, 'draft', { body, source, sourceFormat: input.format, updatedAt: at }))) {
          throw new MingjianError('CONFLICT', `${k.kind} '${objectId}' version '${version}' is no longer a draft`);
        }
        await appendAudit(trx, { actorUserId: actor.userId, actorKeyId: actor.keyId, action: `${k.kind}.draft.update`, objectKind: k.kind, objectId: `${objectId}@${version}`, before: { body: v.body }, after: { body } });
      });
      return { ...v, body, source, sourceFormat: input.format, updatedAt: at, problems };
    },

    async validate(kind, objectId, version) {
      const k = kindOf(kind);
      const v = await mustFind(k.kind, objectId, version);
      const problems = await k.check(v.body);
      return { valid: !hasErrors(problems), problems };
    },

    async validateDocument(kind, input) {
      const k = kindOf(kind);
      try {
        const { problems } = await parseAndCheck(k, input);
        return { valid: !hasErrors(problems), problems };
      } catch (err) {
        if (err instanceof MingjianError && err.details) return { valid: false, problems: err.details };
        throw err;
      }
    },

    async diff(kind, objectId, from, to) {
      const k = kindOf(kind);
      const [a, b] = await Promise.all([mustFind(k.kind, objectId, from), mustFind(k.kind, objectId, to)]);
      return diffJson(a.body, b.body);
    },

    async submit(actor, kind, objectId, version, comment) {
      const k = kindOf(kind);
      requirePermission(actor, permissionsOf(k).edit);
      const v = await mustFind(k.kind, objectId, version);
      if (v.status !== 'draft') throw new MingjianError('CONFLICT', `only drafts can be submitted; ${k.kind} '${objectId}' version '${version}' is ${v.status}`);
      const problems = await k.check(v.body);
      if (hasErrors(problems)) throw new MingjianError('VALIDATION', `${k.kind} '${objectId}' version '${version}' has errors and cannot be submitted`, problems.filter((p) => p.severity !== 'warning'));
      return transition(actor, v, 'submit', 'submitted', comment ? { comment } : {});
    },

    async approve(actor, kind, objectId, version, comment) {
      const k = kindOf(kind);
      requirePermission(actor, permissionsOf(k).approve);
      const v = await mustFind(k.kind, objectId, version);
      if (v.status !== 'submitted') throw new MingjianError('CONFLICT', `only submitted versions can be approved; ${k.kind} '${objectId}' version '${version}' is ${v.status}`);
      if (v.author === actor.userName) throw new MingjianError('FORBIDDEN', `maker-checker: '${actor.userName}' wrote version '${version}' and cannot approve it; another approver must`);
      const approved = await transition(actor, v, 'approve', 'approved', { approver: actor.userName, comment });
      if (!k.changeSet) return approved;
      try {
        return await doActivate(actor, approved, 'activate', 'applied on approval');
      } catch (err) {
        // The approval stands; the change is not applied. Activating it later retries (after fixing the cause).
        if (!(err instanceof MingjianError)) throw err;
        throw new MingjianError(err.code, `${k.kind} '${objectId}' is approved but could not be applied: ${err.message}; it stays approved and unapplied until activated`, err.details);
      }
    },

    async reject(actor, kind, objectId, version, comment) {
      const k = kindOf(kind);
      requirePermission(actor, permissionsOf(k).approve);
      const v = await mustFind(k.kind, objectId, version);
      if (v.status !== 'submitted') throw new MingjianError('CONFLICT', `only submitted versions can be rejected; ${k.kind} '${objectId}' version '${version}' is ${v.status}`);
      if (v.author === actor.userName) throw new MingjianError('FORBIDDEN', `maker-checker: '${actor.userName}' wrote version '${version}' and cannot decide on it`);
      return transition(actor, v, 'reject', 'rejected', { approver: actor.userName, comment });
    },

    async activate(actor, kind, objectId, version, comment) {
      const k = kindOf(kind);
      requirePermission(actor, permissionsOf(k).activate);
      const v = await mustFind(k.kind, objectId, version);
      const problems = await k.check(v.body);
      if (hasErrors(problems)) throw new MingjianError('VALIDATION', `${k.kind} '${objectId}' version '${version}' no longer validates`, problems);
      return doActivate(actor, v, 'activate', comment);
    },

    async rollback(actor, kind, objectId, toVersion, comment) {
      const k = kindOf(kind);
      requirePermission(actor, permissionsOf(k).activate);
      notForChangeSets(k, 'rolled back (propose the opposite change)');
      let target = toVersion;
      if (target === undefined) {
        const current = await gov.findActiveVersion(db, k.kind, objectId);
        const history = await gov.listActivations(db, k.kind, objectId);
        target = history.find((a) => a.version === current?.version)?.previousVersion ?? undefined;
        if (target === undefined) throw new MingjianError('CONFLICT', `${k.kind} '${objectId}' has no earlier active version to roll back to`);
      }
      const v = await mustFind(k.kind, objectId, target);
      if (v.status !== 'retired') throw new MingjianError('CONFLICT', `rollback goes back to a previously active version; '${target}' is ${v.status}`);
      return doActivate(actor, v, 'rollback', comment);
    },

    listActivations: (kind, objectId) => gov.listActivations(db, kindOf(kind).kind, objectId),

    async seed(kind, text, file) {
      const k = kindOf(kind);
      const parsed = k.parse({ text, format: /\.json$/i.test(file) ? 'json' : 'yaml', file });
      if (parsed.version !== undefined) {
        const existing = await gov.findVersion(db, k.kind, parsed.objectId, parsed.version);
        if (existing) return { version: existing, created: false };
      }
      const problems = await k.check(parsed.body, parsed);
      if (hasErrors(problems)) throw new MingjianError('FLOW_INVALID', `seed file ${file} has errors`, problems);
      const system: Caller = { userId: SYSTEM_USER, userName: SYSTEM_USER, keyId: 'system', roles: ['admin'], rateLimitPerMinute: null };
      const v = await insertNew(system, k, parsed, text, /\.json$/i.test(file) ? 'json' : 'yaml', { status: 'approved', approver: SYSTEM_USER, seeded: true, action: 'seed.load' });
      const active = await gov.findActiveVersion(db, k.kind, parsed.objectId);
      // A flow an analyst already governs keeps its active version; the seed only activates objects with none.
      if (active) return { version: v, created: true };
      return { version: await doActivate(system, v, 'seed', `seeded from ${file}`), created: true };
    },

    onEvent(listener) {
      listeners.push(listener);
    },
  };
}
