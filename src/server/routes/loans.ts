// Loans: offers from approved decisions, booking, routing to a funder, disbursement, repayments, prepayments,
// reversals, hardship relief (maker-checker) and the nightly servicing run. Amounts are integer minor units; dates
// are YYYY-MM-DD value dates (today when omitted).
import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { BUCKETS, type DelinquencyBucket } from '../../loans/delinquency.ts';
import type { LoanState } from '../../loans/loan-account.ts';
import { STATE_CODES } from '../../loans/portfolio.ts';
import { callerOf } from '../app.ts';
import { createFundingService } from '../services/funding.ts';
import { createServiceLoans } from '../services/loans.ts';
import { errors } from '../schemas.ts';

export { EARLY_WARNING_FLOW } from '../services/loans.ts';

const DateString = Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}$', description: 'YYYY-MM-DD value date; today when omitted' });
const Amount = Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER, description: 'minor units' });
const LoanParams = Type.Object({ loanId: Type.String({ minLength: 1, maxLength: 100 }) });
const OfferParams = Type.Object({ offerId: Type.String({ minLength: 1, maxLength: 100 }) });
const ReliefParams = Type.Object({ loanId: Type.String({ minLength: 1, maxLength: 100 }), requestId: Type.String({ minLength: 1, maxLength: 100 }) });
const Open = (description: string) => Type.Object({}, { additionalProperties: true, description });

const OfferBody = Type.Object({
  decisionId: Type.String({ minLength: 1, maxLength: 100 }),
  amount: Amount,
  termMonths: Type.Integer({ minimum: 1, maximum: 600 }),
  productId: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
  date: Type.Optional(DateString),
}, { additionalProperties: false });
const DateBody = Type.Union([Type.Object({ date: Type.Optional(DateString) }, { additionalProperties: false }), Type.Null()]);
const RouteBody = Type.Union([Type.Object({
  funderId: Type.Optional(Type.String({ minLength: 1, maxLength: 100, description: 'assign by hand (operators); without it the loan is routed at once against the remaining quotas' })),
  date: Type.Optional(DateString),
}, { additionalProperties: false }), Type.Null()]);
const PaymentBody = Type.Object({ amount: Amount, date: Type.Optional(DateString) }, { additionalProperties: false });
const ReversalBody = Type.Object({ txId: Type.String({ minLength: 1, maxLength: 120 }), reason: Type.String({ minLength: 1, maxLength: 1000 }), date: Type.Optional(DateString) }, { additionalProperties: false });
const ReliefBody = Type.Object({
  kind: Type.Union([Type.Literal('deferral'), Type.Literal('restructure'), Type.Literal('fee_waiver'), Type.Literal('penalty_waiver')]),
  params: Type.Record(Type.String(), Type.Number(), { description: 'deferral {seq, months}; restructure {termMonths, apr?}; waivers {amount}' }),
  reason: Type.String({ minLength: 1, maxLength: 1000 }),
  date: Type.Optional(DateString),
}, { additionalProperties: false });
const RunBody = Type.Union([Type.Object({
  date: Type.Optional(DateString),
  debits: Type.Optional(Type.Record(Type.String(), Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER }), { description: 'loanId -> what the linked account holds for the automatic deduction, minor units' })),
}, { additionalProperties: false }), Type.Null()]);
// Enums rather than unions of literals: a bad value is one error naming the field, not one per allowed value.
const ListQuery = Type.Object({
  state: Type.Optional(Type.Unsafe<LoanState>({ type: 'string', enum: [...STATE_CODES], description: STATE_CODES.join(' | ') })),
  funderId: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
  bucket: Type.Optional(Type.Unsafe<DelinquencyBucket>({ type: 'string', enum: [...BUCKETS], description: `DPD bucket: ${BUCKETS.join(' | ')}` })),
  cursor: Type.Optional(Type.String({ minLength: 1, maxLength: 100, description: 'nextCursor of the previous page' })),
  limit: Type.Integer({ minimum: 1, maximum: 500, default: 50 }),
}, { additionalProperties: false });
const LoanSummary = Type.Object({
  loanId: Type.String(),
  state: Type.String(),
  dpd: Type.Integer({ description: 'days past due' }),
  bucket: Type.String({ description: 'DPD bucket' }),
  funderId: Type.Union([Type.String(), Type.Null()]),
  principalOutstanding: Type.Integer({ description: 'minor units' }),
  currency: Type.String(),
  updatedAt: Type.String({ description: 'when the loan last changed (ISO timestamp)' }),
});
const DecideBody = Type.Union([Type.Object({ reason: Type.Optional(Type.String({ maxLength: 1000 })), date: Type.Optional(DateString) }, { additionalProperties: false }), Type.Null()]);

