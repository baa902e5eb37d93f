// Deciding, recording and reading decisions. A decision is answered only after its record committed (group commit);
// an idempotency key maps to exactly one record, also under concurrent retries (in-flight map in this process, unique
// constraint across processes and restarts).
import { validateApplication, type Decision, type Trace } from '../../engine/index.ts';
import { canonicalJson, sha256Hex, type KeyRing } from '../../kernel/crypto.ts';
import { MingjianError, type ErrorDetail } from '../../kernel/errors.ts';
import { newId } from '../../kernel/ids.ts';
import { createCommitQueue, type Arrival, type CommitQueue } from '../../store/commit-queue.ts';
import type { Store } from '../../store/database.ts';
import { appendAuditNow } from '../../store/audit-store.ts';
import * as decisions from '../../store/decisions-store.ts';
import { requirePermission, type Caller } from './access.ts';
import type { FlowRegistry } from './flow-registry.ts';
import { diffJson, type DiffEntry } from './json-diff.ts';
import { containsSealed, openSealed, sealPaths, sealTraceValues } from './pii.ts';
import type { WatchlistLookup } from './watchlists.ts';
import type { VelocityEvent } from '../../variables/velocity-event.ts';
import type { DecisionEnrichment } from './decision-enrichment.ts';

/** A decision waiting for its group commit, with the velocity event that commits with it (embedded store). */
interface PendingRecord {
  row: decisions.DecisionRow;
  velocity: VelocityEvent | null;
  /** Ends the decision's velocity reservation (see DecisionEnrichment's Enrichment.release). */
  release: (() => void) | null;
}

export interface DecideRequest {
  flow: string;
  version?: string;
  application: unknown;
  idempotencyKey?: string;
  trace?: boolean;
  /** Decision time (ISO). Only for system callers deciding a simulated past (the demo seed); the API never sets it. */
  at?: string;
}

/** What a decision answers with (the same for the first answer and for every retry with its key). */
export interface DecisionView {
  id: string;
  flow: string;
  version: string;
  decision: Decision['decision'];
  reasons: string[];
  reasonDetails: Decision['reasonDetails'];
  outputs: Record<string, unknown>;
  creditLine: number | null;
  priceBand: string | null;
  arms: Record<string, string>;
  flags: string[];
  idempotencyKey: string | null;
  evaluatedAt: string;
  createdAt: string;
  trace?: unknown;
}

export interface DecisionRecordView extends DecisionView {
  application: unknown;
  variables: unknown;
  timings: { evalMicros: number; totalMicros: number };
  caller: { userId: string; keyId: string };
  piiUnmasked: boolean;
}

export interface DecisionMetrics {
  decided(flow: string, version: string, decision: string, seconds: number): void;
  failed(flow: string, code: string): void;
  batch(size: number, millis: number): void;
  /** Seconds one decision spent in a phase (`enrich`, `evaluate`, `commit`, `follow`). */
  phase(name: 'enrich' | 'evaluate' | 'commit' | 'follow', seconds: number): void;
}

type StoredResult = Pick<Decision, 'decision' | 'reasons' | 'reasonDetails' | 'outputs' | 'creditLine' | 'priceBand' | 'arms' | 'flags' | 'outcomeNode'>;

export interface DecisionService {
  decide(caller: Caller, req: DecideRequest): Promise<DecisionView>;
  get(caller: Caller, id: string, options: { unmask?: boolean }): Promise<DecisionRecordView>;
  list(caller: Caller, q: Omit<decisions.DecisionQuery, 'beforeId'> & { cursor?: string }): Promise<{ items: Omit<DecisionView, 'reasonDetails' | 'evaluatedAt' | 'trace'>[]; nextCursor: string | null }>;
  replay(caller: Caller, id: string): Promise<{ id: string; flow: string; version: string; identical: boolean; differences: DiffEntry[]; recorded: StoredResult; replayed: StoredResult }>;
  /** Waits for every queued record to commit, and for the writes that follow decisions (graceful shutdown). */
  drain(): Promise<void>;
  /**
   * At start, before serving: redoes the follow-ups (identity-graph row, case) of decisions whose record committed
   * but whose follow-ups a crash cut off. Looks back from the latest application the graph holds, with a margin.
   */
  catchUpFollowUps(): Promise<{ decisions: number; graph: number; cases: number }>;
  /** Records waiting for or in their commit. */
  readonly pendingCommits: number;
}

/**
 * Key of the stored input under which a decision keeps the watchlist answers its flow got (keyed hashes of the values
 * found, per list), so that replay answers `inWatchlist()` as it was answered then, whatever the lists hold now.
 */
