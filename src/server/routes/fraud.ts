// Anti-fraud API: /v1/cases, /v1/rings, /v1/watchlists, /v1/graph. Permissions come from the access module
// (`fraud:investigate` for cases, rings and the graph; `watchlists:read|propose|approve` for watchlists; `decide` to feed
// decided applications into the graph), checked before the handler runs, with a 403 naming the permission.
// Watchlist changes are never applied here: each request becomes a governed change set (202 Accepted) that a
// different user approves at /v1/watchlist-changes/{id}/versions/1/approve. Every change is audited.
import { Type, type Static } from '@sinclair/typebox';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import type { FastifyInstance, FastifySchema, FastifySchemaCompiler } from 'fastify';
import { MingjianError } from '../../kernel/errors.ts';
import { callerOf } from '../app.ts';
import { errors } from '../schemas.ts';
import { requirePermission, type Permission } from '../services/access.ts';
import type { CaseAction, FraudService } from '../../fraud/fraud-service.ts';
import { CASE_SOURCES, DISPOSITIONS, PRIORITIES } from '../../fraud/cases.ts';
import { KINDS, ROLES } from '../../fraud/identifiers.ts';
import { STATUSES, type ApplicationStatus } from '../../fraud/application-identifiers.ts';

// An enum, not a union of literals: a value outside the list is one error on its field, not one per allowed value.
const literals = <T extends string>(xs: readonly T[]) => Type.Unsafe<T>({ type: 'string', enum: [...xs] });
const Text = (max = 2000) => Type.String({ minLength: 1, maxLength: max });
const OptionalText = Type.Optional(Type.Union([Type.String({ maxLength: 512 }), Type.Null()]));

const Identifiers = Type.Object({
  phone: OptionalText, deviceId: OptionalText, ip: OptionalText, idNumber: OptionalText, bankCard: OptionalText,
  email: OptionalText, address: OptionalText, employer: OptionalText,
  contactPhones: Type.Optional(Type.Union([Type.Array(Type.String({ maxLength: 64 }), { maxItems: 20 }), Type.Null()])),
}, { additionalProperties: false });

const RecordBody = Type.Object({
  applicationId: Text(128),
  appliedAt: Type.String({ format: 'date-time' }),
  status: Type.Optional(literals(STATUSES)),
  identifiers: Identifiers,
}, { additionalProperties: false });

const OpenCaseBody = Type.Object({
  source: literals(CASE_SOURCES),
  sourceRef: Type.Optional(Type.String({ maxLength: 200 })),
  title: Text(300),
  priority: literals(PRIORITIES),
  applicationIds: Type.Optional(Type.Array(Text(128), { maxItems: 1000 })),
  ringId: Type.Optional(Text(64)),
  assignee: Type.Optional(Text(100)),
}, { additionalProperties: false });

const WatchlistProposal = Type.Object({ list: Text(64), applicationId: Text(128), role: literals(ROLES) }, { additionalProperties: false });
const CaseActionBranches = Type.Union([
  Type.Object({ action: Type.Literal('assign'), assignee: Text(100) }, { additionalProperties: false }),
  Type.Object({ action: Type.Literal('start') }, { additionalProperties: false }),
  Type.Object({ action: Type.Literal('note'), text: Text(10_000) }, { additionalProperties: false }),
  Type.Object({ action: Type.Literal('evidence'), kind: literals(['application', 'decision_trace', 'watchlist_hit', 'document']), ref: Text(200), data: Type.Optional(Type.Unknown()) }, { additionalProperties: false }),
  Type.Object({ action: Type.Literal('snapshot'), applicationId: Text(128), hops: Type.Optional(Type.Integer({ minimum: 0, maximum: 4 })) }, { additionalProperties: false }),
  Type.Object({ action: Type.Literal('link'), applicationIds: Type.Optional(Type.Array(Text(128), { maxItems: 1000 })), ringId: Type.Optional(Text(64)) }, { additionalProperties: false }),
  Type.Object({ action: Type.Literal('priority'), priority: literals(PRIORITIES) }, { additionalProperties: false }),
  Type.Object({ action: Type.Literal('resolve'), disposition: literals(DISPOSITIONS), summary: Text(10_000), escalatedTo: Type.Optional(Text(100)), watchlist: Type.Optional(Type.Array(WatchlistProposal, { maxItems: 100 })) }, { additionalProperties: false }),
  Type.Object({ action: Type.Literal('reopen'), reason: Text(2000) }, { additionalProperties: false }),
]);
const CASE_ACTIONS = CaseActionBranches.anyOf.map((b) => b.properties.action.const);

