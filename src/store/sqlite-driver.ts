// Kysely's SQLite dialect with a driver of our own over better-sqlite3, for two reasons.
//
// Durability off the event loop. With `synchronous = FULL` SQLite fsyncs the write-ahead log inside every COMMIT, and
// better-sqlite3 is synchronous, so each commit stopped the whole service for the fsync (0.4-1 ms here, about a tenth
// of the decision path's time under load). The connection runs with `synchronous = NORMAL` instead (a commit writes
// its WAL frames without an fsync) and this driver fsyncs the WAL file itself, on libuv's thread pool, before the
// write resolves. A write is therefore exactly as durable when its promise resolves as under FULL (its frames,
// commit frame included, are on disk; recovery replays them), and the main thread keeps deciding while the disk
// works. Concurrent writers share fsyncs: one that arrives while an fsync runs waits for the next, which covers it.
//
// The single connection is held only while SQL runs. Kysely's own driver holds its connection mutex until a query's
// promise resolves; here that would hold it through the fsync and stall every reader behind the disk. A transaction
// takes the lock from BEGIN to COMMIT or ROLLBACK (nothing may interleave with it on the one connection); a statement
// outside a transaction takes it only while it runs. better-sqlite3 runs each statement to completion in one call.
//
// Kysely prepares every query anew and better-sqlite3 compiles SQL on each prepare(): on the decision path that was
// about a tenth of the service's time. The same few dozen statements recur, so compiled statements are kept by their
// text (least recently added first out).
//
// The WAL file is opened once, after the first write created it, and kept open. SQLite deletes it only when the last
// connection to the database closes or the journal mode changes, and this connection stays open until close.

import { closeSync, fsync, openSync } from 'node:fs';
import { dirname } from 'node:path';
import type BetterSqlite3 from 'better-sqlite3';
import { CompiledQuery, SqliteDialect, type DatabaseConnection, type Driver, type QueryResult } from 'kysely';

const STATEMENT_CACHE_SIZE = 500;

export interface DurableSqliteOptions {
  /** The database file; null for `:memory:` (nothing to fsync). */
  path: string | null;
  /** Replaces fs.fsync (tests slow it down or count it). */
  fsync?: (fd: number, done: (err: Error | null) => void) => void;
}

/** SQLite over better-sqlite3 with writes fsynced off the event loop (see the top of this file). */
export class DurableSqliteDialect extends SqliteDialect {
  constructor(
    private readonly database: BetterSqlite3.Database,
    private readonly options: DurableSqliteOptions,
  ) {
    super({ database });
  }

  override createDriver(): Driver {
    return new DurableSqliteDriver(this.database, this.options);
  }
}

/** A lock with no promise when free: a statement outside a transaction takes and drops it in one synchronous step. */
class Lock {
  private held = false;
  private readonly waiters: (() => void)[] = [];

  /** Undefined when taken at once, else a promise that resolves once it is this caller's. */
  take(): Promise<void> | undefined {
    if (!this.held) {
      this.held = true;
      return undefined;
    }
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  drop(): void {
    const next = this.waiters.shift();
    if (next) next(); // handed over: stays held
    else this.held = false;
  }
}

class DurableSqliteDriver implements Driver {
  private readonly statements = new Map<string, BetterSqlite3.Statement>();
  private readonly lock = new Lock();
  private readonly walPath: string | null;
  private readonly fsyncFile: (fd: number, done: (err: Error | null) => void) => void;
  private walFd: number | null = null;
  private syncing: Promise<void> | null = null;
  private nextSync: Promise<void> | null = null;

  constructor(
    private readonly database: BetterSqlite3.Database,
    options: DurableSqliteOptions,
  ) {
    this.walPath = options.path === null ? null : `${options.path}-wal`;
    this.fsyncFile = options.fsync ?? fsync;
  }

  async init(): Promise<void> {
    // Every write is made durable by durable() below; without WAL there would be no log to fsync.
    if (this.walPath !== null && String(this.database.pragma('journal_mode', { simple: true })).toLowerCase() !== 'wal') {
      throw new Error('the durable SQLite driver needs journal_mode = WAL');
    }
  }

  async acquireConnection(): Promise<DatabaseConnection> {
    return new DurableConnection(this);
  }

  async beginTransaction(connection: DatabaseConnection): Promise<void> {
    const c = connection as DurableConnection;
    const wait = this.lock.take();
    if (wait) await wait;
    try {
      this.database.exec('begin');
    } catch (err) {
      this.lock.drop();
      throw err;
    }
    c.inTransaction = true;
  }

  async commitTransaction(connection: DatabaseConnection): Promise<void> {
    const c = connection as DurableConnection;
    try {
      this.database.exec('commit');
    } finally {
      // A failed COMMIT leaves the transaction open; Kysely then rolls it back, still holding the lock.
      if (!this.database.inTransaction) this.endTransaction(c);
    }
    await this.durable();
  }

