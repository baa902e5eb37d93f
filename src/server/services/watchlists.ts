// How decisions answer `inWatchlist('list', value)`, and how watchlists change. The anti-fraud capability provides the
// hashed watchlists and plugs its lookup in through createServices; without it a list reads as empty, with one
// warning per list name so a flow that depends on a missing list is visible in the logs.
import { MingjianError } from '../../kernel/errors.ts';
import type { FraudActor, FraudService, WatchlistChangeInput } from '../../fraud/fraud-service.ts';
import type { WatchlistChangeSet } from '../../fraud/watchlists.ts';
import type { GovernedVersion } from '../../store/governance-store.ts';
import type { Caller, Role } from './access.ts';
import type { GovernanceService, GovernedKind } from './governance.ts';

export interface WatchlistLookup {
  /** Constant time; called synchronously while a flow evaluates. */
  has(list: string, value: unknown): boolean;
}

export function emptyWatchlists(warn: (msg: string) => void): WatchlistLookup {
  const warned = new Set<string>();
  return {
    has(list) {
      if (!warned.has(list)) {
        warned.add(list);
        warn(`watchlist '${list}' is not loaded: it reads as empty until the anti-fraud watchlists provide it`);
      }
      return false;
    },
  };
}

// ---- governed watchlist changes ---------------------------------------------------------------------------------
//
// Every change to a watchlist (create a list, add, import, remove, a confirmed case's proposals) is a change set of
// the governed kind `watchlist-change`, in the one governance mechanism flows and models use: proposed (submitted) by
// one user with `watchlists:propose`, approved or rejected by another with `watchlists:approve` (maker-checker), and
// applied to the live hashed lists in the same transaction as its activation, which follows the approval at once.
// A change set holds keyed hashes and masked previews, never values, so nothing waiting for approval stores them.

export const WATCHLIST_CHANGE_KIND = 'watchlist-change';
/** Change sets have one version: they are proposed once and then only approved or rejected. */
export const CHANGE_VERSION = '1';

export function createWatchlistChangeKind(fraud: FraudService): GovernedKind {
  return {
    kind: WATCHLIST_CHANGE_KIND,
    plural: 'watchlist-changes',
    permissions: { read: 'watchlists:read', edit: 'watchlists:propose', approve: 'watchlists:approve', activate: 'watchlists:approve' },
    parse(input) {
      let value = input.value;
      if (input.text !== undefined) {
        try {
          value = JSON.parse(input.text);
        } catch (err) {
          throw new MingjianError('VALIDATION', `a watchlist change set is JSON: ${(err as Error).message}`, [{ path: '(root)', message: 'not valid JSON' }]);
        }
      }
      const id = (value as { id?: unknown } | null)?.id;
      if (typeof value !== 'object' || value === null || Array.isArray(value) || typeof id !== 'string') {
        throw new MingjianError('VALIDATION', 'a watchlist change set must be an object with an id', [{ path: 'id', message: 'required' }]);
      }
      return { objectId: id, version: CHANGE_VERSION, body: value as Record<string, unknown> };
    },
    withVersion: (body) => body,
    check: async (body) => fraud.checkWatchlistChange(body),
    changeSet: {
      proposedThrough: 'watchlist changes are proposed through POST /v1/watchlists, POST /v1/watchlists/{name}/entries, POST /v1/watchlists/{name}/import, DELETE /v1/watchlists/{name}/entries or by resolving a case as confirmed fraud (values are hashed on arrival)',
      async apply(trx, version, actor) {
        const applied = await fraud.applyWatchlistChange(trx, version.body as WatchlistChangeSet, actor);
        return { audit: applied, afterCommit: () => fraud.reloadWatchlists() };
      },
    },
  };
}

/** A change set as the API shows it: its state in governance and what it does (hashes and previews only). */
export interface WatchlistChangeView {
  id: string;
  status: string;
  list: string;
  operation: string;
  reason: string;
  source: string;
  proposedBy: string;
  proposedAt: string;
  approver: string | null;
  entries: number;
  removals: number;
  duplicates?: number;
  /** Where a different user with `watchlists:approve` approves (or rejects) it. */
  approve: string;
}

export interface WatchlistChanges {
  propose(caller: Caller, input: WatchlistChangeInput): Promise<WatchlistChangeView>;
  /** Change sets of one list (or all) still waiting: submitted, or approved but not applied. */
  pending(list?: string): Promise<WatchlistChangeView[]>;
}

export function viewOf(v: GovernedVersion): WatchlistChangeView {
  const c = v.body as WatchlistChangeSet;
  return {
    id: v.objectId, status: v.status, list: c.list, operation: c.operation, reason: c.reason, source: c.source, proposedBy: c.proposedBy, proposedAt: c.proposedAt,
    approver: v.approver, entries: c.add.length, removals: c.remove.length, ...(c.duplicates !== undefined ? { duplicates: c.duplicates } : {}),
    approve: `/v1/watchlist-changes/${v.objectId}/versions/${v.version}/approve`,
  };
}

/** The fraud service's actor as a caller: roles it does not carry are none (permission checks then refuse). */
function callerFrom(actor: FraudActor): Caller {
  return { userId: actor.userId, userName: actor.userName ?? actor.userId, keyId: actor.keyId ?? '', roles: [...(actor.roles ?? [])] as Role[], rateLimitPerMinute: null };
}

/** Proposing through governance, for routes and for the fraud service's case resolutions (connected here). */
export function createWatchlistChanges(governance: GovernanceService, fraud: FraudService): WatchlistChanges {
  const submit = async (caller: Caller, change: WatchlistChangeSet) => {
    // The author governance records and the proposer the change set names are one person.
    const body = { ...change, proposedBy: caller.userName };
    return governance.propose(caller, WATCHLIST_CHANGE_KIND, body as unknown as Record<string, unknown>, change.reason);
  };
  fraud.connect({
    async proposeWatchlistChanges(actor, changes) {
      const caller = callerFrom(actor);
      const ids: string[] = [];
      for (const c of changes) ids.push((await submit(caller, c)).objectId);
      return ids;
    },
  });
  return {
    async propose(caller, input) {
      return viewOf(await submit(caller, fraud.prepareWatchlistChange(caller, input)));
    },
    async pending(list) {
      const out: WatchlistChangeView[] = [];
      for (const o of await governance.listObjects(WATCHLIST_CHANGE_KIND)) {
        if (o.latestStatus !== 'submitted' && o.latestStatus !== 'approved') continue;
        const v = await governance.getVersion(WATCHLIST_CHANGE_KIND, o.objectId, o.latestVersion);
        if (list === undefined || (v.body as WatchlistChangeSet).list === list) out.push(viewOf(v));
      }
      return out.sort((a, b) => a.proposedAt.localeCompare(b.proposedAt));
    },
  };
}