export default async function loanRoutes(app: FastifyInstance): Promise<void> {
  const loans = createServiceLoans(app.services);
  const funding = createFundingService(app.services.store, { loans });
  const tags = ['loans'];
  // Until loans get permissions of their own: servicing operations need `decide` (service, operator), relief
  // decisions `objects:approve` (approver), reads `decisions:read`.
  const operate = { config: { auth: 'decide' as const } };
  const approve = { config: { auth: 'objects:approve' as const } };
  const read = { config: { auth: 'decisions:read' as const } };
  const actor = (request: Parameters<typeof callerOf>[0]) => {
    const c = callerOf(request);
    return { userId: c.userId, keyId: c.keyId };
  };

  app.post<{ Body: Static<typeof OfferBody> }>('/v1/loans/offers', { ...operate, schema: { tags, summary: 'Offer a loan on an approved decision (amount up to its credit line)', body: OfferBody, response: { 201: Open('The offer'), ...errors(400, 401, 403, 404, 409) } } },
    async (request, reply) => reply.code(201).send(await loans.createOffer(request.body)));

  app.get<{ Params: Static<typeof OfferParams> }>('/v1/loans/offers/:offerId', { ...read, schema: { tags, summary: 'An offer', params: OfferParams, response: { 200: Open('The offer'), ...errors(401, 403, 404) } } },
    async (request) => loans.getOffer(request.params.offerId));

  app.post<{ Params: Static<typeof OfferParams>; Body: Static<typeof DateBody> }>('/v1/loans/offers/:offerId/accept', { ...operate, schema: { tags, summary: 'Accept an open offer: books the loan', params: OfferParams, body: DateBody, response: { 201: Open('The loan'), ...errors(400, 401, 403, 404, 409) } } },
    async (request, reply) => reply.code(201).send(await loans.acceptOffer(actor(request), request.params.offerId, request.body ?? {})));

  app.get<{ Querystring: Static<typeof ListQuery> }>('/v1/loans', { ...read, schema: { tags, summary: 'Loans, newest first, filtered by state, funder and DPD bucket and paged by cursor', querystring: ListQuery, response: { 200: Type.Object({ items: Type.Array(LoanSummary), nextCursor: Type.Union([Type.String(), Type.Null()]) }), ...errors(400, 401, 403) } } },
    async (request) => {
      const q = request.query;
      return loans.listLoans({
        limit: q.limit,
        ...(q.state !== undefined ? { state: q.state } : {}),
        ...(q.funderId !== undefined ? { funderId: q.funderId } : {}),
        ...(q.bucket !== undefined ? { bucket: q.bucket } : {}),
        ...(q.cursor !== undefined ? { cursor: q.cursor } : {}),
      });
    });

  app.get<{ Params: Static<typeof LoanParams> }>('/v1/loans/:loanId', { ...read, schema: { tags, summary: 'A loan: state, DPD bucket, amounts due, schedule, relief requests, early-warning cases', params: LoanParams, response: { 200: Open('The loan'), ...errors(401, 403, 404) } } },
    async (request) => loans.getLoan(request.params.loanId));

  app.get<{ Params: Static<typeof LoanParams>; Querystring: { date?: string } }>('/v1/loans/:loanId/payoff', { ...read, schema: { tags, summary: 'What repays the whole loan on a day (prepayment quote)', params: LoanParams, querystring: Type.Object({ date: Type.Optional(DateString) }, { additionalProperties: false }), response: { 200: Open('The quote'), ...errors(400, 401, 403, 404, 409) } } },
    async (request) => loans.payoffQuote(request.params.loanId, request.query.date));

  app.get<{ Params: Static<typeof LoanParams> }>('/v1/loans/:loanId/transactions', { ...read, schema: { tags, summary: "The loan's ledger transactions, oldest first", params: LoanParams, response: { 200: Type.Object({ items: Type.Array(Open('A transaction')) }), ...errors(401, 403, 404) } } },
    async (request) => ({ items: await loans.listTransactions(request.params.loanId) }));

  app.post<{ Params: Static<typeof LoanParams>; Body: Static<typeof RouteBody> }>('/v1/loans/:loanId/route', { ...operate, schema: { tags, summary: 'Assign the booked loan to a funder: the one given, or online routing against the remaining quotas', params: LoanParams, body: RouteBody, response: { 200: Open('The loan'), ...errors(400, 401, 403, 404, 409) } } },
    async (request) => {
      const body = request.body ?? {};
      if (body.funderId !== undefined) return funding.routeByHand(callerOf(request), request.params.loanId, body.funderId, body.date);
      const routed = await funding.routeOne(callerOf(request), request.params.loanId, body.date);
      return { ...(routed.loan as object), routing: { mode: 'online', funderId: routed.funderId, margin: routed.margin } };
    });

  app.post<{ Params: Static<typeof LoanParams>; Body: Static<typeof DateBody> }>('/v1/loans/:loanId/disburse', { ...operate, schema: { tags, summary: 'Pay out a routed loan; the schedule starts on this day', params: LoanParams, body: DateBody, response: { 200: Open('The loan'), ...errors(400, 401, 403, 404, 409) } } },
    async (request) => loans.disburse(actor(request), request.params.loanId, request.body?.date));

  app.post<{ Params: Static<typeof LoanParams>; Body: Static<typeof PaymentBody> }>('/v1/loans/:loanId/repayments', { ...operate, schema: { tags, summary: 'A repayment of any amount, allocated penalty, fee, interest, principal', params: LoanParams, body: PaymentBody, response: { 200: Open('Transactions and the loan'), ...errors(400, 401, 403, 404, 409) } } },
    async (request) => loans.repay(actor(request), request.params.loanId, request.body.amount, request.body.date));

  app.post<{ Params: Static<typeof LoanParams>; Body: Static<typeof PaymentBody> }>('/v1/loans/:loanId/deductions', { ...operate, schema: { tags, summary: 'An automatic deduction collected from the linked account (at most what is due; less is a partial deduction)', params: LoanParams, body: PaymentBody, response: { 200: Open('Transactions and the loan'), ...errors(400, 401, 403, 404, 409) } } },
    async (request) => loans.autoDeduct(actor(request), request.params.loanId, request.body.amount, request.body.date));

  app.post<{ Params: Static<typeof LoanParams>; Body: Static<typeof PaymentBody> }>('/v1/loans/:loanId/prepayments', { ...operate, schema: { tags, summary: 'Prepay part or all of the principal; the schedule is recalculated', params: LoanParams, body: PaymentBody, response: { 200: Open('Transactions and the loan'), ...errors(400, 401, 403, 404, 409) } } },
    async (request) => loans.prepay(actor(request), request.params.loanId, request.body.amount, request.body.date));

  app.post<{ Params: Static<typeof LoanParams>; Body: Static<typeof ReversalBody> }>('/v1/loans/:loanId/reversals', { ...operate, schema: { tags, summary: 'Reverse a transaction by a counter-entry', params: LoanParams, body: ReversalBody, response: { 200: Open('Transactions and the loan'), ...errors(400, 401, 403, 404, 409) } } },
    async (request) => loans.reverse(actor(request), request.params.loanId, request.body.txId, request.body.reason, request.body.date));

  app.post<{ Params: Static<typeof LoanParams>; Body: Static<typeof ReliefBody> }>('/v1/loans/:loanId/relief', { ...operate, schema: { tags, summary: 'Request hardship relief; someone else must approve it', params: LoanParams, body: ReliefBody, response: { 201: Open('The request'), ...errors(400, 401, 403, 404, 409) } } },
    async (request, reply) => reply.code(201).send(await loans.requestRelief(actor(request), request.params.loanId, request.body)));

  app.post<{ Params: Static<typeof ReliefParams>; Body: Static<typeof DecideBody> }>('/v1/loans/:loanId/relief/:requestId/approve', { ...approve, schema: { tags, summary: 'Approve a relief request (not by its requester); applies it', params: ReliefParams, body: DecideBody, response: { 200: Open('The request and the loan'), ...errors(400, 401, 403, 404, 409) } } },
    async (request) => loans.decideRelief(actor(request), request.params.loanId, request.params.requestId, 'approve', request.body ?? {}));

  app.post<{ Params: Static<typeof ReliefParams>; Body: Static<typeof DecideBody> }>('/v1/loans/:loanId/relief/:requestId/reject', { ...approve, schema: { tags, summary: 'Reject a relief request (not by its requester)', params: ReliefParams, body: DecideBody, response: { 200: Open('The request and the loan'), ...errors(400, 401, 403, 404, 409) } } },
    async (request) => loans.decideRelief(actor(request), request.params.loanId, request.params.requestId, 'reject', request.body ?? {}));

  app.post<{ Body: Static<typeof RunBody> }>('/v1/loans/servicing/run', { ...operate, schema: { tags, summary: 'Run the nightly servicing (accrual, billing, automatic deduction, ageing, charge-off, early warning) for a day', body: RunBody, response: { 200: Open('Run summary'), ...errors(400, 401, 403, 409) } } },
    async (request) => loans.runNightly(request.body?.date, request.body?.debits ?? {}));
}
