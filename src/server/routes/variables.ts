// Variables API: the catalog (/v1/variables), lineage (/v1/variables/{name}/usage, ?unused=true), velocity events
// (/v1/events), and the two SIMULATED external sources (/simulated/...) that the bureau and identity variables call
// over HTTP. The simulations are public: they hold no data, answers are a hash of the request.
import type { AddressInfo } from 'node:net';
import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { Redis } from 'ioredis';
import { MingjianError } from '../../kernel/errors.ts';
import { listObjects, listVersions } from '../../store/governance-store.ts';
import { VARIABLE_SOURCE_KINDS } from '../../variables/catalog.ts';
import { compareProfiles, profileValues } from '../../variables/data-quality.ts';
import type { FlowVersionDependencies } from '../../variables/lineage.ts';
import { SIMULATED_CREDIT_BUREAU_PATH, SIMULATED_IDENTITY_PATH, simulatedCreditReport, simulatedIdentityCheck } from '../../variables/simulated-sources.ts';
import { openVariablesRuntime, type VariablesRuntime } from '../../variables/variables-runtime.ts';
import { errors } from '../schemas.ts';

const NameParams = Type.Object({ name: Type.String({ pattern: '^[A-Za-z_][A-Za-z0-9_]*$', maxLength: 100 }) });
const ListQuery = Type.Object(
  {
    source: Type.Optional(Type.Union(VARIABLE_SOURCE_KINDS.map((k) => Type.Literal(k)))),
    tag: Type.Optional(Type.String({ maxLength: 100 })),
    owner: Type.Optional(Type.String({ maxLength: 200 })),
    unused: Type.Optional(Type.Boolean({ description: 'Only variables no flow version needs, even indirectly' })),
  },
  { additionalProperties: false },
);
const VariableSchema = Type.Object({ name: Type.String(), type: Type.String(), source: Type.String(), owner: Type.String(), description: Type.String() }, { additionalProperties: true });
const UsageSchema = Type.Object({
  flow: Type.String(),
  version: Type.Union([Type.String(), Type.Number()]),
  direct: Type.Boolean(),
  via: Type.Array(Type.String()),
  nodes: Type.Array(Type.String()),
});
const EventSchema = Type.Object(
  {
    id: Type.String({ minLength: 1, maxLength: 128 }),
    type: Type.String({ minLength: 1, maxLength: 100 }),
    time: Type.Integer({ minimum: 0, description: 'epoch milliseconds' }),
    fields: Type.Record(Type.String(), Type.Unknown()),
  },
  { additionalProperties: false },
);
const EventsBody = Type.Object({ events: Type.Array(EventSchema, { minItems: 1, maxItems: 1000 }) }, { additionalProperties: false });
const Open = Type.Object({}, { additionalProperties: true });
const IsoTime = (description: string) => Type.Optional(Type.String({ format: 'date-time', description }));
const QualityQuery = Type.Object(
  {
    flow: Type.Optional(Type.String({ maxLength: 100 })),
    from: IsoTime('Start of the period (inclusive)'),
    to: IsoTime('End of the period (exclusive)'),
    baselineFrom: IsoTime('Start of the baseline period to compare with'),
    baselineTo: IsoTime('End of the baseline period'),
  },
  { additionalProperties: false },
);
/** Decisions read per period at most (the most recent ones). */
const QUALITY_SAMPLE = 100_000;

