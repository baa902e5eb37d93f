import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { Kysely, sql } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { DurableSqliteDialect } from './sqlite-driver.ts';

interface Db {
  t: { id: number; v: string };
}

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** A database on a real file whose fsyncs are recorded and can be held back, to observe the ordering. */
async function open() {
  const dir = mkdtempSync(join(tmpdir(), 'mingjian-driver-'));
  dirs.push(dir);
  const path = join(dir, 'db.sqlite');
  const database = new BetterSqlite3(path);
  database.pragma('journal_mode = WAL');
  database.pragma('synchronous = NORMAL');
  const events: string[] = [];
  let hold: Promise<void> = Promise.resolve();
  const fsyncs = { started: 0, done: 0 };
  const db = new Kysely<Db>({
    dialect: new DurableSqliteDialect(database, {
      path,
      fsync: (fd, done) => {
        fsyncs.started++;
        events.push('fsync started');
        void hold.then(() => {
          fsyncs.done++;
          events.push('fsync done');
          done(null);
        });
      },
    }),
  });
  await sql`create table t (id integer primary key, v text not null)`.execute(db);
  events.length = 0;
  return {
    db,
    events,
    fsyncs,
    holdFsyncs() {
      let release!: () => void;
      hold = new Promise((r) => (release = r));
      return release;
    },
  };
}

describe('durable SQLite driver', () => {
  it('resolves a write only after an fsync that started after it', async () => {
    const { db, events } = await open();
    await db.insertInto('t').values({ id: 1, v: 'a' }).execute();
    events.push('insert resolved');
    await db.transaction().execute(async (trx) => {
      await trx.insertInto('t').values({ id: 2, v: 'b' }).execute();
      events.push('in transaction');
    });
    events.push('commit resolved');
    expect(events).toEqual(['fsync started', 'fsync done', 'insert resolved', 'in transaction', 'fsync started', 'fsync done', 'commit resolved']);
    await db.destroy();
  });

  it('does not fsync for reads or rolled-back transactions', async () => {
    const { db, fsyncs } = await open();
    await db.insertInto('t').values({ id: 1, v: 'a' }).execute();
    const before = fsyncs.started;
    await db.selectFrom('t').selectAll().execute();
    await expect(
      db.transaction().execute(async (trx) => {
        await trx.insertInto('t').values({ id: 2, v: 'b' }).execute();
        throw new Error('abandon');
      }),
    ).rejects.toThrow('abandon');
    expect(fsyncs.started).toBe(before);
    expect(await db.selectFrom('t').select('id').execute()).toEqual([{ id: 1 }]);
    await db.destroy();
  });

  it('shares fsyncs between concurrent writers, and one arriving during an fsync waits for the next', async () => {
    const { db, fsyncs, holdFsyncs } = await open();
    await db.insertInto('t').values({ id: 0, v: 'x' }).execute(); // opens the log (and syncs its directory once)
    const base = fsyncs.started;
    const release = holdFsyncs();
    const first = db.insertInto('t').values({ id: 1, v: 'a' }).execute();
    await new Promise((r) => setImmediate(r));
    expect(fsyncs.started).toBe(base + 1);
    // Fifty writers while that fsync is held: it may have started before their rows, so none may resolve with it.
    let resolved = 0;
    const later = Array.from({ length: 50 }, (_, i) => db.insertInto('t').values({ id: 10 + i, v: 'b' }).execute().then(() => resolved++));
    await new Promise((r) => setImmediate(r));
    expect(fsyncs.started).toBe(base + 1);
    release();
    await first;
    await Promise.all(later);
    expect(resolved).toBe(50);
    expect(fsyncs.started).toBe(base + 2); // the fifty shared one more fsync
    await db.destroy();
  });

  it('keeps the connection free while the disk works: reads are answered during a held fsync', async () => {
    const { db, holdFsyncs } = await open();
    await db.insertInto('t').values({ id: 0, v: 'x' }).execute();
    const release = holdFsyncs();
    let written = false;
    const write = db.insertInto('t').values({ id: 1, v: 'a' }).execute().then(() => (written = true));
    const rows = await db.selectFrom('t').select('id').orderBy('id').execute();
    expect(rows).toEqual([{ id: 0 }, { id: 1 }]); // committed, visible, not yet acknowledged
    expect(written).toBe(false);
    release();
    await write;
    await db.destroy();
  });

  it('lets nothing interleave with an open transaction on the single connection', async () => {
    const { db } = await open();
    let readDuring: number | null = null;
    let inside!: () => void;
    const entered = new Promise<void>((r) => (inside = r));
    let finish!: () => void;
    const gate = new Promise<void>((r) => (finish = r));
    const tx = db.transaction().execute(async (trx) => {
      await trx.insertInto('t').values({ id: 1, v: 'uncommitted' }).execute();
      inside();
      await gate;
    });
    await entered;
    const read = db.selectFrom('t').select('id').execute().then((rows) => (readDuring = rows.length));
    await new Promise((r) => setTimeout(r, 20));
    expect(readDuring).toBeNull(); // waiting for the transaction, not reading its uncommitted row
    finish();
    await tx;
    await read;
    expect(readDuring).toBe(1);
    await db.destroy();
  });
});
