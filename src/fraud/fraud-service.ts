// The anti-fraud service: the live identity graph (in memory, rebuilt from the database on start), ring detection
// that opens cases, watchlists, and investigation cases, each change persisted with its audit entry in one
// transaction. Routes and the decision service call these functions; the pure cores do the work.
//
// One process owns the live graph: writes to it are serialised here, and a second process would not see them until
// it reloads (run one service instance per database for the fraud graph, or reload after a detection run).
import type { Kysely } from 'kysely';
import { MingjianError } from '../kernel/errors.ts';
import { newId } from '../kernel/ids.ts';
import type { ServiceDatabase } from '../store/schema.ts';
import { appendAudit } from '../store/audit-store.ts';
import {
  fraudDb, graphApplicationsInOrder, insertGraphApplication, saveCaseRow, updateGraphStatus,
  type FraudDatabase, type FraudDb,
} from '../store/fraud-store.ts';
import { HashedIdentifiers, IdentifierHasher, STATUSES, statusCode, type ApplicationIdentifiers, type ApplicationStatus } from './application-identifiers.ts';
import { IdentityGraph } from './identity-graph.ts';
import { GraphVariableReader, type GraphVariables } from './graph-variables.ts';
import { detectRings, type Ring, type RingOptions } from './rings.ts';
import { KINDS, ROLES, ROLE_KIND } from './identifiers.ts';
import { backtrackApplication, backtrackIdentifier, neighbourhood, type Backtrack, type GraphNeighbourhood } from './neighbourhood.ts';
import { changeWatchlist, hashEntries, kindOf, newWatchlist, parseWatchlistCsv, WatchlistIndex, type EntryInput, type Watchlist, type WatchlistEntry } from './watchlists.ts';
import {
  addEvidence, addNote, assignCase, breachedCases, caseQueue, changePriority, DEFAULT_SLA, linkApplications, linkRing, openCase,
  reopenCase, resolutionEffects, resolveCase, ringCasePriority, startInvestigation,
  type CasePriority, type CaseSource, type Disposition, type EvidenceKind, type InvestigationCase, type SlaPolicy, type SlaStatus,
} from './cases.ts';

/** Label the identifier hash key is derived under from the master key ring (keyRing.keyedHash(label), hex). */
export const FRAUD_KEY_LABEL = 'mingjian:fraud-identifier-key:v1';

export interface FraudActor {
  userId: string;
  keyId?: string | null;
}

export interface FraudServiceOptions {
  /** Key of the identifier hash (at least 16 bytes). Derive it from the master key; never log it. */
  key: Uint8Array;
  now?: () => number;
  hubThreshold?: number;
  /** Rings scoring at least this open a case. Default 60. */
  ringCaseThreshold?: number;
  sla?: SlaPolicy;
}

export type CaseAction =
  | { action: 'assign'; assignee: string }
  | { action: 'start' }
  | { action: 'note'; text: string }
  | { action: 'evidence'; kind: EvidenceKind; ref: string; data?: unknown }
  | { action: 'snapshot'; applicationId: string; hops?: number }
  | { action: 'link'; applicationIds?: string[]; ringId?: string }
  | { action: 'priority'; priority: CasePriority }
  | { action: 'resolve'; disposition: Disposition; summary: string; escalatedTo?: string; watchlist?: { list: string; applicationId: string; role: string }[] }
  | { action: 'reopen'; reason: string };

export interface RecordApplicationInput {
  applicationId: string;
  appliedAt: string | number;
  status?: ApplicationStatus;
  identifiers: ApplicationIdentifiers;
}

function encodeIdentifiers(graph: IdentityGraph, appIndex: number): string {
  const parts: string[] = [];
  for (let e = graph.appEdgeStart[appIndex]!, end = graph.appEdgeStart[appIndex + 1]!; e < end; e++) {
    parts.push(`${graph.edgeRole[e]}:${graph.identifiers.keyHex(graph.edgeIdent[e]!)}`);
  }
  return parts.join(',');
}

function decodeIdentifiers(text: string, out: HashedIdentifiers): HashedIdentifiers {
  out.n = 0;
  if (!text) return out;
  for (const part of text.split(',')) {
    const [role, hex] = part.split(':') as [string, string];
    out.push(parseInt(hex.slice(0, 8), 16) | 0, parseInt(hex.slice(8, 16), 16) | 0, Number(role));
  }
  return out;
}

