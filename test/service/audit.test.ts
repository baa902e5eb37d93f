import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS, PG_URL, runSql, startTestServer, type TestServer } from './helpers.ts';

const run = promisify(execFile);

async function cliVerify(t: TestServer): Promise<{ code: number; out: string }> {
  const url = t.dialect === 'sqlite' ? `sqlite:${t.where}` : `${PG_URL}?schema=${t.where}`;
  try {
    const { stdout } = await run('./bin/mingjian', ['audit', 'verify', '--database', url], { cwd: new URL('../..', import.meta.url).pathname });
    return { code: 0, out: stdout };
  } catch (err) {
    const e = err as { code: number; stdout: string };
    return { code: e.code, out: e.stdout };
  }
}

describe.each(DIALECTS)('audit chain on %s', (dialect) => {
  let t: TestServer;

  beforeAll(async () => {
    t = await startTestServer(dialect, 'audit');
    for (const name of ['u1', 'u2', 'u3']) await t.keyFor(name, ['analyst']);
  });
  afterAll(async () => t?.close());

  it('is intact after changes, readable by auditors, and verifies from the CLI', async () => {
    const verify = await t.request('GET', '/v1/audit/verify');
    expect(verify.body.ok).toBe(true);
    expect(verify.body.entries).toBeGreaterThanOrEqual(8);
    const page = await t.request('GET', '/v1/audit?limit=3');
    expect(page.body.items.map((e: { seq: number }) => e.seq)).toEqual([1, 2, 3]);
    expect(page.body.items[1].prevHash).toBe(page.body.items[0].hash);
    const next = await t.request('GET', `/v1/audit?limit=3&after=${page.body.nextAfter}`);
    expect(next.body.items[0].seq).toBe(4);
    if (dialect === 'sqlite') {
      // The CLI path is the same on both stores; one intact run keeps the file fast (the tamper case runs on both).
      const cli = await cliVerify(t);
      expect(cli.code).toBe(0);
      expect(cli.out).toMatch(/intact/);
    }
  });

  it('reports the first modified entry, a removed entry, and a cut-off tail', async () => {
    // Someone with database access turns an analyst into an admin in the record of the user's creation.
    const entries = (await t.request('GET', '/v1/audit?action=user.create&limit=1000')).body.items as { seq: number; after: { roles: string[] } }[];
    const target = entries.find((e) => e.after.roles.includes('analyst'))!.seq;
    await runSql(t, [`update audit_log set after = replace(after, '"analyst"', '"admin"') where seq = ${target}`]);
    let res = (await t.request('GET', '/v1/audit/verify')).body;
    expect(res).toMatchObject({ ok: false, firstBad: { seq: target, reason: expect.stringMatching(/modified/) } });
    const cli = await cliVerify(t);
    expect(cli.code).toBe(1);
    expect(cli.out).toContain(`TAMPERED at entry ${target}`);

    await runSql(t, [`update audit_log set after = replace(after, '"admin"', '"analyst"') where seq = ${target}`]);
    expect((await t.request('GET', '/v1/audit/verify')).body.ok).toBe(true);

    await runSql(t, [`delete from audit_log where seq = 3`]);
    res = (await t.request('GET', '/v1/audit/verify')).body;
    expect(res).toMatchObject({ ok: false, firstBad: { seq: 3, reason: expect.stringMatching(/missing/) } });
  });

  it('catches entries removed from the end', async () => {
    const t2 = await startTestServer(dialect, 'audit-tail');
    try {
      await t2.keyFor('x', ['analyst']);
      await runSql(t2, [`delete from audit_log where seq = (select max(seq) from audit_log)`]);
      const res = (await t2.request('GET', '/v1/audit/verify')).body;
      expect(res.ok).toBe(false);
      expect(res.firstBad.reason).toMatch(/removed from the end/);
    } finally {
      await t2.close();
    }
  });
});