// The body is told apart by `action` (an OpenAPI discriminator), so a bad body is checked against the one shape its
// action names: its problems only, not one per shape as an anyOf over all nine reports them.
const CaseActionBody = Type.Unsafe<Static<typeof CaseActionBranches>>({
  type: 'object',
  discriminator: { propertyName: 'action' },
  oneOf: CaseActionBranches.anyOf,
  description: `one shape per action: ${CASE_ACTIONS.join(', ')}`,
});

// Fastify's own Ajv (app.ts) is built without the discriminator keyword, so this route compiles its schemas with an
// Ajv of the same options plus `discriminator`. An unknown or missing action becomes one detail on `action` listing
// the allowed ones, instead of Ajv's "value of tag ... must be in oneOf" on the whole body.
const discriminatingAjv = new Ajv({ allErrors: true, removeAdditional: false, coerceTypes: 'array', useDefaults: true, discriminator: true });
const caseActionValidator: FastifySchemaCompiler<FastifySchema> = ({ schema }) => {
  // Each part of the request (params, body) in turn; only the body has a discriminator.
  const check: ValidateFunction = discriminatingAjv.compile(schema as object);
  const validate = (data: unknown): boolean => {
    if (check(data)) return true;
    validate.errors = (check.errors ?? []).map((e): ErrorObject => e.keyword !== 'discriminator' ? e : {
      ...e,
      instancePath: `${e.instancePath}/action`,
      keyword: 'enum',
      params: { allowedValues: CASE_ACTIONS },
      message: `${e.params.tagValue === undefined ? 'is required: ' : 'must be '}one of ${CASE_ACTIONS.join(', ')}`,
    });
    return false;
  };
  validate.errors = null as ErrorObject[] | null;
  return validate;
};

const Entry = Type.Object({ value: Text(512), reason: Text(500), source: Text(200), expiresAt: Type.Optional(Type.Union([Type.String({ format: 'date-time' }), Type.Null()])) }, { additionalProperties: false });

const ChangeReason = Type.Optional(Type.String({ minLength: 1, maxLength: 500, description: 'why the change is proposed (shown to the approver)' }));
const ChangeView = Type.Object({
  id: Type.String(), status: Type.String(), list: Type.String(), operation: Type.String(), reason: Type.String(), source: Type.String(),
  proposedBy: Type.String(), proposedAt: Type.String(), approver: Type.Union([Type.String(), Type.Null()]), entries: Type.Integer(), removals: Type.Integer(),
  duplicates: Type.Optional(Type.Integer()), approve: Type.String({ description: 'where another user with watchlists:approve approves it' }),
});

const auth = (permission: Permission) => ({ auth: permission });
const investigate = auth('fraud:investigate');

