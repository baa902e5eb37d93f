// Liveness, readiness and Prometheus metrics.
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';

export default async function healthRoutes(app: FastifyInstance): Promise<void> {
  app.get('/healthz', { config: { auth: 'public' }, schema: { tags: ['operations'], summary: 'The process is alive', response: { 200: Type.Object({ status: Type.Literal('ok') }) } } }, async () => ({ status: 'ok' as const }));

  app.get(
    '/readyz',
    {
      config: { auth: 'public' },
      schema: {
        tags: ['operations'],
        summary: 'The database answers and the flows are loaded',
        response: { 200: Type.Object({ status: Type.String(), database: Type.String(), flows: Type.String() }), 503: Type.Object({ status: Type.String(), database: Type.String(), flows: Type.String() }) },
      },
    },
    async (_request, reply) => {
      let database = 'ok';
      try {
        await app.services.store.ping();
      } catch {
        database = 'unreachable';
      }
      const flows = app.isReady() ? 'loaded' : 'loading';
      const ready = database === 'ok' && flows === 'loaded';
      return reply.code(ready ? 200 : 503).send({ status: ready ? 'ready' : 'not ready', database, flows });
    },
  );

  app.get('/metrics', { config: { auth: app.config.metricsPublic ? 'public' : 'authenticated' }, schema: { tags: ['operations'], summary: 'Prometheus metrics' } }, async (_request, reply) => {
    const { registry } = app.services.metrics;
    return reply.type(registry.contentType).send(await registry.metrics());
  });
}
