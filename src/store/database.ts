// Opens the store named by DATABASE_URL: SQLite (better-sqlite3, WAL, every write fsynced before it resolves) or PostgreSQL (pg pool).
// The rest of the code sees one Kysely instance plus capability flags, never the dialect's name.
import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import { MingjianError } from '../kernel/errors.ts';
import type { ServiceDatabase } from './schema.ts';
import { DurableSqliteDialect } from './sqlite-driver.ts';

export interface StoreCapabilities {
  /** Several transactions may run at once (a pool); otherwise writes are serialised by one connection. */
  readonly concurrentTransactions: boolean;
  /** A local file holds the data (the default place for generated key files is beside it). */
  readonly filePath: string | null;
  /** Largest number of bound parameters one statement may carry. */
  readonly maxParameters: number;
  /** The schema the tables live in, where the database has schemas (the migrator must look only there). */
  readonly schema: string | null;
}

export interface Store {
  readonly db: Kysely<ServiceDatabase>;
  readonly capabilities: StoreCapabilities;
  /** For logs: `sqlite:/abs/path` or `postgres://host/db` without credentials. */
  readonly description: string;
  ping(): Promise<void>;
  close(): Promise<void>;
}

export interface OpenOptions {
  poolSize?: number;
}

// Large integers and numerics come back as strings from pg by default; the service stores none beyond 2^53.
pg.types.setTypeParser(20, (v) => Number(v));

export async function openStore(url: string, options: OpenOptions = {}): Promise<Store> {
  if (url.startsWith('sqlite:')) return openSqlite(url.slice('sqlite:'.length));
  if (url.startsWith('postgres://') || url.startsWith('postgresql://')) return openPostgres(url, options.poolSize ?? 10);
  throw new MingjianError('VALIDATION', `unsupported DATABASE_URL '${url.split(':')[0]}:'`, [{ path: 'DATABASE_URL', message: 'expected sqlite:PATH or postgres://...' }]);
}

function openSqlite(pathText: string): Store {
  const memory = pathText === ':memory:';
  const path = memory ? pathText : resolve(pathText.replace(/^\/\/(?=\/)/, ''));
  if (!memory) mkdirSync(dirname(path), { recursive: true });
  const database = new BetterSqlite3(path);
  database.pragma('journal_mode = WAL');
  // NORMAL: a commit writes the log without an fsync; the driver fsyncs the log off the event loop before any write
  // resolves (see sqlite-driver.ts), so a committed decision survives power loss exactly as under FULL.
  database.pragma('synchronous = NORMAL');
  database.pragma('busy_timeout = 5000');
  database.pragma('foreign_keys = ON');
  const db = new Kysely<ServiceDatabase>({ dialect: new DurableSqliteDialect(database, { path: memory ? null : path }) });
  return {
    db,
    capabilities: { concurrentTransactions: false, filePath: memory ? null : path, maxParameters: 32766, schema: null },
    description: `sqlite:${path}`,
    async ping() {
      await sql`select 1`.execute(db);
    },
    async close() {
      await db.destroy();
    },
  };
}

async function openPostgres(url: string, poolSize: number): Promise<Store> {
  const parsed = new URL(url);
  // `?schema=name` keeps all tables in one schema (tests give each file its own); created when missing.
  const schema = parsed.searchParams.get('schema');
  parsed.searchParams.delete('schema');
  if (schema !== null && !/^[a-z_][a-z0-9_]{0,62}$/.test(schema)) {
    throw new MingjianError('VALIDATION', 'invalid schema in DATABASE_URL', [{ path: 'DATABASE_URL', message: 'schema must match [a-z_][a-z0-9_]*' }]);
  }
  const connectionString = parsed.toString();
  if (schema) {
    const client = new pg.Client({ connectionString });
    await client.connect();
    try {
      await client.query(`create schema if not exists "${schema}"`);
    } finally {
      await client.end();
    }
  }
  const pool = new pg.Pool({ connectionString, max: poolSize, ...(schema ? { options: `-c search_path="${schema}"` } : {}) });
  const db = new Kysely<ServiceDatabase>({ dialect: new PostgresDialect({ pool }) });
  const description = `postgres://${parsed.host}${parsed.pathname}${schema ? `?schema=${schema}` : ''}`;
  let current: string;
  try {
    current = (await sql<{ schema: string }>`select current_schema() as schema`.execute(db)).rows[0]?.schema ?? schema ?? 'public';
  } catch (err) {
    await db.destroy().catch(() => undefined);
    throw new MingjianError('UNAVAILABLE', `cannot reach PostgreSQL at ${description}: ${(err as Error).message}`);
  }
  const store: Store = {
    db,
    capabilities: { concurrentTransactions: true, filePath: null, maxParameters: 65535, schema: current },
    description,
    async ping() {
      await sql`select 1`.execute(db);
    },
    async close() {
      await db.destroy();
    },
  };
  return store;
}