export default async function fraudRoutes(app: FastifyInstance): Promise<void> {
  const { fraud, watchlistChanges: changes } = app.services;
  // Created by server.ts with the services; without it there is no anti-fraud API (and no second, ungoverned one).
  if (!fraud || !changes) return;
  app.addContentTypeParser('text/csv', { parseAs: 'string' }, (_req, body, done) => done(null, body));
  const tags = ['anti-fraud'];
  const err = errors(400, 401, 403, 404, 409);
  const accepted = { 202: ChangeView, ...err };

  // ---- graph ----
  app.post<{ Body: Static<typeof RecordBody> }>('/v1/graph/applications', {
    config: { auth: 'decide' },
    schema: { tags, summary: 'Add a decided application to the identity graph; returns the graph variables it saw before it', body: RecordBody, response: err },
  }, async (request, reply) => {
    const b = request.body;
    const variables = await fraud.recordApplication({ applicationId: b.applicationId, appliedAt: b.appliedAt, identifiers: b.identifiers, ...(b.status ? { status: b.status as ApplicationStatus } : {}) });
    return reply.code(201).send({ applicationId: b.applicationId, variables, watchlistHits: fraud.watchlistHits(b.identifiers) });
  });

  app.post<{ Body: { identifiers: Static<typeof Identifiers>; appliedAt?: string } }>('/v1/graph/variables', {
    config: { auth: 'decide' },
    schema: { tags, summary: 'Graph variables and watchlist hits for an application about to be decided (nothing is stored)', body: Type.Object({ identifiers: Identifiers, appliedAt: Type.Optional(Type.String({ format: 'date-time' })) }, { additionalProperties: false }), response: err },
  }, async (request) => ({
    variables: fraud.variablesFor(request.body.identifiers, request.body.appliedAt ? Date.parse(request.body.appliedAt) : undefined),
    watchlistHits: fraud.watchlistHits(request.body.identifiers),
  }));

  app.get<{ Params: { applicationId: string }; Querystring: { hops: number; limit: number } }>('/v1/graph/:applicationId', {
    config: investigate,
    schema: { tags, summary: 'Neighbourhood of an application up to N hops (identifiers as hashes)', params: Type.Object({ applicationId: Text(128) }), querystring: Type.Object({ hops: Type.Integer({ minimum: 0, maximum: 4, default: 2 }), limit: Type.Integer({ minimum: 1, maximum: 5000, default: 500 }) }), response: err },
  }, async (request) => fraud.neighbourhood(request.params.applicationId, request.query.hops, request.query.limit));

  app.get<{ Params: { applicationId: string } }>('/v1/graph/:applicationId/backtrack', {
    config: investigate,
    schema: { tags, summary: 'Everything an application touched, with dates, and the cases it is in', params: Type.Object({ applicationId: Text(128) }), response: err },
  }, async (request) => fraud.backtrackApplication(request.params.applicationId));

  app.post<{ Body: { kind: string; value: string } }>('/v1/graph/backtrack', {
    config: investigate,
    schema: { tags, summary: 'Everything an identifier touched (the value travels in the body, is hashed, never stored)', body: Type.Object({ kind: literals(KINDS), value: Text(512) }, { additionalProperties: false }), response: err },
  }, async (request) => fraud.backtrackIdentifier(request.body.kind, request.body.value));

  // ---- rings ----
  app.get<{ Querystring: { limit: number } }>('/v1/rings', {
    config: investigate,
    schema: { tags, summary: 'Rings of the last detection run, highest score first', querystring: Type.Object({ limit: Type.Integer({ minimum: 1, maximum: 1000, default: 100 }) }), response: err },
  }, async (request) => ({ items: await fraud.listRings(request.query.limit) }));

  app.post<{ Body: { minScore?: number; hubThreshold?: number } }>('/v1/rings/detect', {
    config: investigate,
    schema: { tags, summary: 'Run ring detection now; rings above the case threshold open cases', body: Type.Optional(Type.Object({ minScore: Type.Optional(Type.Number({ minimum: 0, maximum: 100 })), hubThreshold: Type.Optional(Type.Integer({ minimum: 2 })) }, { additionalProperties: false })), response: err },
  }, async (request) => {
    const b = request.body ?? {};
    const { rings, casesOpened } = await fraud.detect(callerOf(request), { ...(b.minScore !== undefined ? { minScore: b.minScore } : {}), ...(b.hubThreshold !== undefined ? { hubThreshold: b.hubThreshold } : {}) });
    return { rings: rings.map((r) => ({ id: r.id, score: r.score, members: r.members, links: r.links, factors: r.factors })), casesOpened };
  });

  app.get<{ Params: { id: string } }>('/v1/rings/:id', {
    config: investigate,
    schema: { tags, summary: 'One ring: members, tying identifiers (hashes), score factors', params: Type.Object({ id: Text(64) }), response: err },
  }, async (request) => fraud.getRing(request.params.id));

  // ---- cases ----
  app.get<{ Querystring: { assignee?: string; breached?: boolean; limit: number } }>('/v1/cases', {
    config: investigate,
    schema: { tags, summary: 'Open cases, most urgent first, with their SLA clocks', querystring: Type.Object({ assignee: Type.Optional(Text(100)), breached: Type.Optional(Type.Boolean()), limit: Type.Integer({ minimum: 1, maximum: 1000, default: 200 }) }), response: err },
  }, async (request) => {
    const q = request.query;
    return { items: await fraud.queue({ limit: q.limit, ...(q.assignee ? { assignee: q.assignee } : {}), ...(q.breached ? { breached: true } : {}) }) };
  });

  app.post<{ Body: Static<typeof OpenCaseBody> }>('/v1/cases', {
    config: investigate,
    schema: { tags, summary: 'Open a case (manual report, review outcome, watchlist hit, ring, early warning)', body: OpenCaseBody, response: err },
  }, async (request, reply) => reply.code(201).send(await fraud.openCase(callerOf(request), request.body as Parameters<FraudService['openCase']>[1])));

  app.get<{ Params: { id: string } }>('/v1/cases/:id', {
    config: investigate,
    schema: { tags, summary: 'One case with notes, evidence, history and SLA status', params: Type.Object({ id: Text(100) }), response: err },
  }, async (request) => fraud.getCase(request.params.id));

  app.post<{ Params: { id: string }; Body: Static<typeof CaseActionBody> }>('/v1/cases/:id/actions', {
    config: investigate,
    validatorCompiler: caseActionValidator,
    schema: {
      tags,
      summary: 'Act on a case: assign, start, note, evidence, snapshot, link, priority, resolve, reopen',
      description: 'Resolving as confirmed_fraud flags the applications, alerts live loans booked from them (rule new_fraud_link), and turns `watchlist` proposals into change sets waiting for approval (needs watchlists:propose too); their ids come back in `watchlistChanges`.',
      params: Type.Object({ id: Text(100) }), body: CaseActionBody, response: err,
    },
  }, async (request) => {
    const caller = callerOf(request);
    // Checked before the case changes: proposals are refused with the resolution, not after it was saved.
    if (request.body.action === 'resolve' && request.body.watchlist?.length) requirePermission(caller, 'watchlists:propose');
    return fraud.act(caller, request.params.id, request.body as CaseAction);
  });

  // ---- watchlists ----
  app.get('/v1/watchlists', { config: auth('watchlists:read'), schema: { tags, summary: 'Watchlists with entry counts', response: err } }, async () => ({ items: fraud.listWatchlists() }));

  app.post<{ Body: { name: string; kind: string; description?: string; reason?: string } }>('/v1/watchlists', {
    config: auth('watchlists:propose'),
    schema: { tags, summary: 'Propose a new watchlist of one identifier kind (created once another user approves)', body: Type.Object({ name: Text(64), kind: literals(KINDS), description: Type.Optional(Type.String({ maxLength: 500 })), reason: ChangeReason }, { additionalProperties: false }), response: accepted },
  }, async (request, reply) => {
    const b = request.body;
    return reply.code(202).send(await changes.propose(callerOf(request), { operation: 'create', list: b.name, kind: b.kind, ...(b.description !== undefined ? { description: b.description } : {}), ...(b.reason ? { reason: b.reason } : {}) }));
  });

  app.get<{ Params: { name: string } }>('/v1/watchlists/:name', {
    config: auth('watchlists:read'),
    schema: { tags, summary: 'A watchlist and its live entries (hashed keys, reasons, sources, expiry)', params: Type.Object({ name: Text(64) }), response: err },
  }, async (request) => fraud.getWatchlist(request.params.name));

  app.get<{ Params: { name: string } }>('/v1/watchlists/:name/changes', {
    config: auth('watchlists:read'),
    schema: { tags, summary: 'Change sets of a watchlist waiting for approval (or approved but not applied)', params: Type.Object({ name: Text(64) }), response: { 200: Type.Object({ items: Type.Array(ChangeView) }), ...err } },
  }, async (request) => ({ items: await changes.pending(request.params.name) }));

  app.post<{ Params: { name: string }; Body: { entries: Static<typeof Entry>[]; reason?: string } }>('/v1/watchlists/:name/entries', {
    config: auth('watchlists:propose'),
    schema: { tags, summary: 'Propose entries (values are hashed on arrival; the change set keeps hashes and masked previews)', params: Type.Object({ name: Text(64) }), body: Type.Object({ entries: Type.Array(Entry, { minItems: 1, maxItems: 10_000 }), reason: ChangeReason }, { additionalProperties: false }), response: accepted },
  }, async (request, reply) => reply.code(202).send(await changes.propose(callerOf(request), { operation: 'add', list: request.params.name, entries: request.body.entries, ...(request.body.reason ? { reason: request.body.reason } : {}) })));

  app.post<{ Params: { name: string }; Querystring: { reason?: string }; Body: string }>('/v1/watchlists/:name/import', {
    config: auth('watchlists:propose'),
    schema: { tags, summary: 'Propose a bulk import from CSV (text/csv: value,reason,source[,expiresAt])', params: Type.Object({ name: Text(64) }), querystring: Type.Object({ reason: ChangeReason }), response: accepted },
  }, async (request, reply) => {
    if (typeof request.body !== 'string') throw new MingjianError('VALIDATION', 'send the CSV as text/csv', [{ path: 'body', message: 'expected CSV text' }]);
    return reply.code(202).send(await changes.propose(callerOf(request), { operation: 'import', list: request.params.name, csv: request.body, ...(request.query.reason ? { reason: request.query.reason } : {}) }));
  });

  app.delete<{ Params: { name: string }; Body: { keys: string[]; reason: string } }>('/v1/watchlists/:name/entries', {
    config: auth('watchlists:propose'),
    schema: { tags, summary: 'Propose removing entries by key, with a reason', params: Type.Object({ name: Text(64) }), body: Type.Object({ keys: Type.Array(Type.String({ pattern: '^[0-9a-f]{16}$' }), { minItems: 1, maxItems: 10_000 }), reason: Type.String({ minLength: 1, maxLength: 500 }) }, { additionalProperties: false }), response: accepted },
  }, async (request, reply) => reply.code(202).send(await changes.propose(callerOf(request), { operation: 'remove', list: request.params.name, keys: request.body.keys, reason: request.body.reason })));
}
