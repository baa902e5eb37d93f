// The anti-fraud service: the live identity graph (in memory, rebuilt from the database on start), ring detection
// that opens cases, watchlists, and investigation cases, each change persisted with its audit entry in one
// transaction. Routes and the decision service call these functions; the pure cores do the work.
//
// Watchlists change only through governed change sets: this service prepares them (hashing values on arrival) and
// applies approved ones, but proposing and approving belong to the server's governance service, reached through the
// hooks it connects (this module imports nothing from the server). The same hooks tell the server when a case
// confirms fraud, so live loans booked from its applications get an alert.
//
// Each process keeps the live graph in memory; writes to it are serialised here. Several instances share one graph
// through the database: each registers as a writer and numbers its rows and status changes in a range of its own,
// and pulls the others' since it last looked (refreshGraph, every GRAPH_REFRESH_MS). Watchlists are shared the same
// way: every instance reloads them when the database holds a change it has not loaded (refreshWatchlists).
import type { Kysely } from 'kysely';
import { MingjianError } from '../kernel/errors.ts';
import { newId } from '../kernel/ids.ts';
import type { ErrorDetail } from '../kernel/errors.ts';
import type { ServiceDatabase } from '../store/schema.ts';
import { appendAudit } from '../store/audit-store.ts';
import { createWriteBehind, type WriteBehind } from '../store/write-behind.ts';
import {
  fraudDb, graphApplicationsInOrder, graphChangesOfWriter, graphWritersSeenSince, insertGraphApplications, registerGraphWriter,
  saveCaseRow, touchGraphWriter, updateGraphStatus, WRITER_RANGE, type FraudDatabase, type FraudDb, type FraudGraphApplicationsTable,
} from '../store/fraud-store.ts';
import { HashedIdentifiers, IdentifierHasher, STATUSES, statusCode, type ApplicationIdentifiers, type ApplicationStatus } from './application-identifiers.ts';
import { IdentityGraph } from './identity-graph.ts';
import { GraphVariableReader, type GraphVariables } from './graph-variables.ts';
import { detectRings, type Ring, type RingOptions } from './rings.ts';
import { KINDS, ROLES, ROLE_KIND } from './identifiers.ts';
import { backtrackApplication, backtrackIdentifier, neighbourhood, type Backtrack, type GraphNeighbourhood } from './neighbourhood.ts';
import {
  changeWatchlist, checkChangeSet, entriesOf, hashEntries, kindOf, maskIdentifier, newWatchlist, parseWatchlistCsv, proposeEntries, validateWatchlistName, WatchlistIndex,
  type EntryInput, type ProposedEntry, type Watchlist, type WatchlistChangeSet, type WatchlistEntry,
} from './watchlists.ts';
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
  /** The user's name (governance records authors by name); the id when absent. */
  userName?: string;
  /** Roles, for the permission checks of the hooks (proposing watchlist changes). */
  roles?: readonly string[];
}

/** A watchlist change as a person asks for it; values travel only this far and are hashed here. */
export type WatchlistChangeInput =
  | { operation: 'create'; list: string; kind: string; description?: string; reason?: string }
  | { operation: 'add'; list: string; entries: readonly EntryInput[]; reason?: string }
  | { operation: 'import'; list: string; csv: string; reason?: string }
  | { operation: 'remove'; list: string; keys: readonly string[]; reason: string };

export interface ConfirmedFraud {
  caseId: string;
  applicationIds: string[];
  resolvedAt: string;
}

/** What the server connects: the governance of watchlist changes, and what confirming fraud sets off elsewhere. */
export interface FraudHooks {
  /** Stores change sets as proposals waiting for approval; returns their ids. Without it, case proposals are refused. */
  proposeWatchlistChanges?(actor: FraudActor, changes: WatchlistChangeSet[]): Promise<string[]>;
  /** After a case is resolved as confirmed fraud (its applications are flagged by then). */
  confirmedFraud?(actor: FraudActor, event: ConfirmedFraud): Promise<void>;
}

