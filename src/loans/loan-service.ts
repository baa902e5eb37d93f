// The loan service: the operations the API and other services call. It loads an account, applies one pure
// operation from loan-account.ts, and commits the account, its new ledger transactions, the early-warning cases the
// events raised and the audit records in one store transaction (optimistic locking against concurrent changes).
import { MingjianError } from '../kernel/errors.ts';
import type { CompiledFlow } from '../engine/index.ts';
import { behaviourFeatures, type BehaviourFeatures } from './behaviour.ts';
import { defaultBehaviourFlow, scoreBehaviour, type BehaviourScore } from './behaviour-score.ts';
import { formatDay, parseDay } from './dates.ts';
import { bucketOf, BUCKETS, type DelinquencyBucket } from './delinquency.ts';
import { defaultEarlyWarningRules, evaluateEarlyWarning, type EarlyWarningRule } from './early-warning.ts';
import {
  approveRelief, autoDeduct, disburseLoan, loanStatus, payoffQuote, prepay, reconcileLoan, rejectRelief, repay, requestRelief, reverseTransaction, routeLoan, runDay,
  type LoanAccount, type LoanState, type OperationResult, type ReliefKind,
} from './loan-account.ts';
import type { LedgerTransaction } from './ledger.ts';
import type { LoanAuditInput, LoanCase, LoanListQuery, LoanStore } from './loan-store.ts';
import { acceptOffer, makeOffer, type Offer } from './offer.ts';
import { DEFAULT_PRODUCTS, type PricedProduct } from './products.ts';

export interface DecisionForOffer {
  decisionId: string;
  applicationId: string;
  decision: string;
  creditLine: number | null;
  priceBand: string | null;
}

export interface LoanServiceDeps {
  store: LoanStore;
  findDecision(decisionId: string): Promise<DecisionForOffer | undefined>;
  /** Today as a day number (days since 1970-01-01 UTC). */
  today(): number;
  newId(prefix: string): string;
  products?: readonly PricedProduct[];
  rules?: readonly EarlyWarningRule[];
  /** Rules looked up per operation (e.g. the active version of an early-warning flow). */
  extraRules?: () => Promise<readonly EarlyWarningRule[]>;
  /** The behaviour score flow looked up per read (the active `loan-behaviour-score`); null for the default. */
  behaviourFlow?: () => Promise<CompiledFlow | null>;
}

export interface Actor {
  userId: string;
  keyId?: string | null;
}

export interface LoanView {
  loanId: string;
  state: string;
  currency: string;
  principal: number;
  apr: number;
  funderId: string | null;
  disbursedOn: string | null;
  dpd: number;
  bucket: DelinquencyBucket;
  due: { penalty: number; fee: number; interest: number; principal: number; total: number };
  principalOutstanding: number;
  overpayment: number;
  nextInstalment: { seq: number; due: string; principal: number; interest: number; fee: number } | null;
  schedule: { seq: number; due: string; principal: number; interest: number; fee: number; billed: boolean }[];
  reliefRequests: { requestId: string; kind: string; status: string; requestedBy: string; decidedBy: string | null; params: Record<string, number>; reason: string }[];
  cases: (LoanCase & { date: string })[];
  /** Post-loan behaviour features as of the last servicing day. */
  behaviour: BehaviourFeatures;
  /** The behaviour score of those features (null when the scoring flow failed on them). */
  behaviourScore: BehaviourScore | null;
  reconciled: boolean;
}

/** One row of the loan list. Amounts in integer minor units of `currency`. */
export interface LoanSummary {
  loanId: string;
  state: string;
  dpd: number;
  bucket: DelinquencyBucket;
  funderId: string | null;
  principalOutstanding: number;
  currency: string;
  /** When the loan last changed (ISO timestamp). */
  updatedAt: string;
}

export interface LoanListFilter {
  state?: LoanState;
  funderId?: string;
  bucket?: DelinquencyBucket;
  /** nextCursor of the previous page. */
  cursor?: string;
  limit: number;
}