export const WATCHLIST_ANSWERS_KEY = '$watchlistHits';

/**
 * A stored input opened: the application as the flow saw it, and the watchlist answers kept beside it (keyed hashes
 * of the values found, per list), or null when the flow asked no watchlist.
 */
function recordedInput(row: Pick<decisions.DecisionRow, 'input'>, keyRing: KeyRing): { application: unknown; watchlistHits: Record<string, string[]> | null } {
  const input = openSealed(JSON.parse(row.input), keyRing, 'reveal');
  if (input === null || typeof input !== 'object' || Array.isArray(input) || !(WATCHLIST_ANSWERS_KEY in input)) return { application: input, watchlistHits: null };
  const { [WATCHLIST_ANSWERS_KEY]: hits, ...application } = input as Record<string, unknown>;
  return { application, watchlistHits: (hits ?? {}) as Record<string, string[]> };
}

interface Settled {
  requestHash: string;
  view: DecisionView;
}

export function createDecisionService(
  store: Pick<Store, 'db' | 'capabilities'>,
  deps: { registry: FlowRegistry; keyRing: KeyRing; metrics: DecisionMetrics; commitDelayMs: number; commitBatchMax: number; storeTrace: 'always' | 'requested'; watchlists: WatchlistLookup; enrichment?: DecisionEnrichment },
): DecisionService {
  const { db, capabilities } = store;
  const { registry, keyRing, metrics } = deps;
  const inFlight = new Map<string, Promise<Settled>>();
  const watchlist = (list: string, value: unknown) => deps.watchlists.has(list, value);
  const answerKey = (list: string, value: unknown) => keyRing.keyedHash(`watchlist-answer:${list}:${JSON.stringify(value ?? null)}`).slice(0, 32);
  const velocityTx = deps.enrichment?.velocityInTransaction ?? null;
  const queue: CommitQueue<PendingRecord, boolean> = createCommitQueue({
    flush: async (records) => {
      let countVelocity = () => {};
      const inserted = await decisions.insertDecisionBatch(db, records.map((r) => r.row), capabilities.maxParameters, velocityTx
        ? async (trx, fresh) => {
          // Only decisions recorded now count: a retry that lost the race to its key has no event of its own.
          const events = records.filter((r, i) => fresh[i] && r.velocity).map((r) => r.velocity!);
          if (events.length) countVelocity = await velocityTx.write(trx, events);
        }
        : undefined);
      // Counted after the commit and before any of these decisions is answered: the next decision sees them. In the
      // same turn their reservations end, so no read counts an event both as stored and as still running.
      countVelocity();
      for (const r of records) r.release?.();
      return inserted;
    },
    delayMs: deps.commitDelayMs,
    maxBatch: deps.commitBatchMax,
    maxConcurrent: capabilities.concurrentTransactions ? 3 : 1,
    // Each decision announces itself when it starts: a batch waits only for decisions still being enriched or evaluated.
    announced: true,
    onBatch: (size, ms) => metrics.batch(size, ms),
  });

  function viewOf(row: decisions.DecisionRow, withTrace: boolean): DecisionView {
    const r = JSON.parse(row.result) as StoredResult;
    const view: DecisionView = {
      id: row.id,
      flow: row.flow_id,
      version: row.flow_version,
      decision: r.decision,
      reasons: r.reasons,
      reasonDetails: r.reasonDetails,
      outputs: r.outputs,
      creditLine: r.creditLine,
      priceBand: r.priceBand,
      arms: r.arms,
      flags: r.flags,
      idempotencyKey: row.idempotency_key,
      evaluatedAt: row.evaluated_at,
      createdAt: row.created_at,
    };
    if (withTrace && row.trace !== null) view.trace = openSealed(JSON.parse(row.trace), keyRing, 'mask');
    return view;
  }

  async function decideOnce(caller: Caller, req: DecideRequest, requestHash: string, started: number): Promise<Settled> {
    const arrival = queue.announce();
    const reservation: { release: (() => void) | null } = { release: null };
    try {
      return await decideAndRecord(caller, req, requestHash, started, arrival, reservation);
    } finally {
      // Failed, or answered from an earlier record: nothing of it is coming, the batch need not wait for it.
      arrival.withdraw();
      // Normally ended by its commit already; a failed decision's application must not go on counting.
      reservation.release?.();
    }
  }

  async function decideAndRecord(caller: Caller, req: DecideRequest, requestHash: string, started: number, arrival: Arrival<PendingRecord, boolean>, reservation: { release: (() => void) | null }): Promise<Settled> {
    const entry = registry.resolveCached(req.flow, req.version) ?? (await registry.resolve(req.flow, req.version));
    const now = req.at === undefined ? new Date() : new Date(req.at);
    const evaluatedAt = now.toISOString();
    const id = newId('dec', now.getTime());
    const wantTrace = req.trace === true || deps.storeTrace === 'always';
    const plan = deps.enrichment?.plan(entry.compiled, entry.flowId, entry.version);
    const application = req.application;
    let input = application;
    if (plan && !plan.empty && application !== null && typeof application === 'object' && !Array.isArray(application)) {
      if (req.idempotencyKey !== undefined && plan.sources.length) {
        // A retry of a recorded decision answers from its record without paying for the external calls again.
        const existing = await decisions.findDecisionByKey(db, req.idempotencyKey);
        if (existing) return { requestHash: existing.request_hash, view: viewOf(existing, req.trace === true) };
      }
      if (plan.callerInputs) {
        // Refused before the external calls, with the details the flow's own check would give.
        const problems = validateApplication(plan.callerInputs, application);
        if (problems.length) throw invalidApplication(req.flow, { code: 'INPUT_INVALID', message: `the application does not match the inputs of flow '${entry.flowId}'`, details: problems });
      }
      const enrichStarted = performance.now();
      const enriched = await deps.enrichment!.enrich(plan, application as Record<string, unknown>, { id, time: now.getTime() });
      reservation.release = enriched.release;
      metrics.phase('enrich', (performance.now() - enrichStarted) / 1000);
      // The record keeps the enriched input: replay re-evaluates it and calls no source again. What the caller sent
      // for a field the service fills is dropped first: a caller cannot vouch for a count or a bureau score.
      const own = application as Record<string, unknown>;
      const sentFilled = plan.filled.some((name) => Object.hasOwn(own, name));
      input = { ...(sentFilled ? Object.fromEntries(Object.entries(own).filter(([name]) => !plan.filled.includes(name))) : own), ...enriched.values };
    }
    // Flows calling inWatchlist() keep its answers in the record (hits only: everything else was a miss).
    const hits: Record<string, string[]> | undefined = entry.compiled.dependencies.watchlists.length ? {} : undefined;
    const lookup = hits
      ? (list: string, value: unknown) => {
        const found = deps.watchlists.has(list, value);
        if (found) {
          const k = answerKey(list, value);
          const seen = (hits[list] ??= []);
          if (!seen.includes(k)) seen.push(k);
        }
        return found;
      }
      : watchlist;
    const t0 = performance.now();
    const result = entry.compiled.evaluate(input, { trace: wantTrace, now: evaluatedAt, variables: true, watchlist: lookup });
    const evalMicros = Math.round((performance.now() - t0) * 1000);
    metrics.phase('evaluate', evalMicros / 1e6);
    if (!result.ok) throw invalidApplication(req.flow, result.error);
    const piiPaths = entry.compiled.piiPaths;
    const stored: StoredResult = {
      decision: result.decision,
      reasons: result.reasons,
      reasonDetails: result.reasonDetails,
      outputs: result.outputs,
      creditLine: result.creditLine,
      priceBand: result.priceBand,
      arms: result.arms,
      flags: result.flags,
      outcomeNode: result.outcomeNode,
    };
    const sealedTrace: Trace | undefined = result.trace ? (sealTraceValues(result.trace, piiPaths, keyRing) as Trace) : undefined;
    const row: decisions.DecisionRow = {
      id,
      flow_id: entry.flowId,
      flow_version: entry.version,
      idempotency_key: req.idempotencyKey ?? null,
      request_hash: requestHash,
      decision: result.decision,
      input: JSON.stringify(sealPaths(hits && input !== null && typeof input === 'object' && !Array.isArray(input) ? { ...input, [WATCHLIST_ANSWERS_KEY]: hits } : input, piiPaths, keyRing)),
      result: JSON.stringify(stored),
      variables: result.variables ? JSON.stringify(result.variables) : null,
      trace: sealedTrace ? JSON.stringify(sealedTrace) : null,
      evaluated_at: evaluatedAt,
      created_at: evaluatedAt,
      eval_micros: evalMicros,
      total_micros: Math.round((performance.now() - started) * 1000),
      caller_user_id: caller.userId,
      caller_key_id: caller.keyId,
    };
    const commitStarted = performance.now();
    const velocity = plan && !plan.empty ? deps.enrichment!.velocityEvent(plan, application as Record<string, unknown>, { id, time: now.getTime(), outcome: result.decision }) : null;
    // With the embedded store the batch's commit counts the event and ends its reservation in one turn; with Redis the
    // ingest after the commit ends it in the same script that stores it.
    const inserted = await arrival.push({ row, velocity, release: velocityTx ? reservation.release : null });
    metrics.phase('commit', (performance.now() - commitStarted) / 1000);
    if (!inserted) {
      // Another process (or an earlier life of this one) recorded this key first: answer with its record.
      const existing = await decisions.findDecisionByKey(db, row.idempotency_key!);
      if (!existing) throw new MingjianError('INTERNAL', 'idempotency conflict without a stored decision');
      return { requestHash: existing.request_hash, view: viewOf(existing, req.trace === true) };
    }
    if (plan && !plan.empty) {
      const followStarted = performance.now();
      await deps.enrichment!.afterCommit(plan, application as Record<string, unknown>, { decisionId: id, flow: entry.flowId, time: now.getTime(), outcome: result.decision, reasons: result.reasons, actor: { userId: caller.userId, keyId: caller.keyId } });
      metrics.phase('follow', (performance.now() - followStarted) / 1000);
    }
    metrics.decided(entry.flowId, entry.version, result.decision, (performance.now() - started) / 1000);
    const { outcomeNode: _outcomeNode, ...answer } = stored;
    const view: DecisionView = { id: row.id, flow: row.flow_id, version: row.flow_version, ...answer, idempotencyKey: row.idempotency_key, evaluatedAt, createdAt: row.created_at };
    if (req.trace === true && sealedTrace) view.trace = openSealed(sealedTrace, keyRing, 'mask');
    return { requestHash, view };
  }

  /** The error answering an application the flow refused (counted in the metrics), paths under `application`. */
  function invalidApplication(flow: string, error: { code: 'INPUT_INVALID' | 'EVAL_ERROR'; message: string; details: ErrorDetail[] }): MingjianError {
    metrics.failed(flow, error.code);
    const details: ErrorDetail[] = error.details.map((d) => ({ ...d, path: d.path ? `application.${d.path.replace(/^application\./, '')}` : 'application' }));
    return new MingjianError(error.code, error.message, details);
  }

  function checkSameRequest(settled: Settled, requestHash: string, key: string): DecisionView {
    if (settled.requestHash !== requestHash) {
      throw new MingjianError('CONFLICT', `idempotency key '${key}' was already used for a different request`, [{ path: 'idempotencyKey', message: 'reuse a key only to retry the identical request' }]);
    }
    return settled.view;
  }

  return {
    async decide(caller, req) {
      requirePermission(caller, 'decide');
      const started = performance.now();
      const requestHash = sha256Hex(canonicalJson({ flow: req.flow, version: req.version ?? null, application: req.application }));
      const key = req.idempotencyKey;
      if (key === undefined) return (await decideOnce(caller, req, requestHash, started)).view;
      const running = inFlight.get(key);
      if (running) return checkSameRequest(await running, requestHash, key);
      const promise = decideOnce(caller, req, requestHash, started);
      inFlight.set(key, promise);
      try {
        return checkSameRequest(await promise, requestHash, key);
      } finally {
        inFlight.delete(key);
      }
    },

    async get(caller, id, options) {
      requirePermission(caller, 'decisions:read');
      const row = await decisions.findDecision(db, id);
      if (!row) throw new MingjianError('NOT_FOUND', `decision '${id}' not found`);
      const input = JSON.parse(row.input) as unknown;
      let mode: 'mask' | 'reveal' = 'mask';
      if (options.unmask) {
        requirePermission(caller, 'pii:read');
        mode = 'reveal';
        if (containsSealed(input) || (row.trace !== null && row.trace.includes('enc:v1:'))) {
          await appendAuditNow(db, { actorUserId: caller.userId, actorKeyId: caller.keyId, action: 'decision.read-unmasked', objectKind: 'decision', objectId: id });
        }
      }
      const view = viewOf(row, false);
      return {
        ...view,
        application: openSealed(input, keyRing, mode),
        variables: row.variables === null ? null : JSON.parse(row.variables),
        trace: row.trace === null ? null : openSealed(JSON.parse(row.trace), keyRing, mode),
        timings: { evalMicros: row.eval_micros, totalMicros: row.total_micros },
        caller: { userId: row.caller_user_id, keyId: row.caller_key_id },
        piiUnmasked: mode === 'reveal',
      };
    },

    async list(caller, q) {
      requirePermission(caller, 'decisions:read');
      const rows = await decisions.listDecisions(db, { ...q, ...(q.cursor ? { beforeId: q.cursor } : {}), limit: q.limit + 1 });
      const page = rows.slice(0, q.limit);
      return {
        items: page.map((row) => {
          const r = JSON.parse(row.result) as StoredResult;
          return {
            id: row.id,
            flow: row.flow_id,
            version: row.flow_version,
            decision: r.decision,
            reasons: r.reasons,
            outputs: r.outputs,
            creditLine: r.creditLine,
            priceBand: r.priceBand,
            arms: r.arms,
            flags: r.flags,
            idempotencyKey: row.idempotency_key,
            createdAt: row.created_at,
          };
        }),
        nextCursor: rows.length > q.limit ? page[page.length - 1]!.id : null,
      };
    },

    async replay(caller, id) {
      requirePermission(caller, 'decisions:replay');
      const row = await decisions.findDecision(db, id);
      if (!row) throw new MingjianError('NOT_FOUND', `decision '${id}' not found`);
      const entry = await registry.resolve(row.flow_id, row.flow_version);
      const { application: input, watchlistHits: answers } = recordedInput(row, keyRing);
      const replayWatchlist = answers ? (list: string, value: unknown) => answers[list]?.includes(answerKey(list, value)) ?? false : watchlist;
      const result = entry.compiled.evaluate(input, { now: row.evaluated_at, variables: true, watchlist: replayWatchlist });
      const recorded = JSON.parse(row.result) as StoredResult;
      if (!result.ok) {
        return { id, flow: row.flow_id, version: row.flow_version, identical: false, differences: [{ path: '(result)', op: 'change', before: recorded.decision, after: result.error }], recorded, replayed: recorded };
      }
      const replayed: StoredResult = {
        decision: result.decision,
        reasons: result.reasons,
        reasonDetails: result.reasonDetails,
        outputs: result.outputs,
        creditLine: result.creditLine,
        priceBand: result.priceBand,
        arms: result.arms,
        flags: result.flags,
        outcomeNode: result.outcomeNode,
      };
      // Compared through JSON, the form the record was stored in.
      const differences = diffJson(JSON.parse(JSON.stringify(recorded)), JSON.parse(JSON.stringify(replayed)));
      const recordedVars = row.variables === null ? undefined : JSON.parse(row.variables);
      if (recordedVars !== undefined) differences.push(...diffJson(recordedVars, JSON.parse(JSON.stringify(result.variables ?? {})), 'variables'));
      return { id, flow: row.flow_id, version: row.flow_version, identical: differences.length === 0, differences, recorded, replayed };
    },

    async drain() {
      await queue.drain();
      await deps.enrichment?.drain();
    },

    async catchUpFollowUps() {
      const done = { decisions: 0, graph: 0, cases: 0 };
      const enrichment = deps.enrichment;
      if (!enrichment) return done;
      const latest = enrichment.catchUpFrom();
      // Decisions commit in batches a few milliseconds apart and their times are taken before: a minute's margin
      // covers any order in which they reached the database.
      const from = new Date(latest === null ? 0 : latest - 60_000).toISOString();
      for (const v of await decisions.flowVersionsSince(db, from)) {
        const entry = await registry.resolve(v.flow_id, v.flow_version).catch(() => undefined);
        if (!entry) continue;
        const plan = enrichment.plan(entry.compiled, entry.flowId, entry.version);
        if (!plan.fraud) continue;
        let afterId: string | undefined;
        for (;;) {
          const rows = await decisions.decisionsOfVersionSince(db, { flow: v.flow_id, version: v.flow_version, from, limit: 500, ...(afterId ? { afterId } : {}) });
          if (!rows.length) break;
          afterId = rows[rows.length - 1]!.id;
          for (const row of rows) {
            const { application, watchlistHits } = recordedInput(row, keyRing);
            if (application === null || typeof application !== 'object' || Array.isArray(application)) continue;
            const hit = Object.values(watchlistHits ?? {}).some((keys) => keys.length > 0);
            const result = JSON.parse(row.result) as StoredResult;
            const redone = await enrichment.catchUp(plan, application as Record<string, unknown>, {
              decisionId: row.id, flow: row.flow_id, time: Date.parse(row.evaluated_at), outcome: row.decision, reasons: result.reasons,
              actor: { userId: row.caller_user_id, keyId: row.caller_key_id },
            }, hit);
            done.decisions++;
            if (redone.graph) done.graph++;
            done.cases += redone.cases;
          }
        }
      }
      return done;
    },
    get pendingCommits() {
      return queue.pending;
    },
  };
}

