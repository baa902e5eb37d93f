// Funding partners, per-day committed volume per funder, batch routing runs (tables from migration 0401_funding),
// and the read of booked loans waiting for a funder (loan tables from 0400_loans).
import { sql, type Kysely, type Transaction } from 'kysely';
import type { Funder } from '../routing/index.ts';
import type { Store } from './database.ts';
import type { LoanTables } from './loans-store.ts';
import type { ServiceDatabase } from './schema.ts';

export type FundingTables = {
  funders: { funder_id: string; document: string; created_at: string; updated_at: string };
  funder_usage: { day: number; funder_id: string; volume: number; high_risk_volume: number; loans: number };
  routing_runs: { run_id: string; day: number; summary: string; prices: string | null; created_by: string; created_at: string };
};

type Tables = ServiceDatabase & FundingTables & LoanTables;
export type FundingDb = Kysely<Tables>;

export interface DayUsage {
  volume: Record<string, number>;
  highRiskVolume: Record<string, number>;
  total: number;
}

export interface BookedLoan {
  loanId: string;
  principal: number;
  apr: number;
  termMonths: number;
  productId: string | null;
  /** The `region` (or `province`) the application declared as a plain string field, when it declared one. */
  region: string | null;
  /** The price band of the decision the loan was offered on. */
  priceBand: string | null;
  bookedDay: number;
}

export function fundingDb(store: Pick<Store, 'db'>): FundingDb {
  return store.db.withTables<FundingTables & LoanTables>() as unknown as FundingDb;
}

export async function listFunders(db: FundingDb): Promise<Funder[]> {
  const rows = await db.selectFrom('funders').select('document').orderBy('funder_id').execute();
  return rows.map((r) => JSON.parse(r.document) as Funder);
}

export async function countFunders(db: FundingDb): Promise<number> {
  const row = await db.selectFrom('funders').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
  return Number(row.n);
}

export async function insertFunders(trx: Transaction<Tables>, funders: Funder[], at: string): Promise<void> {
  for (const f of funders) {
    await trx.insertInto('funders').values({ funder_id: f.funderId, document: JSON.stringify(f), created_at: at, updated_at: at }).execute();
  }
}

export async function usageOn(db: FundingDb, day: number): Promise<DayUsage> {
  const rows = await db.selectFrom('funder_usage').selectAll().where('day', '=', day).execute();
  const usage: DayUsage = { volume: {}, highRiskVolume: {}, total: 0 };
  for (const r of rows) {
    usage.volume[r.funder_id] = Number(r.volume);
    usage.highRiskVolume[r.funder_id] = Number(r.high_risk_volume);
    usage.total += Number(r.volume);
  }
  return usage;
}

/** Volume funded per funder on the days [from, to) (month to date before a day). */
export async function volumeBetween(db: FundingDb, from: number, to: number): Promise<Record<string, number>> {
  const rows = await db.selectFrom('funder_usage').select(['funder_id', (eb) => eb.fn.sum<number>('volume').as('v')]).where('day', '>=', from).where('day', '<', to).groupBy('funder_id').execute();
  return Object.fromEntries(rows.map((r) => [r.funder_id, Number(r.v)]));
}

async function ensureUsageRow(trx: Transaction<Tables>, day: number, funderId: string): Promise<void> {
  await trx.insertInto('funder_usage').values({ day, funder_id: funderId, volume: 0, high_risk_volume: 0, loans: 0 }).onConflict((oc) => oc.columns(['day', 'funder_id']).doNothing()).execute();
}

/** Adds volume to a funder's day; with `ceiling`, only if the day's volume stays within it (false when it would not). */
export async function addUsage(trx: Transaction<Tables>, day: number, funderId: string, change: { volume: number; highRiskVolume: number; loans: number }, ceiling?: number): Promise<boolean> {
  await ensureUsageRow(trx, day, funderId);
  let q = trx.updateTable('funder_usage')
    .set({
      volume: sql`volume + ${change.volume}`,
      high_risk_volume: sql`high_risk_volume + ${change.highRiskVolume}`,
      loans: sql`loans + ${change.loans}`,
    })
    .where('day', '=', day)
    .where('funder_id', '=', funderId);
  if (ceiling !== undefined) q = q.where(sql<boolean>`volume + ${change.volume} <= ${ceiling}`);
  const res = await q.executeTakeFirst();
  return Number(res.numUpdatedRows) === 1;
}

export async function insertRun(trx: Transaction<Tables>, run: FundingTables['routing_runs']): Promise<void> {
  await trx.insertInto('routing_runs').values(run).execute();
}

/** Shadow prices of the day's latest batch run, for online routing until the next batch. */
export async function latestPrices(db: FundingDb, day: number): Promise<Record<string, number> | null> {
  const row = await db.selectFrom('routing_runs').select('prices').where('day', '=', day).orderBy('created_at', 'desc').limit(1).executeTakeFirst();
  return row?.prices ? (JSON.parse(row.prices) as Record<string, number>) : null;
}

function bookedLoanOf(r: { loan_id: string; document: string; product: string | null; application: string | null; decision_result: string | null; booked_day: number | null }): BookedLoan {
  const acc = JSON.parse(r.document) as { principal: number; apr: number; termMonths: number };
  const productId = r.product ? (JSON.parse(r.product) as { productId?: string }).productId ?? null : null;
  // Sealed personal fields are objects, so only a plain text region is taken.
  const application = r.application ? (JSON.parse(r.application) as { region?: unknown; province?: unknown }) : {};
  const declared = [application.region, application.province].find((v) => typeof v === 'string' && v.length > 0) as string | undefined;
  const band = r.decision_result ? (JSON.parse(r.decision_result) as { priceBand?: unknown }).priceBand : undefined;
  return {
    loanId: r.loan_id, principal: acc.principal, apr: acc.apr, termMonths: acc.termMonths, productId, region: declared ?? null,
    priceBand: typeof band === 'string' ? band : null, bookedDay: Number(r.booked_day),
  };
}

function bookedQuery(db: FundingDb) {
  return db.selectFrom('loan_accounts as a')
    .leftJoin('loan_offers as o', 'o.loan_id', 'a.loan_id')
    .leftJoin('decisions as d', 'd.id', 'o.decision_id')
    .select(['a.loan_id', 'a.document', 'o.document as product', 'd.input as application', 'd.result as decision_result'])
    .select((eb) => eb.selectFrom('loan_transactions as t').whereRef('t.loan_id', '=', 'a.loan_id').select((e) => e.fn.min<number>('t.day').as('d')).as('booked_day'))
    .where('a.state', '=', 'booked');
}

/** Loans still booked (no funder) on `day`: booked that day or before and not routed since, in booking order. */
export async function bookedLoansOn(db: FundingDb, day: number): Promise<BookedLoan[]> {
  const rows = await bookedQuery(db).orderBy('a.loan_id').execute();
  return rows.map(bookedLoanOf).filter((l) => l.bookedDay <= day);
}

export async function bookedLoan(db: FundingDb, loanId: string): Promise<BookedLoan | undefined> {
  const row = await bookedQuery(db).where('a.loan_id', '=', loanId).executeTakeFirst();
  return row ? bookedLoanOf(row) : undefined;
}
