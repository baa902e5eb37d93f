// POST /v1/decisions and the decision records: read, list, replay.
import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { MingjianError } from '../../kernel/errors.ts';
import { callerOf } from '../app.ts';
import { DecideBodySchema, DecisionRecordSchema, DecisionSummarySchema, DecisionViewSchema, errors, Outcome } from '../schemas.ts';

const IdParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 100 }) });
const ListQuery = Type.Object(
  {
    flow: Type.Optional(Type.String({ maxLength: 100 })),
    decision: Type.Optional(Outcome),
    from: Type.Optional(Type.String({ format: 'date-time', description: 'Inclusive' })),
    to: Type.Optional(Type.String({ format: 'date-time', description: 'Exclusive' })),
    cursor: Type.Optional(Type.String({ maxLength: 100, description: 'nextCursor of the previous page' })),
    limit: Type.Integer({ minimum: 1, maximum: 500, default: 50 }),
  },
  { additionalProperties: false },
);

export default async function decisionRoutes(app: FastifyInstance): Promise<void> {
  const { decisions } = app.services;

  app.post<{ Body: Static<typeof DecideBodySchema>; Querystring: { trace?: boolean }; Headers: { 'idempotency-key'?: string } }>(
    '/v1/decisions',
    {
      config: { auth: 'decide' },
      schema: {
        tags: ['decisions'],
        summary: 'Decide an application with a flow (its active version, or `version`)',
        description: 'The decision record is committed before the answer. The same idempotency key always returns the same answer and never records a second decision.',
        body: DecideBodySchema,
        querystring: Type.Object({ trace: Type.Optional(Type.Boolean({ description: 'Return the trace' })) }),
        headers: Type.Object({ 'idempotency-key': Type.Optional(Type.String({ minLength: 1, maxLength: 200 })) }),
        response: { 200: DecisionViewSchema, ...errors(400, 401, 403, 404, 409, 413, 422, 429) },
      },
    },
    async (request) => {
      const body = request.body;
      const headerKey = request.headers['idempotency-key'];
      if (headerKey !== undefined && body.idempotencyKey !== undefined && headerKey !== body.idempotencyKey) {
        throw new MingjianError('VALIDATION', 'two different idempotency keys', [{ path: 'body.idempotencyKey', message: 'differs from the Idempotency-Key header; send one' }]);
      }
      const idempotencyKey = body.idempotencyKey ?? headerKey;
      return decisions.decide(callerOf(request), {
        flow: body.flow,
        ...(body.version !== undefined ? { version: String(body.version) } : {}),
        application: body.application,
        ...(idempotencyKey !== undefined ? { idempotencyKey } : {}),
        trace: request.query.trace === true,
      });
    },
  );

  app.get<{ Params: Static<typeof IdParams>; Querystring: { unmask?: boolean } }>(
    '/v1/decisions/:id',
    {
      config: { auth: 'decisions:read' },
      schema: {
        tags: ['decisions'],
        summary: 'A decision record with its input snapshot, variables and trace',
        description: 'Personal data is masked; `unmask=true` reveals it to roles allowed to read it (admin, investigator), and the read is audited.',
        params: IdParams,
        querystring: Type.Object({ unmask: Type.Optional(Type.Boolean()) }),
        response: { 200: DecisionRecordSchema, ...errors(401, 403, 404) },
      },
    },
    async (request) => decisions.get(callerOf(request), request.params.id, { unmask: request.query.unmask === true }),
  );

  app.get<{ Querystring: Static<typeof ListQuery> }>(
    '/v1/decisions',
    {
      config: { auth: 'decisions:read' },
      schema: {
        tags: ['decisions'],
        summary: 'Decisions, newest first, filtered and paged by cursor',
        querystring: ListQuery,
        response: { 200: Type.Object({ items: Type.Array(DecisionSummarySchema), nextCursor: Type.Union([Type.String(), Type.Null()]) }), ...errors(400, 401, 403) },
      },
    },
    async (request) => {
      const q = request.query;
      return decisions.list(callerOf(request), {
        limit: q.limit,
        ...(q.flow ? { flow: q.flow } : {}),
        ...(q.decision ? { decision: q.decision } : {}),
        ...(q.from ? { from: new Date(q.from).toISOString() } : {}),
        ...(q.to ? { to: new Date(q.to).toISOString() } : {}),
        ...(q.cursor ? { cursor: q.cursor } : {}),
      });
    },
  );

  app.post<{ Params: Static<typeof IdParams> }>(
    '/v1/decisions/:id/replay',
    {
      config: { auth: 'decisions:replay' },
      schema: {
        tags: ['decisions'],
        summary: 'Re-evaluate the stored input on the recorded flow version with the recorded time; report whether the result is identical',
        params: IdParams,
        response: {
          200: Type.Object({
            id: Type.String(),
            flow: Type.String(),
            version: Type.String(),
            identical: Type.Boolean(),
            differences: Type.Array(Type.Object({ path: Type.String(), op: Type.String(), before: Type.Optional(Type.Unknown()), after: Type.Optional(Type.Unknown()) })),
            recorded: Type.Unknown(),
            replayed: Type.Unknown(),
          }),
          ...errors(401, 403, 404),
        },
      },
    },
    async (request) => decisions.replay(callerOf(request), request.params.id),
  );
}
