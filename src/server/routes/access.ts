// Users and API keys (admin only). A key's secret is returned once, at creation; only its hash is stored.
import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { MingjianError } from '../../kernel/errors.ts';
import { callerOf } from '../app.ts';
import { ROLES } from '../services/access.ts';
import { ApiKeySchema, errors, UserSchema } from '../schemas.ts';

const CreateUser = Type.Object({ name: Type.String({ minLength: 1, maxLength: 100, pattern: '^[A-Za-z0-9][A-Za-z0-9_.@-]*$' }), roles: Type.Array(Type.Union(ROLES.map((r) => Type.Literal(r))), { minItems: 1 }) }, { additionalProperties: false });
const CreateKey = Type.Object(
  {
    userId: Type.Optional(Type.String({ minLength: 1 })),
    /** Creates the user too when given instead of userId. */
    user: Type.Optional(CreateUser),
    name: Type.String({ minLength: 1, maxLength: 100 }),
    rateLimitPerMinute: Type.Optional(Type.Integer({ minimum: 1 })),
    expiresAt: Type.Optional(Type.String({ format: 'date-time' })),
  },
  { additionalProperties: false },
);
const IdParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 100 }) });

export default async function accessRoutes(app: FastifyInstance): Promise<void> {
  const { access } = app.services;
  const opts = { config: { auth: 'access:manage' as const } };

  app.post<{ Body: Static<typeof CreateUser> }>(
    '/v1/users',
    { ...opts, schema: { tags: ['access'], summary: 'Create a user with roles', body: CreateUser, response: { 201: UserSchema, ...errors(400, 401, 403, 409) } } },
    async (request, reply) => reply.code(201).send(await access.createUser(callerOf(request), request.body)),
  );

  app.get('/v1/users', { ...opts, schema: { tags: ['access'], summary: 'List users', response: { 200: Type.Object({ items: Type.Array(UserSchema) }) } } }, async () => ({ items: await access.listUsers() }));

  app.post<{ Body: Static<typeof CreateKey> }>(
    '/v1/keys',
    {
      ...opts,
      schema: {
        tags: ['access'],
        summary: 'Create an API key for a user (or for a new user); the secret is shown only in this answer',
        body: CreateKey,
        response: { 201: Type.Object({ key: ApiKeySchema, secret: Type.String() }), ...errors(400, 401, 403, 404, 409) },
      },
    },
    async (request, reply) => {
      const caller = callerOf(request);
      const body = request.body;
      let userId = body.userId;
      if (!userId && body.user) userId = (await access.createUser(caller, body.user)).id;
      if (!userId) throw new MingjianError('VALIDATION', 'say whose key it is', [{ path: 'body.userId', message: 'give userId, or user to create one' }]);
      const created = await access.createKey(caller, {
        userId,
        name: body.name,
        ...(body.rateLimitPerMinute !== undefined ? { rateLimitPerMinute: body.rateLimitPerMinute } : {}),
        ...(body.expiresAt !== undefined ? { expiresAt: new Date(body.expiresAt).toISOString() } : {}),
      });
      return reply.code(201).send(created);
    },
  );

  app.get<{ Querystring: { userId?: string } }>(
    '/v1/keys',
    { ...opts, schema: { tags: ['access'], summary: 'List API keys (never their secrets)', querystring: Type.Object({ userId: Type.Optional(Type.String()) }), response: { 200: Type.Object({ items: Type.Array(ApiKeySchema) }) } } },
    async (request) => ({ items: await access.listKeys(request.query.userId) }),
  );

  app.delete<{ Params: Static<typeof IdParams> }>(
    '/v1/keys/:id',
    { ...opts, schema: { tags: ['access'], summary: 'Revoke an API key', params: IdParams, response: { 200: ApiKeySchema, ...errors(401, 403, 404) } } },
    async (request) => access.revokeKey(callerOf(request), request.params.id),
  );
}
