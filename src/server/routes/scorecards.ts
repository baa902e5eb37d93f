// Scorecard modelling through the API: train (the result is stored as a draft `model` version with its report),
// score one application with a model's active version, and PSI/CSI of the scored population. The governed model
// itself (submit, approve, activate, diff) is served by routes/governance.ts under /v1/models.
import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { MingjianError } from '../../kernel/errors.ts';
import { callerOf } from '../app.ts';
import { createModelService, type TrainRequest } from '../services/models.ts';
import { errors } from '../schemas.ts';

const Id = Type.String({ minLength: 1, maxLength: 100, pattern: '^[A-Za-z0-9][A-Za-z0-9_.-]*$' });
const ModelParams = Type.Object({ id: Id });
const VersionParams = Type.Object({ id: Id, version: Type.String({ minLength: 1, maxLength: 50 }) });
const Format = Type.Union([Type.Literal('csv'), Type.Literal('jsonl')], { description: 'csv (default) or jsonl (JSON Lines)' });
const SpecialValue = Type.Union([Type.String(), Type.Number()]);
const Open = (description: string) => Type.Object({}, { additionalProperties: true, description });

const TrainOptions = {
  modelId: Id,
  target: Type.String({ minLength: 1, maxLength: 200, description: 'the outcome column' }),
  bad: Type.String({ minLength: 1, maxLength: 200, description: 'the target value that means bad' }),
  testShare: Type.Optional(Type.Number({ exclusiveMinimum: 0, exclusiveMaximum: 1, description: 'stratified split when no split file is given (default 0.3)' })),
  seed: Type.Optional(Type.Integer({ description: 'seed of the stratified split (default 42)' })),
  dateColumn: Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: 'sets the out-of-time sample aside by date' })),
  ootFrom: Type.Optional(Type.String({ minLength: 1, maxLength: 40 })),
  name: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
};
const TrendSchema = Type.Union([Type.Literal('auto'), Type.Literal('ascending'), Type.Literal('descending'), Type.Literal('peak'), Type.Literal('valley'), Type.Literal('none')]);
const Share = (description: string) => Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: 0.5, description }));
const Count = (description: string) => Type.Optional(Type.Integer({ minimum: 0, maximum: 1_000_000, description }));
// The modeller's settings, as the CLI's flags take them (src/scorecard/types.ts has the defaults).
const BinningSettings = Type.Object({
  prebinning: Type.Optional(Type.Union([Type.Literal('quantile'), Type.Literal('tree')], { description: 'fine classes by equal counts or a classification tree (default tree)' })),
  maxPrebins: Type.Optional(Type.Integer({ minimum: 2, maximum: 1000, description: 'fine classes per numeric variable' })),
  minPrebinShare: Share('smallest fine class, as a share of the training rows'),
  maxBins: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, description: 'most coarse bins per variable (special and missing not counted)' })),
  minBinShare: Share('smallest coarse bin, as a share of the training rows'),
  minBadCount: Count('fewest bads in a coarse bin'),
  minGoodCount: Count('fewest goods in a coarse bin'),
  trend: Type.Optional(TrendSchema),
  trends: Type.Optional(Type.Record(Type.String({ minLength: 1 }), TrendSchema, { description: 'trend per column' })),
  autoBendGain: Type.Optional(Type.Number({ minimum: 1, description: 'with auto, a peak or valley replaces the monotone shape only when its IV is this many times larger' })),
}, { additionalProperties: false });
const SelectionSettings = Type.Object({
  minIv: Type.Optional(Type.Number({ minimum: 0, description: 'drop variables with IV below this (default 0.02)' })),
  maxIv: Type.Optional(Type.Number({ exclusiveMinimum: 0, description: 'drop variables with IV above this (leakage guard)' })),
  maxCorrelation: Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: 1, description: 'of two variables whose WOE correlate beyond this, keep the higher-IV one' })),
  maxVif: Type.Optional(Type.Number({ minimum: 1, description: 'drop the highest-VIF variable while any exceeds this' })),
  stepwise: Type.Optional(Type.Union([Type.Literal('none'), Type.Literal('forward')])),
  dropWrongSign: Type.Optional(Type.Boolean({ description: 'drop variables whose coefficient has the wrong sign (else only warn)' })),
  maxPValue: Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: 1 })),
  maxVariables: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })),
  force: Type.Optional(Type.Array(Type.String({ minLength: 1 }), { maxItems: 1000, description: 'always offered to the model' })),
}, { additionalProperties: false });
const ScalingSettings = Type.Object({
  baseScore: Type.Optional(Type.Number({ description: 'score at the base odds (default 600)' })),
  baseOdds: Type.Optional(Type.Number({ exclusiveMinimum: 0, description: 'good:bad odds at the base score (default 19)' })),
  pdo: Type.Optional(Type.Number({ exclusiveMinimum: 0, description: 'points to double the odds (default 50)' })),
}, { additionalProperties: false });