export default async function variableRoutes(app: FastifyInstance): Promise<void> {
  // The runtime may be wired into app.services by the lead; until then this plugin owns one over the same database.
  // It opens on first use, once the server knows its own address (the simulated sources are called over HTTP).
  let runtime: Promise<VariablesRuntime> | undefined = (app.services as unknown as { variables?: VariablesRuntime }).variables
    ? Promise.resolve((app.services as unknown as { variables: VariablesRuntime }).variables)
    : undefined;
  let redis: Redis | undefined;
  app.addHook('onClose', async () => redis?.disconnect());
  const variables = async (): Promise<VariablesRuntime> => {
    runtime ??= (async () => {
      const address = app.server.address() as AddressInfo | null;
      const selfBaseUrl = `http://127.0.0.1:${address?.port ?? app.config.port}`;
      // REDIS_URL set: velocity counts live in Redis, shared by every instance; otherwise in the embedded store.
      redis = app.config.redisUrl ? new Redis(app.config.redisUrl, { maxRetriesPerRequest: 2 }) : undefined;
      return openVariablesRuntime({
        db: app.services.store.db,
        // Instances sharing counts share the database, so its URL (hashed) names their Redis keys.
        ...(redis ? { redis, redisPrefix: `mingjian:velocity:${app.services.keyRing.keyedHash(app.config.databaseUrl).slice(0, 16)}:` } : {}),
        env: {},
        selfBaseUrl,
        hashKey: Buffer.from(app.services.keyRing.keyedHash('mingjian:velocity-key:v1'), 'hex'),
      });
    })();
    try {
      return await runtime;
    } catch (err) {
      runtime = undefined;
      throw err instanceof MingjianError ? err : new MingjianError('UNAVAILABLE', `variables are not available: ${(err as Error).message}`);
    }
  };

  /** Every stored flow version with its compiled dependencies (versions that no longer compile are skipped). */
  async function flowVersions(): Promise<FlowVersionDependencies[]> {
    const db = app.services.store.db;
    const out: FlowVersionDependencies[] = [];
    for (const obj of await listObjects(db, 'flow')) {
      for (const v of await listVersions(db, 'flow', obj.objectId)) {
        try {
          const entry = await app.services.flows.resolve(obj.objectId, v.version);
          out.push({ flow: obj.objectId, version: v.version, dependencies: entry.compiled.dependencies });
        } catch {
          // a draft that does not compile uses nothing yet
        }
      }
    }
    return out;
  }

  app.post(SIMULATED_CREDIT_BUREAU_PATH, {
    config: { auth: 'public' },
    schema: { tags: ['simulated sources'], summary: 'SIMULATED credit bureau report (deterministic from the ID number; not real data)', body: Open, response: { 200: Open, ...errors(400) } },
  }, async (request) => {
    const out = simulatedCreditReport(request.body as Record<string, unknown>);
    if ('error' in out) throw new MingjianError('VALIDATION', out.error, [{ path: 'body.idNumber', message: out.error }]);
    return out;
  });

  app.post(SIMULATED_IDENTITY_PATH, {
    config: { auth: 'public' },
    schema: { tags: ['simulated sources'], summary: 'SIMULATED identity verification (deterministic; checks the ID check digit; not real data)', body: Open, response: { 200: Open, ...errors(400) } },
  }, async (request) => {
    const out = simulatedIdentityCheck(request.body as Record<string, unknown>);
    if ('error' in out) throw new MingjianError('VALIDATION', out.error, [{ path: 'body', message: out.error }]);
    return out;
  });

  app.get<{ Querystring: Static<typeof ListQuery> }>('/v1/variables', {
    config: { auth: 'objects:read' },
    schema: { tags: ['variables'], summary: 'The variable catalog, filtered by source kind, tag or owner; `unused=true` lists variables nothing uses', querystring: ListQuery, response: { 200: Type.Object({ items: Type.Array(VariableSchema) }), ...errors(400, 401, 403, 503) } },
  }, async (request) => {
    const { service } = await variables();
    const { unused, ...filter } = request.query;
    const items = service.list(filter);
    if (!unused) return { items };
    const unusedNames = new Set(service.unused(await flowVersions()).map((v) => v.name));
    return { items: items.filter((v) => unusedNames.has(v.name)) };
  });

  app.get<{ Params: Static<typeof NameParams> }>('/v1/variables/:name', {
    config: { auth: 'objects:read' },
    schema: { tags: ['variables'], summary: 'One catalog variable', params: NameParams, response: { 200: VariableSchema, ...errors(401, 403, 404, 503) } },
  }, async (request) => (await variables()).service.get(request.params.name));

  app.get<{ Params: Static<typeof NameParams> }>('/v1/variables/:name/usage', {
    config: { auth: 'objects:read' },
    schema: { tags: ['variables'], summary: 'Which flows, versions and nodes use a variable, directly or through other variables', params: NameParams, response: { 200: Type.Object({ name: Type.String(), usage: Type.Array(UsageSchema) }), ...errors(401, 403, 404, 503) } },
  }, async (request) => {
    const { service } = await variables();
    return { name: request.params.name, usage: service.usage(request.params.name, await flowVersions()) };
  });

  /** The variable's recorded values: the decision's variables when it has one of that name, else its input field. */
  async function recordedValues(name: string, q: { flow?: string; from?: string; to?: string }): Promise<unknown[]> {
    let query = app.services.store.db.selectFrom('decisions').select(['input', 'variables']).orderBy('id', 'desc').limit(QUALITY_SAMPLE);
    if (q.flow) query = query.where('flow_id', '=', q.flow);
    if (q.from) query = query.where('created_at', '>=', q.from);
    if (q.to) query = query.where('created_at', '<', q.to);
    const rows = await query.execute();
    return rows.map((r) => {
      const vars = r.variables ? (JSON.parse(r.variables) as Record<string, unknown>) : {};
      if (name in vars) return vars[name];
      return (JSON.parse(r.input) as Record<string, unknown>)[name];
    });
  }

  app.get<{ Params: Static<typeof NameParams>; Querystring: Static<typeof QualityQuery> }>('/v1/variables/:name/quality', {
    config: { auth: 'objects:read' },
    schema: {
      tags: ['variables'],
      summary: 'Data quality of a variable from recorded decisions: missing rate, distribution, top values, and the change from a baseline period (PSI)',
      description: `Reads at most ${QUALITY_SAMPLE} most recent decisions per period. Personal variables report only their missing rate (their values are sealed).`,
      params: NameParams,
      querystring: QualityQuery,
      response: { 200: Open, ...errors(400, 401, 403, 404, 503) },
    },
  }, async (request) => {
    const { service } = await variables();
    const v = service.get(request.params.name);
    const q = request.query;
    const current = await recordedValues(v.name, { flow: q.flow, from: q.from, to: q.to });
    const shown = (values: unknown[]) => (v.pii ? values.map((x) => (x === undefined || x === null ? x : '(personal)')) : values);
    const profile = profileValues(shown(current));
    if (!q.baselineFrom && !q.baselineTo) return { name: v.name, profile };
    const baseline = await recordedValues(v.name, { flow: q.flow, from: q.baselineFrom, to: q.baselineTo });
    return { name: v.name, profile, baseline: profileValues(shown(baseline)), change: compareProfiles(shown(baseline), shown(current)) };
  });

  app.post<{ Body: Static<typeof EventsBody> }>('/v1/events', {
    config: { auth: 'decide' },
    schema: {
      tags: ['variables'],
      summary: 'Record events (login, repayment, password reset, ...) for velocity variables',
      description: 'Idempotent by event id. Times are epoch milliseconds and may arrive out of order; events more than 5 minutes in the future are refused. Only the fields velocity definitions read are kept, personal ones keyed-hashed.',
      body: EventsBody,
      response: { 202: Type.Object({ received: Type.Integer(), recorded: Type.Integer() }), ...errors(400, 401, 403, 413, 503) },
    },
  }, async (request, reply) => {
    const { service } = await variables();
    reply.code(202);
    return service.ingestEvents(request.body.events);
  });
}