/**
 * The inclusive DPD range of a bucket, for filtering in the store: the inverse of bucketOf (delinquency.ts), whose
 * boundaries are 0 | 1-30 | 31-60 | 61-90 | 91+. A test checks the two agree for every DPD up to 200.
 */
export function dpdRangeOf(bucket: DelinquencyBucket): { minDpd?: number; maxDpd?: number } {
  switch (bucket) {
    case 'current': return { maxDpd: 0 };
    case '1-30': return { minDpd: 1, maxDpd: 30 };
    case '31-60': return { minDpd: 31, maxDpd: 60 };
    case '61-90': return { minDpd: 61, maxDpd: 90 };
    case '90+': return { minDpd: 91 };
  }
}

export interface NightlyRunSummary {
  date: string;
  processed: number;
  skipped: number;
  buckets: Record<DelinquencyBucket, number>;
  chargeOffs: number;
  casesOpened: number;
}

export function createLoanService(deps: LoanServiceDeps) {
  const { store } = deps;
  const products = deps.products ?? DEFAULT_PRODUCTS;
  const baseRules = deps.rules ?? defaultEarlyWarningRules();
  const currentRules = async () => (deps.extraRules ? [...baseRules, ...(await deps.extraRules())] : baseRules);
  const currentBehaviourFlow = async () => (deps.behaviourFlow ? await deps.behaviourFlow() : null) ?? defaultBehaviourFlow();

  /** The loan's behaviour as of a day and its score: the view shows them, early-warning flows read them. */
  function behaviourOf(acc: LoanAccount, flow: CompiledFlow, day: number): { features: BehaviourFeatures; score: BehaviourScore | null } {
    const features = behaviourFeatures(acc, day);
    return { features, score: scoreBehaviour(flow, features) };
  }

  /** The early-warning context of a loan's events: its behaviour features, score and rating after the operation. */
  function warningContext(acc: LoanAccount, flow: CompiledFlow, day: number): Record<string, unknown> {
    const b = behaviourOf(acc, flow, day);
    return { ...b.features, behaviourScore: b.score?.score ?? null, behaviourRating: b.score?.rating ?? null };
  }
  const dayOf = (date: string | undefined) => (date === undefined ? deps.today() : parseDay(date, 'date'));

  async function load(loanId: string) {
    const stored = await store.getAccount(loanId);
    if (!stored) throw new MingjianError('NOT_FOUND', `loan '${loanId}' not found`);
    return stored;
  }

  /** Applies one operation and commits what it changed. */
  async function mutate<T>(actor: Actor, loanId: string, action: string, op: (acc: LoanAccount) => { result: T; out?: OperationResult; audit?: unknown }): Promise<T> {
    const { account, version } = await load(loanId);
    const rules = await currentRules();
    const before = account.transactions.length;
    const { result, out, audit } = op(account);
    const newTransactions = account.transactions.slice(before);
    const cases = out?.events.length ? evaluateEarlyWarning(out.events, rules, warningContext(account, await currentBehaviourFlow(), account.lastRunDay ?? deps.today())) : [];
    const auditEntries: LoanAuditInput[] = audit === undefined ? [] : [{ actorUserId: actor.userId, actorKeyId: actor.keyId ?? null, action, objectId: loanId, after: audit }];
    await store.commit({ account, expectedVersion: version, newTransactions, cases, audit: auditEntries });
    return result;
  }

  function productFor(productId: string | undefined): PricedProduct {
    const p = productId ? products.find((x) => x.productId === productId) : products[0];
    if (!p) throw new MingjianError('VALIDATION', `unknown product '${productId}'`, [{ path: 'productId', message: 'not a product', expected: products.map((x) => x.productId).join(' | ') }]);
    return p;
  }

  async function view(acc: LoanAccount): Promise<LoanView> {
    const s = loanStatus(acc);
    const line = (l: LoanAccount['lines'][number]) => ({ seq: l.seq, due: formatDay(l.due), principal: l.principal, interest: l.interest, fee: l.fee });
    const cases = await store.listCases(acc.loanId);
    const behaviour = behaviourOf(acc, await currentBehaviourFlow(), acc.lastRunDay ?? deps.today());
    return {
      loanId: acc.loanId, state: acc.state, currency: acc.currency, principal: acc.principal, apr: acc.apr, funderId: acc.funderId,
      disbursedOn: acc.disbursedDay === null ? null : formatDay(acc.disbursedDay), dpd: acc.dpd, bucket: bucketOf(acc.dpd), due: s.due,
      principalOutstanding: s.principalOutstanding, overpayment: s.overpayment, nextInstalment: s.nextInstalment ? line(s.nextInstalment) : null,
      schedule: acc.lines.map((l, i) => ({ ...line(l), billed: i < acc.billed })),
      reliefRequests: acc.reliefRequests.map((r) => ({ requestId: r.requestId, kind: r.kind, status: r.status, requestedBy: r.requestedBy, decidedBy: r.decidedBy ?? null, params: r.params, reason: r.reason })),
      cases: cases.map((c) => ({ ...c, date: formatDay(c.day) })),
      behaviour: behaviour.features,
      behaviourScore: behaviour.score,
      reconciled: reconcileLoan(acc).length === 0,
    };
  }

  return {
    products: () => products,

    async createOffer(input: { decisionId: string; amount: number; termMonths: number; productId?: string; date?: string }): Promise<Offer> {
      const decision = await deps.findDecision(input.decisionId);
      if (!decision) throw new MingjianError('NOT_FOUND', `decision '${input.decisionId}' not found`);
      if (decision.creditLine === null) throw new MingjianError('CONFLICT', `decision '${input.decisionId}' set no credit line`);
      const product = productFor(input.productId);
      const apr = decision.priceBand === null ? product.defaultApr : product.aprByPriceBand[decision.priceBand];
      if (apr === undefined) throw new MingjianError('CONFLICT', `product ${product.productId} does not lend to price band '${decision.priceBand}'`);
      const offer = makeOffer(deps.newId('offer'), { applicationId: decision.applicationId, outcome: decision.decision.toLowerCase(), creditLine: decision.creditLine, currency: product.currency, apr }, { amount: input.amount, termMonths: input.termMonths }, product, dayOf(input.date));
      await store.insertOffer(offer, decision.decisionId);
      return offer;
    },

    async getOffer(offerId: string): Promise<Offer> {
      const offer = await store.getOffer(offerId);
      if (!offer) throw new MingjianError('NOT_FOUND', `offer '${offerId}' not found`);
      return offer;
    },

    async acceptOffer(actor: Actor, offerId: string, input: { date?: string } = {}): Promise<LoanView> {
      const offer = await store.getOffer(offerId);
      if (!offer) throw new MingjianError('NOT_FOUND', `offer '${offerId}' not found`);
      const sibling = await store.acceptedSibling(offerId);
      if (sibling) throw new MingjianError('CONFLICT', `offer ${sibling} on the same decision was already accepted: a decision's credit line is drawn once`);
      const product = productFor(offer.productId);
      const account = acceptOffer(offer, deps.newId('loan'), dayOf(input.date), product.servicing);
      await store.commit({
        account, expectedVersion: null, newTransactions: account.transactions, offer,
        audit: [{ actorUserId: actor.userId, actorKeyId: actor.keyId ?? null, action: 'loan.book', objectId: account.loanId, after: { offerId, amount: offer.amount, termMonths: offer.termMonths, apr: offer.apr } }],
      });
      return view(account);
    },

    async getLoan(loanId: string): Promise<LoanView> {
      return view((await load(loanId)).account);
    },

    /** Loans newest first, filtered by state, funder and DPD bucket, a page at a time. */
    async listLoans(filter: LoanListFilter): Promise<{ items: LoanSummary[]; nextCursor: string | null }> {
      if (filter.bucket !== undefined && !BUCKETS.includes(filter.bucket)) {
        throw new MingjianError('VALIDATION', `unknown DPD bucket '${filter.bucket}'`, [{ path: 'bucket', message: 'not a DPD bucket', expected: BUCKETS.join(' | ') }]);
      }
      const q: LoanListQuery = {
        // One more than asked: whether it comes back says if there is a next page.
        limit: filter.limit + 1,
        ...(filter.state !== undefined ? { state: filter.state } : {}),
        ...(filter.funderId !== undefined ? { funderId: filter.funderId } : {}),
        ...(filter.bucket !== undefined ? dpdRangeOf(filter.bucket) : {}),
        ...(filter.cursor !== undefined ? { beforeId: filter.cursor } : {}),
      };
      const rows = await store.listAccounts(q);
      const page = rows.slice(0, filter.limit);
      return {
        items: page.map(({ account: a, updatedAt }) => {
          // loanStatus reads balances only; the listed document carries no transactions.
          const s = loanStatus({ ...a, transactions: [] });
          return { loanId: a.loanId, state: a.state, dpd: a.dpd, bucket: s.bucket, funderId: a.funderId, principalOutstanding: s.principalOutstanding, currency: a.currency, updatedAt };
        }),
        nextCursor: rows.length > filter.limit ? page[page.length - 1]!.account.loanId : null,
      };
    },

    async payoffQuote(loanId: string, date?: string) {
      const { account } = await load(loanId);
      if (!['disbursed', 'current', 'delinquent'].includes(account.state)) throw new MingjianError('CONFLICT', `loan '${loanId}' is ${account.state}`);
      const day = dayOf(date);
      if (account.lastRunDay !== null && day < account.lastRunDay) throw new MingjianError('VALIDATION', 'date is before the last servicing run', [{ path: 'date', message: 'before the last run day' }]);
      return { date: formatDay(day), ...payoffQuote(account, day) };
    },

    async listTransactions(loanId: string): Promise<(LedgerTransaction & { date: string })[]> {
      return (await load(loanId)).account.transactions.map((t) => ({ ...t, date: formatDay(t.day) }));
    },

    async route(actor: Actor, loanId: string, funderId: string, date?: string): Promise<LoanView> {
      return view(await mutate(actor, loanId, 'loan.route', (acc) => { routeLoan(acc, funderId, dayOf(date)); return { result: acc, audit: { funderId } }; }));
    },

    async disburse(actor: Actor, loanId: string, date?: string): Promise<LoanView> {
      return view(await mutate(actor, loanId, 'loan.disburse', (acc) => { disburseLoan(acc, dayOf(date)); return { result: acc, audit: { principal: acc.principal } }; }));
    },

    async repay(actor: Actor, loanId: string, amount: number, date?: string) {
      return mutate(actor, loanId, 'loan.repay', (acc) => {
        const out = repay(acc, amount, dayOf(date));
        return { result: { transactions: out.posted.map((t) => t.txId), loan: acc }, out };
      }).then(async (r) => ({ transactions: r.transactions, loan: await view(r.loan) }));
    },

    async autoDeduct(actor: Actor, loanId: string, amount: number, date?: string) {
      return mutate(actor, loanId, 'loan.auto-deduct', (acc) => {
        const out = autoDeduct(acc, amount, dayOf(date));
        return { result: { transactions: out.posted.map((t) => t.txId), loan: acc }, out };
      }).then(async (r) => ({ transactions: r.transactions, loan: await view(r.loan) }));
    },

    async prepay(actor: Actor, loanId: string, amount: number, date?: string) {
      return mutate(actor, loanId, 'loan.prepay', (acc) => {
        const out = prepay(acc, amount, dayOf(date));
        return { result: { transactions: out.posted.map((t) => t.txId), loan: acc }, out };
      }).then(async (r) => ({ transactions: r.transactions, loan: await view(r.loan) }));
    },

    async reverse(actor: Actor, loanId: string, txId: string, reason: string, date?: string) {
      return mutate(actor, loanId, 'loan.reverse', (acc) => {
        const out = reverseTransaction(acc, txId, dayOf(date), actor.userId, reason);
        return { result: { transactions: out.posted.map((t) => t.txId), loan: acc }, out, audit: { txId, reason } };
      }).then(async (r) => ({ transactions: r.transactions, loan: await view(r.loan) }));
    },

    async requestRelief(actor: Actor, loanId: string, input: { kind: ReliefKind; params: Record<string, number>; reason: string; date?: string }) {
      return mutate(actor, loanId, 'loan.relief-request', (acc) => {
        const req = requestRelief(acc, { requestId: deps.newId('relief'), kind: input.kind, requestedBy: actor.userId, reason: input.reason, params: input.params }, dayOf(input.date));
        return { result: req, audit: { requestId: req.requestId, kind: req.kind, params: req.params, reason: req.reason } };
      });
    },

    async decideRelief(actor: Actor, loanId: string, requestId: string, decision: 'approve' | 'reject', input: { reason?: string; date?: string } = {}) {
      return mutate(actor, loanId, `loan.relief-${decision}`, (acc) => {
        if (decision === 'reject') {
          const req = rejectRelief(acc, requestId, actor.userId, dayOf(input.date), input.reason ?? '');
          return { result: { request: req, loan: acc }, audit: { requestId, reason: input.reason ?? '' } };
        }
        const out = approveRelief(acc, requestId, actor.userId, dayOf(input.date));
        const req = acc.reliefRequests.find((r) => r.requestId === requestId)!;
        return { result: { request: req, loan: acc }, out, audit: { requestId, kind: req.kind, params: req.params, txId: req.txId } };
      }).then(async (r) => ({ request: r.request, loan: await view(r.loan) }));
    },

    /**
     * The nightly run through the service: every serviced loan, one at a time, each committed on its own.
     * `debits` gives what each borrower's linked account holds for the automatic deduction (none when absent).
     */
    async runNightly(date?: string, debits: Record<string, number> = {}): Promise<NightlyRunSummary> {
      const day = dayOf(date);
      const ids = await store.listServicedLoanIds();
      const rules = await currentRules();
      const behaviourFlow = await currentBehaviourFlow();
      const buckets = Object.fromEntries(BUCKETS.map((b) => [b, 0])) as Record<DelinquencyBucket, number>;
      let processed = 0, skipped = 0, chargeOffs = 0, casesOpened = 0;
      for (const loanId of ids) {
        // A payment committed meanwhile makes the write stale: read the loan again and redo its day.
        for (let attempt = 1; ; attempt++) {
          const { account, version } = await load(loanId);
          if (account.lastRunDay !== null && account.lastRunDay >= day) {
            skipped++;
            break;
          }
          const before = account.transactions.length;
          const debit = debits[loanId];
          const out = runDay(account, day, debit === undefined ? {} : { debitAvailable: debit });
          const cases = out.events.length ? evaluateEarlyWarning(out.events, rules, warningContext(account, behaviourFlow, day)) : [];
          try {
            await store.commit({ account, expectedVersion: version, newTransactions: account.transactions.slice(before), cases });
          } catch (err) {
            if (err instanceof MingjianError && err.code === 'CONFLICT' && attempt < 3) continue;
            throw err;
          }
          processed++;
          casesOpened += cases.length;
          if (account.state === 'charged_off') chargeOffs++;
          else if (account.state === 'current' || account.state === 'delinquent') buckets[bucketOf(account.dpd)]++;
          break;
        }
      }
      return { date: formatDay(day), processed, skipped, buckets, chargeOffs, casesOpened };
    },
  };
}

export type LoanService = ReturnType<typeof createLoanService>;
