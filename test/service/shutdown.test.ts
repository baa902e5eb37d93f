// A graceful shutdown answers every request it accepted: decisions waiting in the group-commit queue are committed,
// and a decision still waiting for its credit bureau finishes (enrich, evaluate, commit) before the service closes.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import BetterSqlite3 from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { simulatedCreditReport } from '../../src/variables/simulated-sources.ts';
import { ADMIN_KEY, startTestServer } from './helpers.ts';

const EXAMPLE_FLOWS = fileURLToPath(new URL('../../examples/flows', import.meta.url));
const EXAMPLE_VARIABLES = fileURLToPath(new URL('../../src/variables/examples/consumer-loan.variables.yaml', import.meta.url));
const sample = JSON.parse(readFileSync(new URL('../../examples/applications/consumer-loan.jsonl', import.meta.url), 'utf8').split('\n')[0]!) as Record<string, unknown>;
const { bureauScore: _s, bureauInquiries6m: _i, bureauDelinquencies12m: _d, ...base } = sample;

describe('graceful shutdown', () => {
  it('finishes in-flight decisions and commits them before closing', async () => {
    // The bureau answers the last applicant only after a while; until then the other decisions wait for it in the
    // commit queue (a batch waits for decisions on their way, up to the commit delay).
    let release!: () => void;
    const slow = new Promise<void>((r) => (release = r));
    const bureau = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        const input = JSON.parse(body) as { idNumber?: unknown };
        const answer = () => res.setHeader('content-type', 'application/json').end(JSON.stringify(simulatedCreditReport(input)));
        if (String(input.idNumber).startsWith('110101199001019')) void slow.then(answer);
        else answer();
      });
    });
    await new Promise<void>((r) => bureau.listen(0, '127.0.0.1', () => r()));
    const doc = parse(readFileSync(EXAMPLE_VARIABLES, 'utf8')) as { sources: unknown[] };
    doc.sources = [
      {
        name: 'creditBureau', method: 'POST', url: `http://127.0.0.1:${(bureau.address() as AddressInfo).port}/v1/report`, body: { idNumber: '{{input.idNumber}}' },
        response: { bureauStatus: 'status', bureauScore: 'score', bureauDelinquencies12m: 'delinquencies12m', bureauInquiries6m: 'inquiries6m', bureauOpenAccounts: 'openAccounts', bureauTotalDebtMinor: 'totalDebtMinor' },
        statusVariable: 'bureauReason', timeoutMs: 20_000,
      },
      { simulated: 'identityVerification' },
    ];
    const dir = mkdtempSync(join(tmpdir(), 'mingjian-shutdown-'));
    writeFileSync(join(dir, 'variables.yaml'), stringify(doc));
    const t = await startTestServer('sqlite', 'shutdown', { seedFlowsDir: EXAMPLE_FLOWS, demoData: false, variablesFile: join(dir, 'variables.yaml'), commitDelayMs: 1000, commitBatchMax: 1000 });
    try {
      const decide = (i: number) =>
        fetch(`${t.url}/v1/decisions`, {
          method: 'POST',
          headers: { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/json', 'idempotency-key': `shutdown-${i}` },
          body: JSON.stringify({ flow: 'consumer-loan', application: { ...base, applicationId: `S-${i}`, idNumber: `11010119900101${i === 9 ? 9 : 1}${String(i).padStart(2, '0')}1`, phone: `139000000${String(i).padStart(2, '0')}`, deviceId: `dev-shutdown-${i}` } }),
        }).then(async (r) => ({ status: r.status, body: (await r.json()) as { id: string } }));
      const pending = Array.from({ length: 10 }, (_, i) => decide(i));
      // Nine decided and waiting in the commit queue (for at most a second), the tenth waiting for the bureau: begin
      // the shutdown.
      const committed = () => {
        const db = new BetterSqlite3(t.where, { readonly: true });
        try {
          return (db.prepare('select count(*) as n from decisions').get() as { n: number }).n;
        } finally {
          db.close();
        }
      };
      while (t.server.services.decisions.pendingCommits + committed() < 9) await new Promise((r) => setTimeout(r, 2));
      const before = committed();
      const closing = t.server.close();
      await new Promise((r) => setTimeout(r, 100));
      release();
      const replies = await Promise.all(pending);
      await closing;
      expect(before).toBeLessThan(10);
      expect(replies.map((r) => r.status)).toEqual(Array(10).fill(200));
      const after = new BetterSqlite3(t.where, { readonly: true });
      const ids = (after.prepare('select id from decisions').all() as { id: string }[]).map((r) => r.id).sort();
      after.close();
      expect(ids).toEqual(replies.map((r) => r.body.id).sort());
    } finally {
      release();
      await t.close().catch(() => undefined);
      bureau.closeAllConnections();
      await new Promise<void>((r) => bureau.close(() => r()));
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
