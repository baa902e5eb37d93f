// Funding in the service: the funder panel (seeded with the 71 demo funders on first start), batch routing of the
// day's booked loans with routeBatch (LP/MIP, solved on a worker thread), and online routing of one loan against what
// is left of the quotas. Assignments go through the loan service (ledger transaction, state change, its audit); usage
// per funder and day is kept in funder_usage, which online routing reserves atomically so two processes cannot
// overfill a quota.
import { MingjianError } from '../../kernel/errors.ts';
import { newId } from '../../kernel/ids.ts';
import { formatDay, parseDay } from '../../loans/dates.ts';
import type { LoanService } from '../../loans/loan-service.ts';
import { DEFAULT_PRODUCTS, type PricedProduct } from '../../loans/products.ts';
import {
  accepts, demoFunders, effectiveQuota, isHighRisk, RATINGS, routeBatchInWorker, routeOnline,
  type Funder, type Rating, type RoutingLoan, type RoutingMethod,
} from '../../routing/index.ts';
import { appendAudit } from '../../store/audit-store.ts';
import type { Store } from '../../store/database.ts';
import * as fs from '../../store/funding-store.ts';
import type { Caller } from './access.ts';

/** Region of a loan whose application declared none: only funders lending nationwide (`*`) accept it. */
export const UNKNOWN_REGION = 'unknown';
/** The demo panel's quotas are sized for a day of this many loans. */
const DEMO_BATCH_LOANS = 2000;
const DEMO_SEED = 42;

type AuditTrx = Parameters<typeof appendAudit>[0];

export interface BatchOptions {
  date?: string;
  method?: RoutingMethod;
  timeLimit?: number;
  globalCeiling?: number;
}

export interface FundingService {
  seedIfEmpty(): Promise<number>;
  listFunders(): Promise<Funder[]>;
  usage(date?: string): Promise<fs.DayUsage & { day: string }>;
  routeBatch(actor: Caller, options: BatchOptions): Promise<Record<string, unknown>>;
  routeOne(actor: Caller, loanId: string, date?: string): Promise<{ funderId: string; margin: number; loan: unknown }>;
  /** An operator's own choice of funder (an override: quotas are not checked), counted in the day's usage. */
  routeByHand(actor: Caller, loanId: string, funderId: string, date?: string): Promise<unknown>;
}

/**
 * The routing rating of a loan (A best .. E): its decision's price band as the product rates it; without a band, the
 * band letter its APR was offered at; E when neither is known.
 */
export function ratingOf(apr: number, product: PricedProduct | undefined, priceBand: string | null = null): Rating {
  const rated = priceBand === null ? undefined : product?.ratingByPriceBand[priceBand];
  if (rated) return rated;
  for (const r of RATINGS) if (product?.aprByPriceBand[r] !== undefined && Math.abs(product.aprByPriceBand[r]! - apr) < 1e-9) return r;
  return 'E';
}

function monthStart(day: number): number {
  const d = new Date(day * 86_400_000);
  return Math.floor(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1) / 86_400_000);
}

function daysLeftInMonth(day: number): number {
  const d = new Date(day * 86_400_000);
  const next = Math.floor(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1) / 86_400_000);
  return next - day;
}

