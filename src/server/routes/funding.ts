// Funding partners and batch routing: the panel, what each funder took on a day, and the day's batch of booked
// loans routed by linear programming (online routing of one loan is POST /v1/loans/:id/route without a funderId).
import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { callerOf } from '../app.ts';
import { createFundingService } from '../services/funding.ts';
import { createServiceLoans } from '../services/loans.ts';
import { errors } from '../schemas.ts';

const DateString = Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}$', description: 'YYYY-MM-DD; today when omitted' });
const Open = (description: string) => Type.Object({}, { additionalProperties: true, description });
const BatchBody = Type.Union([Type.Object({
  date: Type.Optional(DateString),
  method: Type.Optional(Type.Union([Type.Literal('auto'), Type.Literal('lp'), Type.Literal('mip'), Type.Literal('greedy')], { description: 'auto: exact MIP up to 2,000 loans, aggregated LP above' })),
  timeLimit: Type.Optional(Type.Number({ minimum: 0.1, maximum: 600, description: 'seconds the MIP may run' })),
  globalCeiling: Type.Optional(Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER, description: 'most the day may fund in all, minor units' })),
}, { additionalProperties: false }), Type.Null()]);

export default async function fundingRoutes(app: FastifyInstance): Promise<void> {
  const funding = createFundingService(app.services.store, { loans: createServiceLoans(app.services) });
  const seeded = await funding.seedIfEmpty();
  if (seeded) app.log.info({ funders: seeded }, 'seeded the demo funder panel');
  const tags = ['funding'];

  app.get('/v1/funders', {
    config: { auth: 'funding:read' },
    schema: { tags, summary: 'The funding partners: quotas, terms, minimum rating, high-risk share, regions, products, cost of funds', response: { 200: Type.Object({ items: Type.Array(Open('A funder')) }), ...errors(401, 403) } },
  }, async () => ({ items: await funding.listFunders() }));

  app.get<{ Querystring: { date?: string } }>('/v1/funders/usage', {
    config: { auth: 'funding:read' },
    schema: { tags, summary: 'Volume and high-risk volume committed to each funder on a day', querystring: Type.Object({ date: Type.Optional(DateString) }, { additionalProperties: false }), response: { 200: Open('Usage per funder'), ...errors(400, 401, 403) } },
  }, async (request) => funding.usage(request.query.date));

  app.post<{ Body: Static<typeof BatchBody> }>('/v1/routing/batch', {
    config: { auth: 'funding:route' },
    schema: {
      tags,
      summary: "Route the day's booked loans to funders (maximum margin under quotas, risk shares and the global ceiling); records each assignment on its loan",
      body: BatchBody,
      response: { 200: Open('objective, bound, gap, greedy comparison, seconds, infeasible floors, assignments'), ...errors(400, 401, 403, 409) },
    },
  }, async (request) => funding.routeBatch(callerOf(request), request.body ?? {}));
}
