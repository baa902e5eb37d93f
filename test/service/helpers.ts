// Starts the real service on a free port against a temporary SQLite file or a private PostgreSQL schema.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import pg from 'pg';
import { loadConfig, type Config } from '../../src/config.ts';
import { startServer, type RunningServer } from '../../src/server/server.ts';

export type Dialect = 'sqlite' | 'postgres';
export const DIALECTS: Dialect[] = ['sqlite', 'postgres'];
export const PG_URL = 'postgres://postgres@127.0.0.1:5432/test';
export const FIXTURE_FLOWS = fileURLToPath(new URL('./fixtures/flows', import.meta.url));
export const ADMIN_KEY = 'mj_test_admin_key_0123456789abcdefghij';
export const MASTER_KEY = `t1:${Buffer.alloc(32, 7).toString('base64')}`;

export interface Reply<T = any> {
  status: number;
  body: T;
  headers: Headers;
}

export interface TestServer {
  url: string;
  server: RunningServer;
  config: Config;
  dialect: Dialect;
  /** The SQLite file, or the PostgreSQL schema. */
  where: string;
  request<T = any>(method: string, path: string, options?: { key?: string | null; body?: unknown; headers?: Record<string, string>; raw?: string }): Promise<Reply<T>>;
  /** Creates a user with the roles and returns its key. */
  keyFor(name: string, roles: string[], extra?: Record<string, unknown>): Promise<string>;
  close(): Promise<void>;
}

export function databaseUrlFor(dialect: Dialect, label: string): { url: string; where: string; dir: string } {
  const dir = mkdtempSync(join(tmpdir(), `mingjian-${label}-`));
  if (dialect === 'sqlite') {
    const file = join(dir, 'mingjian.db');
    return { url: `sqlite:${file}`, where: file, dir };
  }
  const schema = `t_${label.replace(/[^a-z0-9]/gi, '_').toLowerCase()}_${process.pid}_${Math.random().toString(36).slice(2, 8)}`;
  return { url: `${PG_URL}?schema=${schema}`, where: schema, dir };
}

export async function dropSchema(schema: string): Promise<void> {
  const client = new pg.Client({ connectionString: PG_URL });
  await client.connect();
  try {
    await client.query(`drop schema if exists "${schema}" cascade`);
  } finally {
    await client.end();
  }
}

/**
 * Runs SQL statements in order on one connection to a test server's database (its SQLite file or its PostgreSQL
 * schema), as an outside process would; returns the rows of the last one.
 */
export async function runSql(t: Pick<TestServer, 'dialect' | 'where'>, statements: string[]): Promise<Record<string, unknown>[]> {
  let rows: Record<string, unknown>[] = [];
  if (t.dialect === 'sqlite') {
    const db = new Database(t.where);
    try {
      for (const s of statements) {
        const statement = db.prepare(s);
        if (statement.reader) rows = statement.all() as Record<string, unknown>[];
        else statement.run();
      }
    } finally {
      db.close();
    }
    return rows;
  }
  const client = new pg.Client({ connectionString: PG_URL });
  await client.connect();
  try {
    await client.query(`set search_path to "${t.where}"`);
    for (const s of statements) rows = (await client.query(s)).rows as Record<string, unknown>[];
  } finally {
    await client.end();
  }
  return rows;
}

export async function startTestServer(dialect: Dialect, label: string, overrides: Partial<Config> = {}): Promise<TestServer> {
  const { url: databaseUrl, where, dir } = databaseUrlFor(dialect, label);
  const config = loadConfig({}, {
    port: 0,
    host: '127.0.0.1',
    databaseUrl,
    dataDir: dir,
    adminKey: ADMIN_KEY,
    masterKey: MASTER_KEY,
    logLevel: 'silent',
    seedFlowsDir: FIXTURE_FLOWS,
    ...overrides,
  });
  const server = await startServer(config);
  const request: TestServer['request'] = async (method, path, options = {}) => {
    const headers: Record<string, string> = { ...(options.headers ?? {}) };
    const key = options.key === undefined ? ADMIN_KEY : options.key;
    if (key !== null) headers.authorization = `Bearer ${key}`;
    let body: string | undefined = options.raw;
    if (options.body !== undefined) {
      body = JSON.stringify(options.body);
      headers['content-type'] ??= 'application/json';
    }
    const res = await fetch(server.url + path, { method, headers, ...(body !== undefined ? { body } : {}) });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = JSON.parse(text);
    } catch {
      // not JSON (metrics, docs)
    }
    return { status: res.status, body: parsed as any, headers: res.headers };
  };
  return {
    url: server.url,
    server,
    config,
    dialect,
    where,
    request,
    async keyFor(name, roles, extra = {}) {
      const res = await request('POST', '/v1/keys', { body: { user: { name, roles }, name: `${name} key`, ...extra } });
      if (res.status !== 201) throw new Error(`key for ${name}: ${res.status} ${JSON.stringify(res.body)}`);
      return res.body.secret as string;
    },
    async close() {
      await server.close();
      if (dialect === 'postgres') await dropSchema(where);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export const goodApplication = (over: Record<string, unknown> = {}) => ({
  applicantId: 'a-1',
  phone: '13812345678',
  idNumber: '110101199001011234',
  age: 30,
  monthlyIncome: 1000,
  requestedAmount: 5000,
  ...over,
});