export function createFundingService(store: Pick<Store, 'db'>, deps: { loans: LoanService; products?: readonly PricedProduct[]; today?: () => number }): FundingService {
  const db = fs.fundingDb(store);
  const products = deps.products ?? DEFAULT_PRODUCTS;
  const today = deps.today ?? (() => Math.floor(Date.now() / 86_400_000));
  const dayOf = (date?: string) => (date === undefined ? today() : parseDay(date, 'date'));
  const audit = (trx: unknown) => trx as AuditTrx;

  function routingLoan(l: fs.BookedLoan): RoutingLoan {
    const product = products.find((p) => p.productId === l.productId);
    // Funders list product categories (cash, consumer, sme), not the service's product ids.
    return { loanId: l.loanId, amount: l.principal, rating: ratingOf(l.apr, product, l.priceBand), termMonths: l.termMonths, apr: l.apr, region: l.region ?? UNKNOWN_REGION, product: product?.fundingCategory ?? l.productId ?? 'unknown' };
  }

  /** Funders with the month's volume before `day` so monthly quotas cap today's. */
  async function fundersFor(day: number): Promise<Funder[]> {
    const funders = await fs.listFunders(db);
    if (!funders.some((f) => f.monthlyCeiling !== undefined || f.monthlyFloor !== undefined)) return funders;
    const mtd = await fs.volumeBetween(db, monthStart(day), day);
    return funders.map((f) => ({ ...f, monthToDateVolume: mtd[f.funderId] ?? 0 }));
  }

  return {
    async seedIfEmpty() {
      if ((await fs.countFunders(db)) > 0) return 0;
      const funders = demoFunders({ seed: DEMO_SEED, batchLoans: DEMO_BATCH_LOANS });
      try {
        await db.transaction().execute(async (trx) => {
          await fs.insertFunders(trx, funders, new Date().toISOString());
          await appendAudit(audit(trx), { actorUserId: 'system', action: 'funder.seed', objectKind: 'funder', objectId: '*', after: { funders: funders.length, source: `demoFunders(seed ${DEMO_SEED}, ${DEMO_BATCH_LOANS} loans a day)` } });
        });
      } catch (err) {
        // Another process seeded at the same time.
        if ((await fs.countFunders(db)) > 0) return 0;
        throw err;
      }
      return funders.length;
    },

    listFunders: () => fs.listFunders(db),

    async usage(date) {
      const day = dayOf(date);
      return { day: formatDay(day), ...(await fs.usageOn(db, day)) };
    },

    async routeBatch(actor, options) {
      const day = dayOf(options.date);
      const booked = await fs.bookedLoansOn(db, day);
      const used = await fs.usageOn(db, day);
      // What online routing already committed today comes off each funder's quota.
      const funders = (await fundersFor(day)).map((f) => {
        const u = used.volume[f.funderId] ?? 0;
        const q = effectiveQuota(f, daysLeftInMonth(day));
        return { ...f, dailyCeiling: Math.max(0, q.ceiling - u), dailyFloor: Math.max(0, q.floor - u), monthlyCeiling: undefined, monthlyFloor: undefined } as Funder;
      });
      const loans = booked.map(routingLoan);
      const globalCeiling = options.globalCeiling === undefined ? undefined : Math.max(0, options.globalCeiling - used.total);
      // The solve (up to the time limit) runs on a worker thread timed by its own clock: decisions keep being answered.
      const result = await routeBatchInWorker(
        { loans, funders, ...(globalCeiling !== undefined ? { globalCeiling } : {}) },
        { method: options.method ?? 'auto', ...(options.timeLimit !== undefined ? { timeLimit: options.timeLimit } : {}) },
      );
      const routed: { loanId: string; funderId: string }[] = [];
      const skipped: { loanId: string; funderId: string; reason: string }[] = [];
      const perFunder = new Map<string, { volume: number; highRiskVolume: number; loans: number }>();
      const fullCeiling = new Map((await fundersFor(day)).map((f) => [f.funderId, effectiveQuota(f, daysLeftInMonth(day)).ceiling]));
      for (let i = 0; i < loans.length; i++) {
        const f = result.assign[i]!;
        if (f < 0) continue;
        const loan = loans[i]!;
        const funderId = funders[f]!.funderId;
        const change = { volume: loan.amount, highRiskVolume: isHighRisk(loan.rating) ? loan.amount : 0, loans: 1 };
        // Each assignment reserves its volume under the funder's ceiling first, so a concurrent batch or online route
        // (in any process) can never push a funder past its quota; a loan that no longer fits is skipped, said so.
        const reserved = await db.transaction().execute((trx) => fs.addUsage(trx, day, funderId, change, fullCeiling.get(funderId)));
        if (!reserved) {
          skipped.push({ loanId: loan.loanId, funderId, reason: `funder ${funderId}'s quota was taken meanwhile` });
          continue;
        }
        try {
          await deps.loans.route(actor, loan.loanId, funderId, formatDay(day));
        } catch (err) {
          await db.transaction().execute((trx) => fs.addUsage(trx, day, funderId, { volume: -change.volume, highRiskVolume: -change.highRiskVolume, loans: -1 }));
          // A loan routed or cancelled since it was read is left out, and said so.
          if (err instanceof MingjianError && (err.code === 'CONFLICT' || err.code === 'NOT_FOUND')) {
            skipped.push({ loanId: loan.loanId, funderId, reason: err.message });
            continue;
          }
          throw err;
        }
        routed.push({ loanId: loan.loanId, funderId });
        const u = perFunder.get(funderId) ?? { volume: 0, highRiskVolume: 0, loans: 0 };
        u.volume += change.volume;
        u.highRiskVolume += change.highRiskVolume;
        u.loans++;
        perFunder.set(funderId, u);
      }
      const runId = newId('route');
      const summary = {
        runId,
        day: formatDay(day),
        loans: loans.length,
        status: result.status,
        method: result.method,
        objective: result.objective,
        bound: result.bound,
        gap: result.gap,
        fundedVolume: result.fundedVolume,
        fundedLoans: result.fundedLoans,
        greedyObjective: result.greedyObjective,
        greedyFundedVolume: result.greedyFundedVolume,
        seconds: result.seconds,
        greedySeconds: result.greedySeconds,
        infeasibleFloors: result.infeasibleFloors,
        routed: routed.length,
        skipped,
        usage: Object.fromEntries(perFunder),
      };
      await db.transaction().execute(async (trx) => {
        await fs.insertRun(trx, { run_id: runId, day, summary: JSON.stringify(summary), prices: result.prices ? JSON.stringify(result.prices) : null, created_by: actor.userId, created_at: new Date().toISOString() });
        await appendAudit(audit(trx), { actorUserId: actor.userId, actorKeyId: actor.keyId, action: 'routing.batch', objectKind: 'routing_run', objectId: runId, after: { ...summary, assignments: routed } });
      });
      return { ...summary, assignments: routed };
    },

    async routeByHand(actor, loanId, funderId, date) {
      const day = dayOf(date);
      const funders = await fs.listFunders(db);
      const funder = funders.find((f) => f.funderId === funderId);
      if (!funder) throw new MingjianError('VALIDATION', `unknown funder '${funderId}'`, [{ path: 'funderId', message: 'not a funder of the panel (GET /v1/funders)' }]);
      const booked = await fs.bookedLoan(db, loanId);
      const view = await deps.loans.route(actor, loanId, funderId, formatDay(day));
      if (booked) {
        const loan = routingLoan(booked);
        await db.transaction().execute(async (trx) => {
          await fs.addUsage(trx, day, funderId, { volume: loan.amount, highRiskVolume: isHighRisk(loan.rating) ? loan.amount : 0, loans: 1 });
          await appendAudit(audit(trx), { actorUserId: actor.userId, actorKeyId: actor.keyId, action: 'routing.manual', objectKind: 'loan', objectId: loanId, after: { funderId, amount: loan.amount, rating: loan.rating, accepts: accepts(funder, loan), day: formatDay(day) } });
        });
      }
      return view;
    },

    async routeOne(actor, loanId, date) {
      const day = dayOf(date);
      const booked = await fs.bookedLoan(db, loanId);
      if (!booked) {
        await deps.loans.getLoan(loanId); // NOT_FOUND when there is no such loan
        throw new MingjianError('CONFLICT', `loan '${loanId}' is not waiting for a funder (only booked loans are routed)`);
      }
      const loan = routingLoan(booked);
      const funders = await fundersFor(day);
      const prices = await fs.latestPrices(db, day);
      // The reservation is conditional on the ceiling, so a concurrent route elsewhere makes it fail: re-read and retry.
      for (let attempt = 0; attempt < 3; attempt++) {
        const usage = await fs.usageOn(db, day);
        const decision = routeOnline({ funders, daysLeftInMonth: daysLeftInMonth(day), prices }, usage, loan);
        if (!decision.routed) throw new MingjianError('CONFLICT', `loan '${loanId}' cannot be routed now: ${decision.reason}`, [{ path: 'funderId', message: `${decision.reason}; give a funderId to assign it by hand` }]);
        const funder = funders.find((f) => f.funderId === decision.funderId)!;
        const change = { volume: loan.amount, highRiskVolume: isHighRisk(loan.rating) ? loan.amount : 0, loans: 1 };
        const reserved = await db.transaction().execute(async (trx) => {
          if (!(await fs.addUsage(trx, day, funder.funderId, change, effectiveQuota(funder, daysLeftInMonth(day)).ceiling))) return false;
          await appendAudit(audit(trx), { actorUserId: actor.userId, actorKeyId: actor.keyId, action: 'routing.online', objectKind: 'loan', objectId: loanId, after: { funderId: funder.funderId, margin: decision.margin, rating: loan.rating, amount: loan.amount, day: formatDay(day) } });
          return true;
        });
        if (!reserved) continue;
        try {
          const view = await deps.loans.route(actor, loanId, funder.funderId, formatDay(day));
          return { funderId: funder.funderId, margin: decision.margin, loan: view };
        } catch (err) {
          await db.transaction().execute(async (trx) => {
            await fs.addUsage(trx, day, funder.funderId, { volume: -change.volume, highRiskVolume: -change.highRiskVolume, loans: -1 });
            await appendAudit(audit(trx), { actorUserId: actor.userId, actorKeyId: actor.keyId, action: 'routing.online.release', objectKind: 'loan', objectId: loanId, after: { funderId: funder.funderId, reason: (err as Error).message } });
          });
          throw err;
        }
      }
      throw new MingjianError('CONFLICT', `loan '${loanId}': quotas changed during routing three times; retry`);
    },
  };
}