const TrainJsonBody = Type.Object({
  ...TrainOptions,
  include: Type.Optional(Type.Array(Type.String({ minLength: 1 }), { maxItems: 1000, description: 'only these columns are candidates' })),
  binning: Type.Optional(BinningSettings),
  selection: Type.Optional(SelectionSettings),
  l2: Type.Optional(Type.Number({ minimum: 0, description: 'L2 penalty of the logistic regression (default 1)' })),
  scaling: Type.Optional(ScalingSettings),
  data: Type.String({ minLength: 1, description: 'the training file: CSV with a header, or JSON Lines' }),
  format: Type.Optional(Format),
  split: Type.Optional(Type.String({ minLength: 1, description: 'row-to-set file (row,set; 0-based data row; train/test)' })),
  special: Type.Optional(Type.Array(SpecialValue, { maxItems: 100, description: 'special values of every numeric column (e.g. -9, -8, -7)' })),
  specialByColumn: Type.Optional(Type.Record(Type.String(), Type.Array(SpecialValue, { maxItems: 100 }))),
  exclude: Type.Optional(Type.Array(Type.String({ minLength: 1 }), { maxItems: 1000 })),
}, { additionalProperties: false });
// A raw CSV / JSON Lines body takes its options from the query string.
const TrainQuery = Type.Object({
  ...Type.Partial(Type.Object(TrainOptions)).properties,
  special: Type.Optional(Type.String({ description: 'comma-separated special values' })),
}, { additionalProperties: false });
const TrainBody = Type.Union([TrainJsonBody, Type.String({ minLength: 1, description: 'raw CSV (text/csv) or JSON Lines (application/x-ndjson)' })]);

const ScoreBody = Type.Object({
  application: Type.Record(Type.String(), Type.Unknown(), { description: 'one row: attribute -> value' }),
  version: Type.Optional(Type.String({ minLength: 1, maxLength: 50, description: 'default: the active version' })),
}, { additionalProperties: false });
const PsiBody = Type.Union([Type.Object({
  version: Type.Optional(Type.String({ minLength: 1, maxLength: 50 })),
  data: Type.Optional(Type.String({ minLength: 1, description: 'recent population as CSV / JSON Lines; default: recorded decisions of flows using the model' })),
  format: Type.Optional(Format),
  since: Type.Optional(Type.String({ format: 'date-time' })),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1_000_000 })),
}, { additionalProperties: false }), Type.Null()]);

const TRAIN_BODY_LIMIT = 256 * 1024 * 1024;

