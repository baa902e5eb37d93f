// Start-up seed: the example watchlists and demo portfolio (below), and every flow file in the seed folder becomes a system-approved, active version (see docs/service.md:
// it bypasses maker-checker because the files ship with the release, and every seed is in the audit log).
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { MingjianError, formatDetail } from '../kernel/errors.ts';
import type { FraudService } from '../fraud/fraud-service.ts';
import { demoPortfolio } from './demo-portfolio.ts';
import { SYSTEM_USER, type Caller } from './services/access.ts';
import type { FlowRegistry } from './services/flow-registry.ts';
import type { GovernanceService } from './services/governance.ts';
import type { Services } from './services/index.ts';

export interface SeedReport {
  loaded: { file: string; flow: string; version: string; created: boolean }[];
  failed: { file: string; message: string }[];
}

export async function seedFlows(governance: GovernanceService, dir: string): Promise<SeedReport> {
  const report: SeedReport = { loaded: [], failed: [] };
  if (!dir) return report;
  const folder = resolve(dir);
  if (!existsSync(folder)) return report;
  let pending = readdirSync(folder)
    .filter((f) => /\.(ya?ml|json)$/i.test(f))
    .sort()
    .map((f) => join(folder, f));
  // Flows may call each other as sub-flows: retry the failures while each pass loads something new.
  for (;;) {
    const failed: { file: string; message: string }[] = [];
    for (const file of pending) {
      try {
        const { version, created } = await governance.seed('flow', readFileSync(file, 'utf8'), file);
        report.loaded.push({ file, flow: version.objectId, version: version.version, created });
      } catch (err) {
        const message = err instanceof MingjianError ? [err.message, ...(err.details ?? []).filter((d) => d.severity !== 'warning').slice(0, 10).map(formatDetail)].join('\n  ') : (err as Error).message;
        failed.push({ file, message });
      }
    }
    if (failed.length === 0 || failed.length === pending.length) {
      report.failed = failed;
      return report;
    }
    pending = failed.map((f) => f.file);
  }
}

// ---------------------------------------------------------------------------------------------------- watchlists

/** Identifier kind of a watchlist by its name (`fraud-devices` -> device); flows name lists, not kinds. */
const LIST_KINDS: [RegExp, string][] = [
  [/device/i, 'device'], [/phone/i, 'phone'], [/card/i, 'bankCard'], [/e-?mail/i, 'email'], [/\bips?\b|-ips?$/i, 'ip'],
  [/address/i, 'address'], [/employer/i, 'employer'], [/\bids?\b|-ids?$|id-?numbers?/i, 'idNumber'],
];

/**
 * Creates, empty, the watchlists the seeded flows call in `inWatchlist()` and that do not exist yet, so that
 * confirming a case can add identifiers to them. Lists whose kind the name does not tell are left to an investigator.
 */
export async function seedWatchlists(fraud: FraudService, flows: FlowRegistry, loaded: SeedReport['loaded']): Promise<string[]> {
  const existing = new Set(fraud.listWatchlists().map((l) => l.name));
  const created: string[] = [];
  for (const s of loaded) {
    const entry = await flows.resolve(s.flow, s.version).catch(() => undefined);
    for (const name of entry?.compiled.dependencies.watchlists ?? []) {
      const kind = LIST_KINDS.find(([re]) => re.test(name))?.[1];
      if (!kind || existing.has(name)) continue;
      await fraud.createWatchlist({ userId: SYSTEM_USER }, { name, kind, description: `Created at start for flow ${s.flow} (inWatchlist('${name}', ...))` });
      existing.add(name);
      created.push(name);
    }
  }
  return created;
}

// ---------------------------------------------------------------------------------------------------- demo data

export interface DemoSummary {
  decisions: number;
  days: number;
  approved: number;
  declined: number;
  review: number;
  rings: number;
  cases: number;
  millis: number;
}

/**
 * On an empty database with the consumer-loan flow active: decides the demo portfolio through the real decision
 * service (velocity, simulated bureau, identity graph, cases) at its simulated times, then runs ring detection once.
 * Returns undefined when it did nothing.
 */
export async function seedDemoPortfolio(services: Services, options: { endMs?: number; days?: number } = {}): Promise<DemoSummary | undefined> {
  const { store, decisions, fraud } = services;
  if (!fraud || !services.variables) return undefined;
  const any = await store.db.selectFrom('decisions').select('id').limit(1).executeTakeFirst();
  if (any) return undefined;
  if (!(await services.flows.resolve('consumer-loan').then(() => true, () => false))) return undefined;
  const started = performance.now();
  const days = options.days ?? 14;
  // Whole hours, so that restarts within the hour would produce the same portfolio.
  const endMs = Math.floor((options.endMs ?? Date.now()) / 3_600_000) * 3_600_000;
  const apps = demoPortfolio(endMs, { days });
  const system: Caller = { userId: SYSTEM_USER, userName: SYSTEM_USER, keyId: 'system', roles: ['admin'], rateLimitPerMinute: null };
  const counts = { APPROVE: 0, DECLINE: 0, REVIEW: 0 };
  // One at a time, in time order: each application's velocity and graph variables see exactly the earlier ones.
  for (const a of apps) {
    const view = await decisions.decide(system, { flow: 'consumer-loan', application: a.application, idempotencyKey: `demo:${String(a.application.applicationId)}`, at: new Date(a.at).toISOString() });
    counts[view.decision]++;
  }
  // Graph rows and review cases are written behind the answers: let them land before detecting rings.
  await decisions.drain();
  const detection = await fraud.detect({ userId: SYSTEM_USER });
  const open = await fraud.queue({ limit: 1000 });
  return {
    decisions: apps.length,
    days,
    approved: counts.APPROVE,
    declined: counts.DECLINE,
    review: counts.REVIEW,
    rings: detection.rings.length,
    cases: open.length,
    millis: Math.round(performance.now() - started),
  };
}
