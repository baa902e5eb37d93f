// Online routing: a loan booked between batches goes at once to a funder, against what is left of the quotas.
// Among the funders that accept it and have room (ceiling, risk share, global ceiling), it picks the best margin
// net of the last batch's shadow price of each funder's quota, so a loan does not use up a quota the batch
// values more (and a funder still short of its floor, with a negative price, is preferred).
import { accepts, effectiveQuota, highRiskWithin, isHighRisk, type Funder, type RoutingLoan } from './model.ts';

/** Volumes already committed today, per funder id, and in total. */
export interface QuotaUsage {
  volume: Record<string, number>;
  highRiskVolume: Record<string, number>;
  total: number;
}

export interface OnlineContext {
  funders: Funder[];
  globalCeiling?: number;
  daysLeftInMonth?: number;
  /** Shadow price per unit of volume of each funder's quota (RouteResult.prices); absent means 0. */
  prices?: Record<string, number> | null;
}

export type OnlineDecision =
  | { routed: true; funderId: string; margin: number; usage: QuotaUsage }
  | { routed: false; reason: string; usage: QuotaUsage };

export function emptyUsage(): QuotaUsage {
  return { volume: {}, highRiskVolume: {}, total: 0 };
}

/** Routes one loan; returns the new usage (the input usage is not modified). */
export function routeOnline(ctx: OnlineContext, usage: QuotaUsage, loan: RoutingLoan): OnlineDecision {
  const hr = isHighRisk(loan.rating);
  const a = loan.amount;
  if (usage.total + a > (ctx.globalCeiling ?? Number.POSITIVE_INFINITY)) return { routed: false, reason: 'the global ceiling has no room for this loan', usage };
  let best: Funder | undefined;
  let bestScore = Number.NEGATIVE_INFINITY;
  let anyAccepts = false;
  for (const f of ctx.funders) {
    if (!accepts(f, loan)) continue;
    anyAccepts = true;
    if (loan.apr <= f.costOfFunds) continue;
    const { ceiling } = effectiveQuota(f, ctx.daysLeftInMonth);
    const vol = usage.volume[f.funderId] ?? 0;
    const hrVol = usage.highRiskVolume[f.funderId] ?? 0;
    if (vol + a > ceiling) continue;
    if (hr && !highRiskWithin(hrVol + a, vol + a, f.maxHighRiskShare)) continue;
    const score = loan.apr - f.costOfFunds - (ctx.prices?.[f.funderId] ?? 0);
    if (score > bestScore) {
      bestScore = score;
      best = f;
    }
  }
  if (!best) {
    return { routed: false, reason: anyAccepts ? 'no accepting funder has room or a positive margin' : 'no funder accepts this loan', usage };
  }
  const id = best.funderId;
  const next: QuotaUsage = {
    volume: { ...usage.volume, [id]: (usage.volume[id] ?? 0) + a },
    highRiskVolume: hr ? { ...usage.highRiskVolume, [id]: (usage.highRiskVolume[id] ?? 0) + a } : usage.highRiskVolume,
    total: usage.total + a,
  };
  return { routed: true, funderId: id, margin: a * (loan.apr - best.costOfFunds), usage: next };
}

/** The usage a batch result leaves, to route later loans against. */
export function usageFromBatch(funders: { funderId: string; volume: number; highRiskVolume: number }[]): QuotaUsage {
  const u = emptyUsage();
  for (const f of funders) {
    u.volume[f.funderId] = f.volume;
    u.highRiskVolume[f.funderId] = f.highRiskVolume;
    u.total += f.volume;
  }
  return u;
}