export interface FraudServiceOptions {
  /** Key of the identifier hash (at least 16 bytes). Derive it from the master key; never log it. */
  key: Uint8Array;
  now?: () => number;
  hubThreshold?: number;
  /** Rings scoring at least this open a case. Default 60. */
  ringCaseThreshold?: number;
  sla?: SlaPolicy;
  /**
   * Where graph rows and `openCase(..., { behind: true })` cases are written: gathered into shared transactions. The
   * server passes the one it shares across the decision path's follow-ups; by default the service has its own.
   */
  writeBehind?: WriteBehind<FraudDatabase>;
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

/** A change-level reason from its entries' reasons (the distinct ones, in order). */
function summariseReasons(entries: readonly WatchlistEntry[]): string {
  const reasons = [...new Set(entries.map((e) => e.reason))];
  return `${entries.length} entr${entries.length === 1 ? 'y' : 'ies'}: ${reasons.slice(0, 5).join('; ')}${reasons.length > 5 ? '; ...' : ''}`.slice(0, 500);
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
  /** The last audited watchlist change the live lists include (see refreshWatchlists). */
  private watchlistVersion: number | null = null;
  private graphWrites: Promise<unknown> = Promise.resolve();
  private hooks: FraudHooks = {};
  private readonly behind: WriteBehind<FraudDatabase>;
  /** This process's writer number and the next number in its range (see migration 0201_graph_writers). */
  private writer = 0;
  private nextSeq = 0;
  /** Per other writer, the last change of its range this graph holds. */
  private readonly pulled = new Map<number, number>();
  private lastHeartbeat = -Infinity;
  private graphRefresh: Promise<number> = Promise.resolve(0);

  private constructor(private readonly db: Kysely<FraudDatabase>, opts: FraudServiceOptions) {
    this.hasher = new IdentifierHasher(opts.key);
    this.now = opts.now ?? Date.now;
    this.hub = opts.hubThreshold ?? 100;
    this.ringCaseThreshold = opts.ringCaseThreshold ?? 60;
    this.sla = opts.sla ?? DEFAULT_SLA;
    this.reader = new GraphVariableReader(this.graph, { hubThreshold: this.hub });
    this.index = new WatchlistIndex([], this.hasher, this.now);
    this.behind = opts.writeBehind ?? createWriteBehind(this.db, { delayMs: 1 });
  }

  /** Opens the service over migrated tables: rebuilds the graph in its original order and loads the watchlists. */
  static async open(db: Kysely<ServiceDatabase>, opts: FraudServiceOptions): Promise<FraudService> {
    const s = new FraudService(fraudDb(db), opts);
    await s.reloadGraph();
    s.writer = await registerGraphWriter(s.db, new Date(s.now()).toISOString());
    s.nextSeq = s.writer * WRITER_RANGE + 1;
    s.lastHeartbeat = s.now();
    await s.reloadWatchlists();
    return s;
  }

  /** A number in this writer's range for the next row or status change, in the order they reach the database. */
  private takeSeq(): number {
    return this.nextSeq++;
  }

  /** Rebuilds the in-memory graph from its rows, in the order it was built. */
  private async reloadGraph(): Promise<void> {
    const graph = new IdentityGraph();
    const scratch = new HashedIdentifiers();
    this.pulled.clear();
    for await (const row of graphApplicationsInOrder(this.db)) {
      graph.addApplication(row.application_id, row.applied_at, statusCode(row.status as ApplicationStatus), decodeIdentifiers(row.identifiers, scratch));
      this.notePulled(row.changed_seq);
    }
    graph.compact();
    this.graph = graph;
    this.reader = new GraphVariableReader(graph, { hubThreshold: this.hub });
  }

  private notePulled(changedSeq: number | null): void {
    if (changedSeq === null) return;
    const w = Math.floor(changedSeq / WRITER_RANGE);
    if (changedSeq > (this.pulled.get(w) ?? 0)) this.pulled.set(w, changedSeq);
  }

  /**
   * Takes in what other instances added to the graph or changed in it since this one last looked: their new
   * applications join the live graph, status changes (a case confirming fraud) apply. Each writer commits its changes
   * in the order it numbered them (one write-behind queue), so reading past the last one seen misses nothing.
   * Writers not seen for 10 minutes are left out (their last changes were pulled while they ran). Returns how many
   * changes it applied.
   */
  refreshGraph(): Promise<number> {
    // One at a time: a timer tick during a long pull waits for it rather than reading the same pages again.
    const run = this.graphRefresh.then(() => this.pullGraph());
    this.graphRefresh = run.catch(() => 0);
    return run;
  }

  private async pullGraph(): Promise<number> {
    const nowMs = this.now();
    // A heartbeat every 30 s, so that the others keep pulling from this instance.
    if (nowMs - this.lastHeartbeat >= 30_000) {
      await touchGraphWriter(this.db, this.writer, new Date(nowMs).toISOString());
      this.lastHeartbeat = nowMs;
    }
    const writers = (await graphWritersSeenSince(this.db, new Date(nowMs - 600_000).toISOString())).filter((w) => w !== this.writer);
    let applied = 0;
    for (const w of writers) {
      for (;;) {
        const after = this.pulled.get(w) ?? w * WRITER_RANGE;
        const rows = await graphChangesOfWriter(this.db, w, after, 5000);
        if (rows.length) applied += await this.serialised(async () => this.applyPulled(rows));
        if (rows.length < 5000) break;
      }
    }
    return applied;
  }

  private applyPulled(rows: readonly FraudGraphApplicationsTable[]): number {
    const scratch = new HashedIdentifiers();
    let applied = 0;
    for (const row of rows) {
      // Pulled already (a concurrent refresh) or ahead of a change of ours: the graph holds the latest.
      if ((this.pulled.get(Math.floor(row.changed_seq! / WRITER_RANGE)) ?? 0) >= row.changed_seq!) continue;
      const a = this.graph.indexOf(row.application_id);
      if (a < 0) this.graph.addApplication(row.application_id, row.applied_at, statusCode(row.status as ApplicationStatus), decodeIdentifiers(row.identifiers, scratch));
      else this.graph.setStatus(a, statusCode(row.status as ApplicationStatus));
      this.notePulled(row.changed_seq);
      applied++;
    }
    return applied;
  }

  /** Connects the server's governance and follow-ups (see FraudHooks); later calls replace the hooks they name. */
  connect(hooks: FraudHooks): void {
    this.hooks = { ...this.hooks, ...hooks };
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
  async recordApplication(input: RecordApplicationInput): Promise<GraphVariables> {
    const added = await this.addApplication(input);
    await added.stored;
    return added.variables;
  }

  /**
   * Adds a decided application to the graph in memory at once (in arrival order) and queues its row for the next
   * group commit, so concurrent decisions share one transaction (one fsync) instead of one commit each behind the
   * graph lock. `stored` settles when the row committed; until then the application counts for graph variables.
   */
  async addApplication(input: RecordApplicationInput): Promise<{ variables: GraphVariables; stored: Promise<void> }> {
    const { variables, queued } = await this.serialised(async () => {
      if (this.graph.indexOf(input.applicationId) >= 0) throw new MingjianError('CONFLICT', `application ${input.applicationId} is already in the identity graph`);
      const appliedAtMs = typeof input.appliedAt === 'number' ? input.appliedAt : Date.parse(input.appliedAt);
      if (!Number.isFinite(appliedAtMs)) throw new MingjianError('VALIDATION', 'appliedAt is not a date-time', [{ path: 'appliedAt', message: `'${input.appliedAt}' is not a date-time` }]);
      const ids = this.hasher.hashApplication(input.identifiers);
      const variables = this.reader.forNewApplication(ids, appliedAtMs);
      const status = input.status ?? 'none';
      const seq = this.takeSeq();
      const a = this.graph.addApplication(input.applicationId, appliedAtMs, statusCode(status), ids);
      const row = { application_id: input.applicationId, seq, applied_at: appliedAtMs, status, identifiers: encodeIdentifiers(this.graph, a), recorded_at: new Date(this.now()).toISOString(), changed_seq: seq };
      // Queued in the same step as the in-memory change, so rows reach the database in graph order.
      return { variables, queued: this.behind.push((trx) => insertGraphApplications(trx, [row])) };
    });
    const stored = queued.catch(async (err: unknown) => {
      // Not stored means not in the graph either: once what is queued has settled, rebuild from the database rather
      // than leave phantom nodes behind.
      await this.serialised(async () => {
        await this.behind.drain();
        await this.reloadGraph();
      });
      throw err;
    });
    return { variables, stored };
  }

  /** Whether the live graph holds this application. */
  hasApplication(applicationId: string): boolean {
    return this.graph.indexOf(applicationId) >= 0;
  }

  /** Latest application time in the graph (epoch ms), or null when it is empty: where a catch-up after a crash starts. */
  latestApplicationTime(): number | null {
    let latest: number | null = null;
    for (let a = 0; a < this.graph.appCount; a++) if (latest === null || this.graph.appliedAt[a]! > latest) latest = this.graph.appliedAt[a]!;
    return latest;
  }

  /** Which of these applications some case already holds. */
  async applicationsInCases(applicationIds: readonly string[]): Promise<Set<string>> {
    const found = new Set<string>();
    for (let i = 0; i < applicationIds.length; i += 500) {
      const rows = await this.db.selectFrom('fraud_case_applications').select('application_id').where('application_id', 'in', applicationIds.slice(i, i + 500)).execute();
      for (const r of rows) found.add(r.application_id);
    }
    return found;
  }

  async setApplicationStatus(actor: FraudActor, applicationIds: readonly string[], status: ApplicationStatus): Promise<void> {
    const known = applicationIds.filter((id) => this.graph.indexOf(id) >= 0);
    // Through the queue that writes graph rows, numbered as they are queued: this writer's changes commit in the
    // order of their numbers, which is what the other instances' pulls rely on.
    const changes = known.map((applicationId) => ({ applicationId, changedSeq: this.takeSeq() }));
    await this.behind.push(async (trx) => {
      await updateGraphStatus(trx, changes, status);
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

  /**
   * Every change to the lists (change sets, seeding) writes its audit entry in the same transaction, so the last such
   * entry identifies the stored lists (an indexed lookup of the few watchlist entries of the audit log).
   */
  private async storedWatchlistVersion(): Promise<number> {
    const row = await this.db.selectFrom('audit_log').select((eb) => eb.fn.max('seq').as('seq')).where('object_kind', '=', 'watchlist').executeTakeFirst();
    return Number(row?.seq ?? 0);
  }

  /**
   * Reloads the lists when another instance changed them since this one loaded them (the server polls this, so an
   * approval anywhere reaches every instance sharing the database). Returns whether it reloaded.
   */
  async refreshWatchlists(): Promise<boolean> {
    if ((await this.storedWatchlistVersion()) === this.watchlistVersion) return false;
    await this.reloadWatchlists();
    return true;
  }

  /** Reloads the live lists from the database (after an approved change set committed). */
  async reloadWatchlists(): Promise<void> {
    // Read before the lists: a change committing in between is then picked up by the next refresh.
    const version = await this.storedWatchlistVersion();
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
    this.watchlistVersion = version;
  }

  listWatchlists(): { name: string; kind: string; description: string; entries: number }[] {
    return [...this.lists.values()].map((l) => ({ name: l.name, kind: l.kind, description: l.description, entries: l.entries.length }));
  }

  getWatchlist(name: string): Watchlist {
    const l = this.lists.get(name);
    if (!l) throw new MingjianError('NOT_FOUND', `watchlist ${name} not found`);
    return l;
  }

  /**
   * Start-up seeding only: creates an empty list at once, without maker-checker, for a list a shipped flow calls
   * (like seeded flows; audited as `watchlist.seed`). People create lists by proposing a `create` change set.
   */
  async createWatchlist(actor: FraudActor, input: { name: string; kind: string; description?: string }): Promise<Watchlist> {
    const list = newWatchlist(input.name, input.kind, input.description ?? '');
    if (this.lists.has(list.name)) throw new MingjianError('CONFLICT', `watchlist ${list.name} already exists`);
    await this.db.transaction().execute(async (trx) => {
      await trx.insertInto('fraud_watchlists').values({ name: list.name, kind: list.kind, description: list.description, created_by: actor.userId, created_at: new Date(this.now()).toISOString() }).execute();
      await this.audit(trx, actor, 'watchlist.seed', 'watchlist', list.name, undefined, { kind: list.kind, description: list.description });
    });
    await this.reloadWatchlists();
    return this.getWatchlist(list.name);
  }

  /**
   * A change set for a requested change: values are hashed here and only keyed hashes and masked previews go on.
   * Checked against the live lists (the list exists, or for `create` does not; entries valid). Nothing is stored.
   */
  prepareWatchlistChange(actor: FraudActor, input: WatchlistChangeInput): WatchlistChangeSet {
    validateWatchlistName(input.list);
    const proposedBy = actor.userName ?? actor.userId;
    const proposedAt = new Date(this.now()).toISOString();
    const base = { id: newId('wlc', this.now()), list: input.list, operation: input.operation, proposedBy, proposedAt, add: [] as ProposedEntry[], remove: [] as string[] };
    const reasonOf = (given: string | undefined, fallback: string) => (given?.trim() ? given.trim() : fallback);
    let change: WatchlistChangeSet;
    switch (input.operation) {
      case 'create': {
        const list = newWatchlist(input.list, input.kind, input.description ?? '');
        change = { ...base, reason: reasonOf(input.reason, list.description || `new ${list.kind} watchlist`), source: 'api', create: { kind: list.kind, description: list.description } };
        break;
      }
      case 'add': {
        const list = this.getWatchlist(input.list);
        const entries = hashEntries(list, input.entries, this.hasher, proposedBy, proposedAt);
        change = { ...base, reason: reasonOf(input.reason, summariseReasons(entries)), source: 'api', add: proposeEntries(entries, input.entries.map((e) => maskIdentifier(e.value))) };
        break;
      }
      case 'import': {
        const list = this.getWatchlist(input.list);
        const parsed = parseWatchlistCsv(input.csv, list, this.hasher, proposedBy, proposedAt);
        if (parsed.entries.length === 0) throw new MingjianError('VALIDATION', 'the CSV has no entries', [{ line: 2, path: 'csv', message: 'expected at least one row after the header' }]);
        change = { ...base, reason: reasonOf(input.reason, summariseReasons(parsed.entries)), source: 'csv', add: proposeEntries(parsed.entries, parsed.previews), duplicates: parsed.duplicates };
        break;
      }
      case 'remove': {
        this.getWatchlist(input.list);
        if (!input.reason?.trim()) throw new MingjianError('VALIDATION', 'removing entries needs a reason', [{ path: 'reason', message: 'a reason is required' }]);
        change = { ...base, reason: input.reason.trim(), source: 'api', remove: [...new Set(input.keys)] };
        break;
      }
      default:
        throw new MingjianError('VALIDATION', 'unknown watchlist operation', [{ path: 'operation', message: `'${(input as { operation: string }).operation}' is not a watchlist operation` }]);
    }
    const problems = checkChangeSet(change, this.lists);
    if (problems.length) throw new MingjianError(problems.some((p) => /already exists/.test(p.message)) ? 'CONFLICT' : 'VALIDATION', `watchlist change: ${problems[0]!.message}`, problems);
    return change;
  }

  /** Everything that would stop a change set from applying to the lists as they are now. */
  checkWatchlistChange(body: unknown): ErrorDetail[] {
    return checkChangeSet(body, this.lists);
  }

  /**
   * Applies an approved change set inside the caller's transaction (the governance activation's) with its audit
   * entry on the watchlist. Call reloadWatchlists() once it committed: until then lookups see the lists as before.
   */
  async applyWatchlistChange(trx: Kysely<ServiceDatabase>, change: WatchlistChangeSet, approver: FraudActor): Promise<{ list: string; added: number; updated: number; removed: number }> {
    const problems = checkChangeSet(change, this.lists);
    if (problems.length) throw new MingjianError('CONFLICT', `watchlist change ${change.id} no longer applies: ${problems[0]!.message}`, problems);
    const db = fraudDb(trx);
    const at = new Date(this.now()).toISOString();
    const approvedBy = approver.userName ?? approver.userId;
    if (change.operation === 'create') {
      await db.insertInto('fraud_watchlists').values({ name: change.list, kind: change.create!.kind, description: change.create!.description, created_by: change.proposedBy, created_at: at }).execute();
      await this.audit(db, approver, 'watchlist.create', 'watchlist', change.list, undefined, { change: change.id, kind: change.create!.kind, description: change.create!.description, proposedBy: change.proposedBy, approvedBy });
      return { list: change.list, added: 0, updated: 0, removed: 0 };
    }
    const add = entriesOf(change, at);
    const { change: counts } = changeWatchlist(this.getWatchlist(change.list), add, change.remove);
    for (const e of add) {
      await db.deleteFrom('fraud_watchlist_entries').where('list_name', '=', change.list).where('key', '=', e.key).execute();
      await db.insertInto('fraud_watchlist_entries').values({ list_name: change.list, key: e.key, reason: e.reason, source: e.source, added_by: e.addedBy, added_at: e.addedAt, expires_at: e.expiresAt }).execute();
    }
    for (let i = 0; i < change.remove.length; i += 500) await db.deleteFrom('fraud_watchlist_entries').where('list_name', '=', change.list).where('key', 'in', change.remove.slice(i, i + 500)).execute();
    // The audit entry names keys (hashes), never values.
    const action = change.operation === 'case' ? 'watchlist.add-from-case' : `watchlist.${change.operation}`;
    await this.audit(db, approver, action, 'watchlist', change.list, undefined, { change: change.id, source: change.source, proposedBy: change.proposedBy, approvedBy, ...counts, addedKeys: add.map((e) => e.key), removedKeys: change.remove });
    return { list: change.list, added: counts.added, updated: counts.updated, removed: counts.removed };
  }

  // ---- cases ----------------------------------------------------------------------------------------------------

  private async saveCase(trx: FraudDb, c: InvestigationCase): Promise<void> {
    await saveCaseRow(trx, {
      id: c.id, state: c.state, priority: c.priority, source: c.source, ring_id: c.ringId, assignee: c.assignee,
      opened_at: c.openedAt, response_due_at: c.responseDueAt, resolution_due_at: c.resolutionDueAt,
      updated_at: new Date(this.now()).toISOString(), document: JSON.stringify(c),
    }, c.applicationIds);
  }

  /**
   * Opens a case with its audit entry in one transaction. `behind`: in the next write-behind gathering instead of a
   * transaction of its own (cases the decision path opens, which a restart can redo from the decision records).
   */
  async openCase(actor: FraudActor, input: { source: CaseSource; sourceRef?: string | null; title: string; priority: CasePriority; applicationIds?: string[]; ringId?: string | null; assignee?: string | null }, options: { behind?: boolean } = {}): Promise<InvestigationCase> {
    const now = this.now();
    const c = openCase({ ...input, id: newId('case', now) }, actor.userId, now, this.sla);
    const write = async (trx: FraudDb) => {
      await this.saveCase(trx, c);
      await this.audit(trx, actor, 'case.open', 'case', c.id, undefined, { source: c.source, sourceRef: c.sourceRef, priority: c.priority, applications: c.applicationIds.length });
    };
    if (options.behind) await this.behind.push((trx) => write(trx));
    else await this.db.transaction().execute(write);
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

  /**
   * One action on a case. Resolving as confirmed fraud flags the case's applications in the graph, turns the chosen
   * identifiers into watchlist change sets waiting for approval (never straight onto a list), and tells the server
   * (loans booked from those applications get an alert).
   */
  async act(actor: FraudActor, id: string, a: CaseAction): Promise<InvestigationCase & { watchlistChanges?: string[] }> {
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
    // Effects and watchlist proposals are checked before anything is written: a bad list or role fails the action.
    const fx = a.action === 'resolve' ? resolutionEffects(next, a.watchlist ?? []) : undefined;
    const changes = a.action === 'resolve' ? this.caseChangeSets(actor, next, fx!.watchlistProposals) : [];
    const propose = this.hooks.proposeWatchlistChanges;
    if (changes.length && !propose) throw new MingjianError('CONFLICT', 'watchlist proposals need the governed watchlist changes of the service; resolve without them here');
    await this.db.transaction().execute(async (trx) => {
      await this.saveCase(trx, next);
      await this.audit(trx, actor, `case.${a.action}`, 'case', id, { state: current.state, assignee: current.assignee, priority: current.priority }, { state: next.state, assignee: next.assignee, priority: next.priority, disposition: next.disposition });
    });
    // Applications under investigation count for the graph's two-hop "investigating" variable from now on: those of a
    // case that starts (or reopens), and those linked to a case already under way.
    if (next.state === 'investigating') {
      const already = current.state === 'investigating' ? new Set(current.applicationIds) : new Set<string>();
      const investigated = next.applicationIds.filter((app) => !already.has(app));
      if (investigated.length) await this.setApplicationStatus(actor, investigated, 'investigating');
    }
    if (!fx) return next;
    if (fx.flagApplications.length) await this.setApplicationStatus(actor, fx.flagApplications, 'confirmed_fraud');
    if (next.disposition === 'false_positive') await this.setApplicationStatus(actor, next.applicationIds, 'cleared');
    const watchlistChanges = changes.length ? await propose!(actor, changes) : [];
    if (next.disposition === 'confirmed_fraud') await this.hooks.confirmedFraud?.(actor, { caseId: next.id, applicationIds: [...next.applicationIds], resolvedAt: next.resolvedAt! });
    return watchlistChanges.length ? { ...next, watchlistChanges } : next;
  }

  /** The chosen applications' identifiers (keyed hashes from the graph) as one change set per list, citing the case. */
  private caseChangeSets(actor: FraudActor, c: InvestigationCase, chosen: readonly { list: string; applicationId: string; role: string }[]): WatchlistChangeSet[] {
    if (c.disposition !== 'confirmed_fraud' || chosen.length === 0) return [];
    const byList = new Map<string, ProposedEntry[]>();
    const details: ErrorDetail[] = [];
    chosen.forEach((ch, i) => {
      const list = this.lists.get(ch.list);
      if (!list) return void details.push({ path: `watchlist[${i}].list`, message: `watchlist ${ch.list} not found` });
      const role = ROLES.indexOf(ch.role as (typeof ROLES)[number]);
      if (role < 0 || KINDS[ROLE_KIND[role]!] !== list.kind) return void details.push({ path: `watchlist[${i}].role`, message: `role ${ch.role} does not fit watchlist ${ch.list}: expected a role of kind ${list.kind}` });
      const a = this.graph.indexOf(ch.applicationId);
      if (a < 0) return void details.push({ path: `watchlist[${i}].applicationId`, message: `application ${ch.applicationId} is not in the identity graph` });
      let entries = byList.get(ch.list);
      if (!entries) byList.set(ch.list, (entries = []));
      const before = entries.length;
      for (let e = this.graph.appEdgeStart[a]!, end = this.graph.appEdgeStart[a + 1]!; e < end; e++) {
        if (this.graph.edgeRole[e] !== role) continue;
        // The graph holds hashes only: the preview says where the identifier came from instead of showing it.
        entries.push({ key: this.graph.identifiers.keyHex(this.graph.edgeIdent[e]!), preview: `${ch.role} of application ${ch.applicationId}`, reason: `confirmed fraud in case ${c.id}`, source: `case:${c.id}`, expiresAt: null });
      }
      if (entries.length === before) details.push({ path: `watchlist[${i}].role`, message: `application ${ch.applicationId} has no ${ch.role}` });
    });
    if (details.length) throw new MingjianError('VALIDATION', `watchlist proposals: ${details[0]!.message}`, details);
    const proposedAt = new Date(this.now()).toISOString();
    return [...byList].map(([list, add]) => ({
      id: newId('wlc', this.now()), list, operation: 'case' as const, reason: `confirmed fraud in case ${c.id}: ${c.resolution?.summary ?? ''}`.slice(0, 500).trim(), source: `case:${c.id}`,
      proposedBy: actor.userName ?? actor.userId, proposedAt, add: [...new Map(add.map((e) => [e.key, e])).values()], remove: [],
    }));
  }

  /** Statuses the graph knows, for API validation. */
  static readonly statuses = STATUSES;
}