export class FraudService {
  graph = new IdentityGraph();
  private reader: GraphVariableReader;
  private readonly hasher: IdentifierHasher;
  private readonly now: () => number;
  private readonly hub: number;
  private readonly ringCaseThreshold: number;
  private readonly sla: SlaPolicy;
  private lists = new Map<string, Watchlist>();
  private index: WatchlistIndex;
  private graphWrites: Promise<unknown> = Promise.resolve();

  private constructor(private readonly db: Kysely<FraudDatabase>, opts: FraudServiceOptions) {
    this.hasher = new IdentifierHasher(opts.key);
    this.now = opts.now ?? Date.now;
    this.hub = opts.hubThreshold ?? 100;
    this.ringCaseThreshold = opts.ringCaseThreshold ?? 60;
    this.sla = opts.sla ?? DEFAULT_SLA;
    this.reader = new GraphVariableReader(this.graph, { hubThreshold: this.hub });
    this.index = new WatchlistIndex([], this.hasher, this.now);
  }

  /** Opens the service over migrated tables: rebuilds the graph in its original order and loads the watchlists. */
  static async open(db: Kysely<ServiceDatabase>, opts: FraudServiceOptions): Promise<FraudService> {
    const s = new FraudService(fraudDb(db), opts);
    await s.reloadGraph();
    await s.reloadWatchlists();
    return s;
  }

  /** Rebuilds the in-memory graph from its rows, in the order it was built. */
  private async reloadGraph(): Promise<void> {
    const graph = new IdentityGraph();
    const scratch = new HashedIdentifiers();
    for await (const row of graphApplicationsInOrder(this.db)) {
      graph.addApplication(row.application_id, row.applied_at, statusCode(row.status as ApplicationStatus), decodeIdentifiers(row.identifiers, scratch));
    }
    graph.compact();
    this.graph = graph;
    this.reader = new GraphVariableReader(graph, { hubThreshold: this.hub });
  }

  private async audit(trx: FraudDb, actor: FraudActor, action: string, objectKind: string, objectId: string, before?: unknown, after?: unknown): Promise<void> {
    await appendAudit(trx as unknown as Parameters<typeof appendAudit>[0], { actorUserId: actor.userId, actorKeyId: actor.keyId ?? null, action, objectKind, objectId, before, after }, new Date(this.now()));
  }

