// Scorecard models as a governed kind (draft -> submit -> approve by another user -> active, like flows) and the
// service around them: training through the API (the result becomes a draft version with its report), scoring one
// row with the active version (scoreRow, the CLI's code path), and PSI/CSI against the development sample.
import type { Kysely } from 'kysely';
import type { FlowDefinition, ScorecardNode, Trace } from '../../engine/index.ts';
import { MingjianError, type ErrorDetail } from '../../kernel/errors.ts';
import {
  parseCsv, parseJsonLines, parseModel, scoreRow, scoreTable, stability, trainInWorker,
  type BinningOptions, type RowScore, type ScalingOptions, type ScorecardModel, type SelectionOptions, type StabilityReport,
} from '../../scorecard/index.ts';
import type { Store } from '../../store/database.ts';
import { appendAudit } from '../../store/audit-store.ts';
import { listDecisions } from '../../store/decisions-store.ts';
import * as gov from '../../store/governance-store.ts';
import type { ServiceDatabase } from '../../store/schema.ts';
import type { Caller } from './access.ts';
import { declaredIdentity, GOVERNED_ID, withDeclaredVersion, type GovernanceService, type GovernedKind, type ParsedObject } from './governance.ts';
import { loadModelVersion, MODEL_KIND, parseModelRef } from './model-sources.ts';


type RunTables = {
  model_training_runs: { model_id: string; version: string; metrics: string; report_html: string; trained_by: string; created_at: string };
};

/** The `model` kind: the body is scorecard.json with the model's `id` (and `version`, written on save). */
export function createModelKind(): GovernedKind {
  return {
    kind: MODEL_KIND,
    plural: 'models',
    parse(input): ParsedObject {
      let value: unknown = input.value;
      if (input.text !== undefined) {
        try {
          value = JSON.parse(input.text);
        } catch (err) {
          throw new MingjianError('VALIDATION', `a model document is scorecard.json (JSON): ${(err as Error).message}`, [{ path: '(root)', message: 'not valid JSON' }]);
        }
      }
      return declaredIdentity(value, 'model', 'expected scorecard.json with an id');
    },
    withVersion: withDeclaredVersion,
    async check(body): Promise<ErrorDetail[]> {
      try {
        parseModel(JSON.stringify(body), 'model');
        return [];
      } catch (err) {
        if (err instanceof MingjianError && err.code === 'VALIDATION') return err.details?.length ? err.details : [{ message: err.message }];
        throw err;
      }
    },
  };
}

export interface TrainRequest {
  modelId: string;
  data: string;
  format: 'csv' | 'jsonl';
  target: string;
  bad: string;
  split?: string;
  testShare?: number;
  seed?: number;
  special?: (string | number)[];
  specialByColumn?: Record<string, (string | number)[]>;
  exclude?: string[];
  dateColumn?: string;
  ootFrom?: string;
  name?: string;
  include?: string[];
  binning?: Partial<BinningOptions>;
  selection?: Partial<SelectionOptions>;
  l2?: number;
  scaling?: Partial<ScalingOptions>;
}

export interface PsiRequest {
  version?: string;
  /** A recent population as a file; otherwise the applications recently decided by flows that use the model. */
  data?: string;
  format?: 'csv' | 'jsonl';
  /** Recorded decisions since this ISO time (default: all), newest first up to `limit` (default 10,000). */
  since?: string;
  limit?: number;
}

export interface ModelService {
  train(actor: Caller, input: TrainRequest): Promise<{ modelId: string; version: string; status: string; problems: ErrorDetail[]; metrics: Record<string, unknown>; model: ScorecardModel }>;
  report(modelId: string, version: string): Promise<string>;
  score(modelId: string, row: Record<string, unknown>, version?: string): Promise<{ modelId: string; version: string; result: RowScore }>;
  psi(modelId: string, input: PsiRequest): Promise<{ modelId: string; version: string; source: string; flows?: { flowId: string; version: string; decisions: number }[]; report: StabilityReport }>;
}

function tableOf(text: string, format: 'csv' | 'jsonl', file: string) {
  return format === 'jsonl' ? parseJsonLines(text, file) : parseCsv(text, file);
}

