// The audit log, read-only (auditor, admin), and its chain verification.
import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { listAudit, verifyAuditChain } from '../../store/audit-store.ts';
import { AuditEntrySchema, errors } from '../schemas.ts';

const AuditQuery = Type.Object(
  {
    after: Type.Optional(Type.Integer({ minimum: 0, description: 'Entries after this sequence number (the cursor)' })),
    limit: Type.Integer({ minimum: 1, maximum: 1000, default: 100 }),
    action: Type.Optional(Type.String()),
    objectKind: Type.Optional(Type.String()),
    objectId: Type.Optional(Type.String()),
    actor: Type.Optional(Type.String()),
  },
  { additionalProperties: false },
);

export default async function auditRoutes(app: FastifyInstance): Promise<void> {
  const { db } = app.services.store;
  const auth = { config: { auth: 'audit:read' as const } };

  app.get<{ Querystring: Static<typeof AuditQuery> }>(
    '/v1/audit',
    { ...auth, schema: { tags: ['audit'], summary: 'Audit entries in order, paged by sequence number', querystring: AuditQuery, response: { 200: Type.Object({ items: Type.Array(AuditEntrySchema), nextAfter: Type.Union([Type.Integer(), Type.Null()]) }), ...errors(400, 401, 403) } } },
    async (request) => {
      const q = request.query;
      const items = await listAudit(db, {
        limit: q.limit,
        ...(q.after !== undefined ? { afterSeq: q.after } : {}),
        ...(q.action ? { action: q.action } : {}),
        ...(q.objectKind ? { objectKind: q.objectKind } : {}),
        ...(q.objectId ? { objectId: q.objectId } : {}),
        ...(q.actor ? { actorUserId: q.actor } : {}),
      });
      return { items, nextAfter: items.length === q.limit ? items[items.length - 1]!.seq : null };
    },
  );

  app.get(
    '/v1/audit/verify',
    {
      ...auth,
      schema: {
        tags: ['audit'],
        summary: 'Recompute the hash chain; report the first entry that does not match',
        response: { 200: Type.Object({ ok: Type.Boolean(), entries: Type.Integer(), headSeq: Type.Integer(), firstBad: Type.Optional(Type.Object({ seq: Type.Integer(), reason: Type.String() })) }), ...errors(401, 403) },
      },
    },
    async () => verifyAuditChain(db),
  );
}