  private serialised<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.graphWrites.then(fn, fn);
    this.graphWrites = run.catch(() => undefined);
    return run;
  }

  // ---- identity graph -------------------------------------------------------------------------------------------

  /** Graph variables of an application about to be decided, from the graph as it stands (before it is added). */
  variablesFor(identifiers: ApplicationIdentifiers, appliedAtMs: number = this.now()): GraphVariables {
    return this.reader.forNewApplication(this.hasher.hashApplication(identifiers), appliedAtMs);
  }

  /** Adds a decided application to the graph and the database; returns the variables it saw before it was added. */
  recordApplication(input: RecordApplicationInput): Promise<GraphVariables> {
    return this.serialised(async () => {
      if (this.graph.indexOf(input.applicationId) >= 0) throw new MingjianError('CONFLICT', `application ${input.applicationId} is already in the identity graph`);
      const appliedAtMs = typeof input.appliedAt === 'number' ? input.appliedAt : Date.parse(input.appliedAt);
      if (!Number.isFinite(appliedAtMs)) throw new MingjianError('VALIDATION', 'appliedAt is not a date-time', [{ path: 'appliedAt', message: `'${input.appliedAt}' is not a date-time` }]);
      const ids = this.hasher.hashApplication(input.identifiers);
      const variables = this.reader.forNewApplication(ids, appliedAtMs);
      const status = input.status ?? 'none';
      const seq = this.graph.appCount;
      const a = this.graph.addApplication(input.applicationId, appliedAtMs, statusCode(status), ids);
      try {
        await insertGraphApplication(this.db, { application_id: input.applicationId, seq, applied_at: appliedAtMs, status, identifiers: encodeIdentifiers(this.graph, a), recorded_at: new Date(this.now()).toISOString() });
      } catch (err) {
        // Not stored means not in the graph either: rebuild rather than leave a phantom node behind.
        await this.reloadGraph();
        throw err;
      }
      return variables;
    });
  }

  async setApplicationStatus(actor: FraudActor, applicationIds: readonly string[], status: ApplicationStatus): Promise<void> {
    const known = applicationIds.filter((id) => this.graph.indexOf(id) >= 0);
    await this.db.transaction().execute(async (trx) => {
      await updateGraphStatus(trx, known, status);
      await this.audit(trx, actor, 'fraud.application-status', 'application', known.join(',').slice(0, 200), undefined, { status, applications: known });
    });
    for (const id of known) this.graph.setStatus(this.graph.indexOf(id), statusCode(status));
  }

  neighbourhood(applicationId: string, hops = 2, maxApplications = 500): GraphNeighbourhood {
    const n = neighbourhood(this.graph, applicationId, { hops, maxApplications, hubThreshold: this.hub });
    if (!n) throw new MingjianError('NOT_FOUND', `application ${applicationId} is not in the identity graph`);
    return n;
  }

  async backtrackApplication(applicationId: string): Promise<Backtrack & { cases: { id: string; state: string }[] }> {
    const b = backtrackApplication(this.graph, applicationId);
    if (!b) throw new MingjianError('NOT_FOUND', `application ${applicationId} is not in the identity graph`);
    const ids = b.applications.map((a) => a.applicationId);
    const cases = ids.length === 0 ? [] : await this.db.selectFrom('fraud_case_applications').innerJoin('fraud_cases', 'fraud_cases.id', 'fraud_case_applications.case_id')
      .select(['fraud_cases.id as id', 'fraud_cases.state as state']).where('fraud_case_applications.application_id', 'in', ids.slice(0, 1000)).distinct().execute();
    return { ...b, cases };
  }

  backtrackIdentifier(kind: string, value: string): Backtrack {
    const k = KINDS.indexOf(kindOf(kind));
    const key = this.hasher.storedKey(k, value);
    const b = key ? backtrackIdentifier(this.graph, parseInt(key.slice(0, 8), 16) | 0, parseInt(key.slice(8), 16) | 0) : null;
    if (!b) throw new MingjianError('NOT_FOUND', `no application used this ${kind}`);
    return b;
  }

  // ---- rings ----------------------------------------------------------------------------------------------------

  /** Runs detection on the live graph, stores the rings, and opens a case for each ring above the threshold that
   * has none yet. */
  async detect(actor: FraudActor, opts: RingOptions = {}): Promise<{ rings: Ring[]; casesOpened: string[] }> {
    const detection = await this.serialised(async () => detectRings(this.graph, { hubThreshold: this.hub, ...opts }));
    const at = new Date(this.now()).toISOString();
    const casesOpened: string[] = [];
    await this.db.transaction().execute(async (trx) => {
      await trx.deleteFrom('fraud_rings').execute();
      for (const r of detection.rings) {
        await trx.insertInto('fraud_rings').values({ id: r.id, detected_at: at, score: r.score, size: r.members.length, document: JSON.stringify({ members: r.members, links: r.links, factors: r.factors }) }).execute();
      }
      await this.audit(trx, actor, 'fraud.rings-detected', 'ring-run', at, undefined, { rings: detection.rings.length, candidates: detection.candidates });
    });
    for (const r of detection.rings) {
      const priority = ringCasePriority(r.score, this.ringCaseThreshold);
      if (!priority) continue;
      const existing = await this.db.selectFrom('fraud_cases').select('id').where('ring_id', '=', r.id).executeTakeFirst();
      if (existing) continue;
      const c = await this.openCase(actor, { source: 'ring', sourceRef: r.id, ringId: r.id, priority, applicationIds: r.members, title: `Ring of ${r.members.length} applications, score ${r.score}` });
      casesOpened.push(c.id);
    }
    return { rings: detection.rings, casesOpened };
  }

  async listRings(limit = 100): Promise<{ id: string; score: number; size: number; detectedAt: string }[]> {
    const rows = await this.db.selectFrom('fraud_rings').select(['id', 'score', 'size', 'detected_at']).orderBy('score', 'desc').orderBy('id').limit(limit).execute();
    return rows.map((r) => ({ id: r.id, score: Number(r.score), size: Number(r.size), detectedAt: r.detected_at }));
  }

  async getRing(id: string): Promise<{ id: string; score: number; detectedAt: string; members: string[]; links: unknown[]; factors: unknown }> {
    const r = await this.db.selectFrom('fraud_rings').selectAll().where('id', '=', id).executeTakeFirst();
    if (!r) throw new MingjianError('NOT_FOUND', `ring ${id} not found`);
    return { id: r.id, score: Number(r.score), detectedAt: r.detected_at, ...(JSON.parse(r.document) as { members: string[]; links: unknown[]; factors: unknown }) };
  }

  // ---- watchlists -----------------------------------------------------------------------------------------------

  /** The lookup behind `inWatchlist(list, value)` in flows: constant time, hashes the value like the graph does. */
  get watchlists(): { has(list: string, value: unknown): boolean } {
    return this.index;
  }

  /** Lists an application's identifiers are on (to open watchlist-hit cases). */
  watchlistHits(identifiers: ApplicationIdentifiers): { list: string; role: string }[] {
    const hits: { list: string; role: string }[] = [];
    for (const l of this.lists.values()) {
      for (let role = 0; role < ROLES.length; role++) {
        if (KINDS[ROLE_KIND[role]!] !== l.kind) continue;
        const field = ROLES[role]!;
        const v = identifiers[field as keyof ApplicationIdentifiers];
        const values = Array.isArray(v) ? v : [v];
        if (values.some((x) => this.index.has(l.name, x))) hits.push({ list: l.name, role: field });
      }
    }
    return hits;
  }

  private async reloadWatchlists(): Promise<void> {
    const lists = await this.db.selectFrom('fraud_watchlists').selectAll().orderBy('name').execute();
    const entries = await this.db.selectFrom('fraud_watchlist_entries').selectAll().execute();
    const byList = new Map<string, WatchlistEntry[]>();
    for (const e of entries) {
      let l = byList.get(e.list_name);
      if (!l) byList.set(e.list_name, (l = []));
      l.push({ key: e.key, reason: e.reason, source: e.source, addedBy: e.added_by, addedAt: e.added_at, expiresAt: e.expires_at });
    }
    this.lists = new Map(lists.map((l) => [l.name, { name: l.name, kind: kindOf(l.kind), description: l.description, entries: byList.get(l.name) ?? [] }]));
    this.index = new WatchlistIndex([...this.lists.values()], this.hasher, this.now);
  }

  listWatchlists(): { name: string; kind: string; description: string; entries: number }[] {
    return [...this.lists.values()].map((l) => ({ name: l.name, kind: l.kind, description: l.description, entries: l.entries.length }));
  }

  getWatchlist(name: string): Watchlist {
    const l = this.lists.get(name);
    if (!l) throw new MingjianError('NOT_FOUND', `watchlist ${name} not found`);
    return l;
  }

  async createWatchlist(actor: FraudActor, input: { name: string; kind: string; description?: string }): Promise<Watchlist> {
    const list = newWatchlist(input.name, input.kind, input.description ?? '');
    if (this.lists.has(list.name)) throw new MingjianError('CONFLICT', `watchlist ${list.name} already exists`);
    await this.db.transaction().execute(async (trx) => {
      await trx.insertInto('fraud_watchlists').values({ name: list.name, kind: list.kind, description: list.description, created_by: actor.userId, created_at: new Date(this.now()).toISOString() }).execute();
      await this.audit(trx, actor, 'watchlist.create', 'watchlist', list.name, undefined, { kind: list.kind, description: list.description });
    });
    await this.reloadWatchlists();
    return this.getWatchlist(list.name);
  }

  private async writeEntries(actor: FraudActor, name: string, add: readonly WatchlistEntry[], removeKeys: readonly string[], action: string): Promise<{ added: number; updated: number; removed: number }> {
    const list = this.getWatchlist(name);
    const { change } = changeWatchlist(list, add, removeKeys);
    await this.db.transaction().execute(async (trx) => {
      for (const e of add) {
        await trx.deleteFrom('fraud_watchlist_entries').where('list_name', '=', name).where('key', '=', e.key).execute();
        await trx.insertInto('fraud_watchlist_entries').values({ list_name: name, key: e.key, reason: e.reason, source: e.source, added_by: e.addedBy, added_at: e.addedAt, expires_at: e.expiresAt }).execute();
      }
      for (let i = 0; i < removeKeys.length; i += 500) await trx.deleteFrom('fraud_watchlist_entries').where('list_name', '=', name).where('key', 'in', removeKeys.slice(i, i + 500)).execute();
      // The audit entry names keys (hashes), never values.
      await this.audit(trx, actor, action, 'watchlist', name, undefined, { ...change, addedKeys: add.map((e) => e.key), removedKeys: removeKeys });
    });
    await this.reloadWatchlists();
    return { added: change.added, updated: change.updated, removed: change.removed };
  }

  addWatchlistEntries(actor: FraudActor, name: string, entries: readonly EntryInput[]) {
    const list = this.getWatchlist(name);
    return this.writeEntries(actor, name, hashEntries(list, entries, this.hasher, actor.userId, new Date(this.now()).toISOString()), [], 'watchlist.add');
  }

  async importWatchlistCsv(actor: FraudActor, name: string, csv: string) {
    const list = this.getWatchlist(name);
    const parsed = parseWatchlistCsv(csv, list, this.hasher, actor.userId, new Date(this.now()).toISOString());
    return { ...(await this.writeEntries(actor, name, parsed.entries, [], 'watchlist.import')), duplicates: parsed.duplicates };
  }

  removeWatchlistEntries(actor: FraudActor, name: string, keys: readonly string[]) {
    return this.writeEntries(actor, name, [], keys, 'watchlist.remove');
  }

  // ---- cases ----------------------------------------------------------------------------------------------------

  private async saveCase(trx: FraudDb, c: InvestigationCase): Promise<void> {
    await saveCaseRow(trx, {
      id: c.id, state: c.state, priority: c.priority, source: c.source, ring_id: c.ringId, assignee: c.assignee,
      opened_at: c.openedAt, response_due_at: c.responseDueAt, resolution_due_at: c.resolutionDueAt,
      updated_at: new Date(this.now()).toISOString(), document: JSON.stringify(c),
    }, c.applicationIds);
  }

  async openCase(actor: FraudActor, input: { source: CaseSource; sourceRef?: string | null; title: string; priority: CasePriority; applicationIds?: string[]; ringId?: string | null; assignee?: string | null }): Promise<InvestigationCase> {
    const now = this.now();
    const c = openCase({ ...input, id: newId('case', now) }, actor.userId, now, this.sla);
    await this.db.transaction().execute(async (trx) => {
      await this.saveCase(trx, c);
      await this.audit(trx, actor, 'case.open', 'case', c.id, undefined, { source: c.source, sourceRef: c.sourceRef, priority: c.priority, applications: c.applicationIds.length });
    });
    return c;
  }

  async getCase(id: string): Promise<InvestigationCase & { sla: SlaStatus }> {
    const row = await this.db.selectFrom('fraud_cases').select('document').where('id', '=', id).executeTakeFirst();
    if (!row) throw new MingjianError('NOT_FOUND', `case ${id} not found`);
    const c = JSON.parse(row.document) as InvestigationCase;
    return caseQueue([c], this.now())[0] ?? { ...c, sla: { responseBreached: false, resolutionBreached: false, breached: false, remainingMs: null } };
  }

  /** Unresolved cases, most urgent first (optionally one investigator's); `breached` keeps only SLA breaches. */
  async queue(filter: { assignee?: string; breached?: boolean; limit?: number } = {}): Promise<(InvestigationCase & { sla: SlaStatus })[]> {
    let q = this.db.selectFrom('fraud_cases').select('document').where('state', '!=', 'resolved');
    if (filter.assignee) q = q.where('assignee', '=', filter.assignee);
    const cases = (await q.execute()).map((r) => JSON.parse(r.document) as InvestigationCase);
    const now = this.now();
    const chosen = filter.breached ? breachedCases(cases, now) : cases;
    return caseQueue(chosen, now).slice(0, filter.limit ?? 200);
  }

  async act(actor: FraudActor, id: string, a: CaseAction): Promise<InvestigationCase> {
    const before = await this.getCase(id);
    const { sla: _sla, ...current } = before;
    const now = this.now();
    const by = actor.userId;
    let next: InvestigationCase;
    switch (a.action) {
      case 'assign': next = assignCase(current, a.assignee, by, now); break;
      case 'start': next = startInvestigation(current, by, now); break;
      case 'note': next = addNote(current, a.text, by, now); break;
      case 'evidence': next = addEvidence(current, a.kind, a.ref, a.data, by, now); break;
      case 'snapshot': next = addEvidence(current, 'graph_snapshot', a.applicationId, this.neighbourhood(a.applicationId, a.hops ?? 2, 200), by, now); break;
      case 'link': {
        next = current;
        if (a.applicationIds?.length) next = linkApplications(next, a.applicationIds, by, now);
        if (a.ringId) next = linkRing(next, a.ringId, by, now);
        break;
      }
      case 'priority': next = changePriority(current, a.priority, by, now, this.sla); break;
      case 'resolve': next = resolveCase(current, a.disposition, a.summary, by, now, a.escalatedTo); break;
      case 'reopen': next = reopenCase(current, a.reason, by, now); break;
      default: throw new MingjianError('VALIDATION', 'unknown case action', [{ path: 'action', message: `'${(a as { action: string }).action}' is not a case action` }]);
    }
    // Watchlist proposals are checked before anything is written: a bad list or role fails the whole action.
    const proposals = a.action === 'resolve' ? this.proposedEntries(next, a.watchlist ?? []) : [];
    await this.db.transaction().execute(async (trx) => {
      await this.saveCase(trx, next);
      await this.audit(trx, actor, `case.${a.action}`, 'case', id, { state: current.state, assignee: current.assignee, priority: current.priority }, { state: next.state, assignee: next.assignee, priority: next.priority, disposition: next.disposition });
    });
    if (a.action === 'resolve') {
      const fx = resolutionEffects(next, a.watchlist ?? []);
      if (fx.flagApplications.length) await this.setApplicationStatus(actor, fx.flagApplications, 'confirmed_fraud');
      if (next.disposition === 'false_positive') await this.setApplicationStatus(actor, next.applicationIds, 'cleared');
      for (const [list, entries] of proposals) await this.writeEntries(actor, list, entries, [], 'watchlist.add-from-case');
    }
    return next;
  }

  /** Identifier keys of the chosen applications' roles, as watchlist entries citing the case. */
  private proposedEntries(c: InvestigationCase, chosen: readonly { list: string; applicationId: string; role: string }[]): Map<string, WatchlistEntry[]> {
    const out = new Map<string, WatchlistEntry[]>();
    if (c.disposition !== 'confirmed_fraud') return out;
    chosen.forEach((ch, i) => {
      const list = this.lists.get(ch.list);
      if (!list) throw new MingjianError('VALIDATION', `watchlist ${ch.list} not found`, [{ path: `watchlist[${i}].list`, message: 'no such list' }]);
      const role = ROLES.indexOf(ch.role as (typeof ROLES)[number]);
      if (role < 0 || KINDS[ROLE_KIND[role]!] !== list.kind) throw new MingjianError('VALIDATION', `role ${ch.role} does not fit watchlist ${ch.list} (${list.kind})`, [{ path: `watchlist[${i}].role`, message: `expected a role of kind ${list.kind}` }]);
      const a = this.graph.indexOf(ch.applicationId);
      if (a < 0) throw new MingjianError('VALIDATION', `application ${ch.applicationId} is not in the identity graph`, [{ path: `watchlist[${i}].applicationId`, message: 'unknown application' }]);
      let entries = out.get(ch.list);
      if (!entries) out.set(ch.list, (entries = []));
      for (let e = this.graph.appEdgeStart[a]!, end = this.graph.appEdgeStart[a + 1]!; e < end; e++) {
        if (this.graph.edgeRole[e] !== role) continue;
        entries.push({ key: this.graph.identifiers.keyHex(this.graph.edgeIdent[e]!), reason: `confirmed fraud in case ${c.id}`, source: `case:${c.id}`, addedBy: c.resolution ? c.history.at(-1)!.by : 'system', addedAt: c.resolvedAt!, expiresAt: null });
      }
    });
    return out;
  }

  /** Statuses the graph knows, for API validation. */
  static readonly statuses = STATUSES;
}