function modelOf(v: gov.GovernedVersion): ScorecardModel {
  const { id: _id, version: _version, ...model } = v.body as Record<string, unknown>;
  return parseModel(JSON.stringify(model), `model ${v.objectId}@${v.version}`);
}

export function createModelService(store: Pick<Store, 'db'>, governance: GovernanceService): ModelService {
  const db = store.db as Kysely<ServiceDatabase>;
  const runs = store.db.withTables<RunTables>();

  async function versionOf(modelId: string, version?: string): Promise<gov.GovernedVersion> {
    if (version === undefined) return loadModelVersion(db, { modelId });
    const v = await gov.findVersion(db, MODEL_KIND, modelId, version);
    if (!v) throw new MingjianError('NOT_FOUND', `model '${modelId}' has no version '${version}'`);
    return v;
  }

  /**
   * Active flow versions with a scorecard node reading this model (any version of it): the node ids, and whether a
   * node maps attributes from other inputs (`fields`), so that its stored inputs are not the model's columns.
   */
  async function flowsUsing(modelId: string): Promise<{ flowId: string; version: string; nodes: string[]; mapped: boolean }[]> {
    const out: { flowId: string; version: string; nodes: string[]; mapped: boolean }[] = [];
    for (const o of await gov.listObjects(db, 'flow')) {
      if (!o.activeVersion) continue;
      const v = await gov.findVersion(db, 'flow', o.objectId, o.activeVersion);
      const nodes = ((v?.body as FlowDefinition | undefined)?.nodes ?? []).filter((n): n is ScorecardNode =>
        n?.type === 'scorecard' && typeof (n as ScorecardNode).source === 'string' && parseModelRef((n as ScorecardNode).source!)?.modelId === modelId);
      if (nodes.length) out.push({ flowId: o.objectId, version: o.activeVersion, nodes: nodes.map((n) => n.id), mapped: nodes.some((n) => n.fields !== undefined && Object.keys(n.fields).length > 0) });
    }
    return out;
  }

  /**
   * The model's columns as a recorded decision's scorecard node saw them: from its stored trace (the values the node
   * scored, whatever `fields` mapped them from), else from the stored input when the node reads the columns directly.
   */
  function scoredRow(model: ScorecardModel, flow: { nodes: string[]; mapped: boolean }, input: string, trace: string | null): Record<string, unknown> | null {
    if (trace !== null) {
      const step = (JSON.parse(trace) as Trace).steps.find((st) => flow.nodes.includes(st.node) && st.attributes);
      if (step) {
        const row: Record<string, unknown> = {};
        for (const a of step.attributes!) {
          const attribute = model.attributes.find((m) => m.name === a.name);
          // A sealed value (personal data) cannot be read here: it scores as missing.
          if (attribute) row[attribute.value] = a.value !== null && typeof a.value === 'object' ? null : a.value;
        }
        return row;
      }
    }
    return flow.mapped ? null : (JSON.parse(input) as Record<string, unknown>);
  }

  return {
    async train(actor, input) {
      if (!GOVERNED_ID.test(input.modelId)) throw new MingjianError('VALIDATION', 'invalid model id', [{ path: 'modelId', message: 'letters, digits, _ . - (up to 100)' }]);
      // Parsing, training and the report run on a worker thread (seconds on a large file): decisions keep being
      // answered meanwhile. Validation problems come back as the same MingjianError (code, message, details).
      const result = await trainInWorker({
        data: input.data,
        format: input.format,
        ...(input.split !== undefined ? { split: input.split } : {}),
        ...(input.testShare !== undefined ? { testShare: input.testShare } : {}),
        ...(input.seed !== undefined ? { seed: input.seed } : {}),
        options: {
          target: input.target,
          bad: input.bad,
          ...(input.dateColumn ? { oot: { dateColumn: input.dateColumn, ...(input.ootFrom ? { from: input.ootFrom } : {}) } } : {}),
          ...(input.special ? { special: input.special } : {}),
          ...(input.specialByColumn ? { specialByColumn: input.specialByColumn } : {}),
          ...(input.exclude ? { exclude: input.exclude } : {}),
          ...(input.include ? { include: input.include } : {}),
          ...(input.binning ? { binning: input.binning } : {}),
          ...(input.selection ? { selection: input.selection } : {}),
          ...(input.l2 !== undefined ? { l2: input.l2 } : {}),
          ...(input.scaling ? { scaling: input.scaling } : {}),
          name: input.name ?? input.modelId,
          createdAt: new Date().toISOString(),
        },
        reportTitle: `Scorecard ${input.modelId}`,
      });
      const html = result.html;
      const draft = await governance.createDraft(actor, MODEL_KIND, { value: { id: input.modelId, ...result.model }, format: 'json' });
      await runs.transaction().execute(async (trx) => {
        await trx.insertInto('model_training_runs').values({ model_id: input.modelId, version: draft.version, metrics: JSON.stringify(result.summary), report_html: html, trained_by: actor.userId, created_at: new Date().toISOString() }).execute();
        await appendAudit(trx as unknown as Parameters<typeof appendAudit>[0], {
          actorUserId: actor.userId,
          actorKeyId: actor.keyId,
          action: 'model.train',
          objectKind: MODEL_KIND,
          objectId: `${input.modelId}@${draft.version}`,
          after: { rows: result.model.metadata.rows, split: result.model.metadata.split, fingerprint: result.model.metadata.fingerprint.digest, metrics: result.summary, attributes: result.model.attributes.map((a) => a.name) },
        });
      });
      return { modelId: input.modelId, version: draft.version, status: draft.status, problems: draft.problems ?? [], metrics: result.summary, model: result.model };
    },

    async report(modelId, version) {
      const row = await runs.selectFrom('model_training_runs').select('report_html').where('model_id', '=', modelId).where('version', '=', version).executeTakeFirst();
      if (!row) {
        const exists = await gov.findVersion(db, MODEL_KIND, modelId, version);
        throw new MingjianError('NOT_FOUND', exists ? `model '${modelId}' version '${version}' was not trained through the service, so it has no report` : `model '${modelId}' has no version '${version}'`);
      }
      return row.report_html;
    },

    async score(modelId, row, version) {
      const v = await versionOf(modelId, version);
      return { modelId, version: v.version, result: scoreRow(modelOf(v), row) };
    },

    async psi(modelId, input) {
      const v = await versionOf(modelId, input.version);
      const model = modelOf(v);
      if (input.data !== undefined) {
        const table = tableOf(input.data, input.format ?? 'csv', 'data');
        const scored = scoreTable(model, table);
        if (!scored.length) throw new MingjianError('VALIDATION', 'the file has no data rows', [{ path: 'data', message: 'expected a header and at least one row' }]);
        return { modelId, version: v.version, source: 'file', report: stability(model, scored) };
      }
      // Recorded applications of flows that use the model, re-scored with this version: the population drift is
      // measured on the same scorecard as the development sample, whatever version decided them.
      const flows = await flowsUsing(modelId);
      if (!flows.length) throw new MingjianError('CONFLICT', `no active flow uses model '${modelId}'; post a file (data) to compare instead`);
      const limit = input.limit ?? 10_000;
      const scored: RowScore[] = [];
      const used: { flowId: string; version: string; decisions: number; skipped: number }[] = [];
      for (const f of flows) {
        const ids = await listDecisions(db, { flow: f.flowId, limit, ...(input.since ? { from: input.since } : {}) });
        if (!ids.length) continue;
        const rows = await db.selectFrom('decisions').select(['input', 'trace']).where('id', 'in', ids.map((d) => d.id)).execute();
        let skipped = 0;
        for (const r of rows) {
          const row = scoredRow(model, f, r.input, r.trace);
          if (row) scored.push(scoreRow(model, row));
          else skipped++; // mapped attributes and no stored trace: the columns cannot be recovered
        }
        used.push({ flowId: f.flowId, version: f.version, decisions: rows.length - skipped, skipped });
      }
      if (!scored.length) throw new MingjianError('CONFLICT', `flows using model '${modelId}' (${flows.map((f) => f.flowId).join(', ')}) have no recorded decisions${input.since ? ` since ${input.since}` : ''}`);
      return { modelId, version: v.version, source: 'decisions', flows: used, report: stability(model, scored) };
    },
  };
}