export default async function scorecardRoutes(app: FastifyInstance): Promise<void> {
  const models = createModelService(app.services.store, app.services.governance);
  const tags = ['models'];
  app.addContentTypeParser(['text/csv', 'application/x-ndjson', 'application/jsonl'], { parseAs: 'string', bodyLimit: TRAIN_BODY_LIMIT }, (_req, body, done) => done(null, body));

  app.post<{ Body: Static<typeof TrainBody>; Querystring: Static<typeof TrainQuery> }>('/v1/scorecards/train', {
    config: { auth: 'models:train' },
    bodyLimit: TRAIN_BODY_LIMIT,
    schema: {
      tags,
      summary: 'Train a scorecard from a CSV or JSON Lines file; the model is stored as a draft version of the model (report at /v1/models/{id}/versions/{v}/report)',
      querystring: TrainQuery,
      body: TrainBody,
      response: { 201: Type.Object({ modelId: Type.String(), version: Type.String(), status: Type.String(), problems: Type.Array(Open('A problem')), metrics: Open('metrics.json: auc, ks, gini, rows, bads per set'), model: Open('scorecard.json') }), ...errors(400, 401, 403, 409, 413) },
    },
  }, async (request, reply) => reply.code(201).send(await models.train(callerOf(request), trainRequestOf(request))));

  app.get<{ Params: Static<typeof VersionParams> }>('/v1/models/:id/versions/:version/report', {
    config: { auth: 'models:read' },
    schema: { tags, summary: 'The training report (self-contained HTML) of a model version trained through the service', params: VersionParams, response: { 200: Type.String(), ...errors(401, 403, 404) } },
  }, async (request, reply) => reply.type('text/html; charset=utf-8').send(await models.report(request.params.id, request.params.version)));

  app.post<{ Params: Static<typeof ModelParams>; Body: Static<typeof ScoreBody> }>('/v1/models/:id/score', {
    config: { auth: 'models:score' },
    schema: { tags, summary: "Score one application with the model's active version (or a given one): points, probability, rating, reasons", params: ModelParams, body: ScoreBody, response: { 200: Type.Object({ modelId: Type.String(), version: Type.String(), result: Open('score, probability, rating, attributes, reasons') }), ...errors(400, 401, 403, 404) } },
  }, async (request) => models.score(request.params.id, request.body.application, request.body.version));

  app.post<{ Params: Static<typeof ModelParams>; Body: Static<typeof PsiBody> }>('/v1/models/:id/psi', {
    config: { auth: 'models:read' },
    bodyLimit: TRAIN_BODY_LIMIT,
    schema: { tags, summary: 'PSI of the score and CSI per attribute against the development sample, with bands (< 0.1 stable, 0.1-0.25 watch, > 0.25 act)', params: ModelParams, body: PsiBody, response: { 200: Open('The stability report'), ...errors(400, 401, 403, 404, 409) } },
  }, async (request) => models.psi(request.params.id, request.body ?? {}));
}

function trainRequestOf(request: FastifyRequest<{ Body: Static<typeof TrainBody>; Querystring: Static<typeof TrainQuery> }>): TrainRequest {
  const body = request.body;
  const q = request.query;
  if (typeof body === 'string') {
    const missing = (['modelId', 'target', 'bad'] as const).filter((k) => q[k] === undefined);
    if (missing.length) throw new MingjianError('VALIDATION', 'a raw file body needs its options in the query string', missing.map((k) => ({ path: `querystring.${k}`, message: 'required' })));
    const jsonl = /ndjson|jsonl/i.test(request.headers['content-type'] ?? '');
    return {
      modelId: q.modelId!, target: q.target!, bad: q.bad!, data: body, format: jsonl ? 'jsonl' : 'csv',
      ...(q.testShare !== undefined ? { testShare: q.testShare } : {}),
      ...(q.seed !== undefined ? { seed: q.seed } : {}),
      ...(q.dateColumn ? { dateColumn: q.dateColumn } : {}),
      ...(q.ootFrom ? { ootFrom: q.ootFrom } : {}),
      ...(q.name ? { name: q.name } : {}),
      ...(q.special ? { special: q.special.split(',').map((s) => (Number.isFinite(Number(s)) && s.trim() !== '' ? Number(s) : s.trim())) } : {}),
    };
  }
  if (Object.keys(q).length) throw new MingjianError('VALIDATION', 'with a JSON body, options go in the body', Object.keys(q).map((k) => ({ path: `querystring.${k}`, message: 'not allowed with a JSON body' })));
  return { ...body, format: body.format ?? 'csv' };
}
