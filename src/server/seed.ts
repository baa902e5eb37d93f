// Start-up seed: every flow file in the seed folder becomes a system-approved, active version (see docs/service.md:
// it bypasses maker-checker because the files ship with the release, and every seed is in the audit log).
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { MingjianError, formatDetail } from '../kernel/errors.ts';
import type { GovernanceService } from './services/governance.ts';

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
