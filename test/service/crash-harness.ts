// Shared by crash-sqlite.test.ts and crash-postgres.test.ts (one file per store keeps each file short).
// Kill the server with SIGKILL while decisions are in flight; after a restart every decision that was answered 200
// must be stored complete, and a retry with its idempotency key must return the recorded answer.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { ADMIN_KEY, dropSchema, FIXTURE_FLOWS, goodApplication, MASTER_KEY, PG_URL, type Dialect } from './helpers.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.listen(0, '127.0.0.1', () => {
      const address = srv.address();
      srv.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

async function startChild(env: Record<string, string>): Promise<{ child: ChildProcess; url: string }> {
  const port = await freePort();
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], { cwd: root, env: { ...process.env, ...env, PORT: String(port), HOST: '127.0.0.1' }, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (d) => (stderr += String(d)));
  const url = `http://127.0.0.1:${port}`;
  // A cold start compiles the TypeScript sources; on a loaded CI machine that alone can take well over ten seconds.
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`server exited: ${stderr}`);
    try {
      if ((await fetch(`${url}/readyz`)).status === 200) return { child, url };
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  child.kill('SIGKILL');
  throw new Error(`server did not become ready: ${stderr}`);
}

const post = (url: string, key: string, application: unknown) =>
  fetch(`${url}/v1/decisions`, { method: 'POST', headers: { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/json', 'idempotency-key': key }, body: JSON.stringify({ flow: 'small-loan', application }) });

export function crashSuite(dialect: Dialect): void {
  describe(`crash safety on ${dialect}`, () => {
    const dir = mkdtempSync(join(tmpdir(), 'mingjian-crash-'));
    const schema = `t_crash_${process.pid}_${Math.random().toString(36).slice(2, 8)}`;
    const databaseUrl = dialect === 'sqlite' ? `sqlite:${join(dir, 'mingjian.db')}` : `${PG_URL}?schema=${schema}`;
    const env = { DATABASE_URL: databaseUrl, MINGJIAN_ADMIN_KEY: ADMIN_KEY, MINGJIAN_MASTER_KEY: MASTER_KEY, MINGJIAN_SEED_FLOWS: FIXTURE_FLOWS, MINGJIAN_DATA_DIR: dir, LOG_LEVEL: 'warn' };
    const children: ChildProcess[] = [];

    afterAll(async () => {
      for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
      if (dialect === 'postgres') await dropSchema(schema);
      rmSync(dir, { recursive: true, force: true });
    });

    it('keeps every answered decision across SIGKILL', async () => {
      const first = await startChild(env);
      children.push(first.child);
      const answered = new Map<string, { body: any; application: unknown }>();
      const unanswered: { key: string; application: unknown }[] = [];
      let n = 0;
      let killed = false;
      const worker = async (w: number) => {
        while (!killed) {
          const key = `crash-${w}-${n++}`;
          const application = goodApplication({ applicantId: key, age: 16 + (n % 40), requestedAmount: (n % 30) * 1000 });
          try {
            const res = await post(first.url, key, application);
            const body = await res.json();
            if (res.status === 200) answered.set(key, { body, application });
            else {
              unanswered.push({ key, application });
            }
          } catch {
            unanswered.push({ key, application });
          }
        }
      };
      const workers = Array.from({ length: 16 }, (_, w) => worker(w));
      // Kill midway: once a good number of decisions were answered (or after a while on a very busy machine).
      const deadline = Date.now() + 10_000;
      while (answered.size < 120 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
      first.child.kill('SIGKILL');
      killed = true;
      await Promise.all(workers);
      await exited(first.child);
      expect(answered.size).toBeGreaterThanOrEqual(20);

      const second = await startChild(env);
      children.push(second.child);
      const headers = { authorization: `Bearer ${ADMIN_KEY}` };
      const verify = async ([key, { body, application }]: [string, { body: any; application: unknown }]) => {
        const stored = (await (await fetch(`${second.url}/v1/decisions/${body.id}?unmask=true`, { headers })).json()) as any;
        expect(stored).toMatchObject({ id: body.id, decision: body.decision, reasons: body.reasons, creditLine: body.creditLine, outputs: body.outputs, idempotencyKey: key });
        expect(stored.application).toEqual(application);
        expect(stored.trace.steps.length).toBeGreaterThan(0);
        expect(stored.variables).toHaveProperty('ratio');
        const retry = await post(second.url, key, application);
        expect(retry.status).toBe(200);
        expect(await retry.json()).toEqual(body);
      };
      const entries = [...answered];
      for (let i = 0; i < entries.length; i += 32) await Promise.all(entries.slice(i, i + 32).map(verify));
      // Requests cut off by the kill are safe to retry: each gets exactly one decision.
      for (const { key, application } of unanswered.slice(0, 20)) {
        const a = (await (await post(second.url, key, application)).json()) as { id: string };
        const b = (await (await post(second.url, key, application)).json()) as { id: string };
        expect(b.id).toBe(a.id);
      }
      const stopped = exited(second.child);
      second.child.kill('SIGTERM');
      await stopped;
      expect(second.child.exitCode).toBe(0);
    }, 180_000);
  });
}