  async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    try {
      if (this.database.inTransaction) this.database.exec('rollback');
    } finally {
      this.endTransaction(connection as DurableConnection);
    }
  }

  async savepoint(connection: DatabaseConnection, name: string): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw(`savepoint ${quoteName(name)}`));
  }

  async rollbackToSavepoint(connection: DatabaseConnection, name: string): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw(`rollback to ${quoteName(name)}`));
  }

  async releaseSavepoint(connection: DatabaseConnection, name: string): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw(`release ${quoteName(name)}`));
  }

  async releaseConnection(connection: DatabaseConnection): Promise<void> {
    // Kysely commits or rolls back before it releases; a connection still in a transaction here is a bug above.
    if ((connection as DurableConnection).inTransaction) throw new Error('SQLite connection released inside a transaction');
  }

  async destroy(): Promise<void> {
    if (this.syncing) await this.syncing.catch(() => undefined);
    if (this.walFd !== null) closeSync(this.walFd);
    this.walFd = null;
    this.statements.clear();
    this.database.close();
  }

  private endTransaction(c: DurableConnection): void {
    if (!c.inTransaction) return;
    c.inTransaction = false;
    this.lock.drop();
  }

  /** Runs one statement to completion (inside the caller's transaction, or under the lock for just this call). */
  async run<R>(c: DurableConnection, query: CompiledQuery): Promise<QueryResult<R>> {
    if (c.inTransaction) return this.execute<R>(query).result;
    const wait = this.lock.take();
    if (wait) await wait;
    let outcome: { result: QueryResult<R>; wrote: boolean };
    try {
      outcome = this.execute<R>(query);
    } finally {
      this.lock.drop();
    }
    if (outcome.wrote) await this.durable();
    return outcome.result;
  }

  private execute<R>(query: CompiledQuery): { result: QueryResult<R>; wrote: boolean } {
    const statement = this.prepare(query.sql);
    const parameters = query.parameters as unknown[];
    if (statement.reader) return { result: { rows: statement.all(parameters) as R[] }, wrote: false };
    const { changes, lastInsertRowid } = statement.run(parameters);
    return { result: { numAffectedRows: BigInt(changes), insertId: BigInt(lastInsertRowid), rows: [] }, wrote: true };
  }

  private prepare(text: string): BetterSqlite3.Statement {
    let statement = this.statements.get(text);
    if (!statement) {
      statement = this.database.prepare(text);
      if (this.statements.size >= STATEMENT_CACHE_SIZE) this.statements.delete(this.statements.keys().next().value!);
      this.statements.set(text, statement);
    }
    return statement;
  }

  /**
   * Resolves once the WAL is on disk up to at least every write made before the call. An fsync already running may
   * have started before that write, so a caller arriving during one waits for the next (shared by all who arrive).
   */
  durable(): Promise<void> {
    if (this.walPath === null) return Promise.resolve();
    if (!this.syncing) {
      const running: Promise<void> = this.fsyncWal().finally(() => {
        if (this.syncing === running) this.syncing = null;
      });
      this.syncing = running;
      return running;
    }
    if (!this.nextSync) {
      const again = () => {
        this.nextSync = null;
        return this.durable();
      };
      this.nextSync = this.syncing.then(again, again);
    }
    return this.nextSync;
  }

  private async fsyncWal(): Promise<void> {
    if (this.walFd === null) {
      let wal: number;
      try {
        wal = openSync(this.walPath!, 'r');
      } catch (err) {
        // No log yet: no frame was written (a statement that changed nothing), so nothing awaits the disk.
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
        throw err;
      }
      // The log was just created: its directory entry must be durable too, once.
      const dir = openSync(dirname(this.walPath!), 'r');
      try {
        await this.fsyncFd(dir);
      } finally {
        closeSync(dir);
      }
      this.walFd = wal;
    }
    await this.fsyncFd(this.walFd);
  }

  private fsyncFd(fd: number): Promise<void> {
    return new Promise((resolve, reject) => this.fsyncFile(fd, (err) => (err ? reject(err) : resolve())));
  }
}

class DurableConnection implements DatabaseConnection {
  inTransaction = false;

  constructor(private readonly driver: DurableSqliteDriver) {}

  executeQuery<R>(query: CompiledQuery): Promise<QueryResult<R>> {
    return this.driver.run<R>(this, query);
  }

  // eslint-disable-next-line require-yield
  async *streamQuery<R>(): AsyncIterableIterator<QueryResult<R>> {
    throw new Error('streaming queries are not supported on SQLite here; page with keyset queries instead');
  }
}

function quoteName(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}
