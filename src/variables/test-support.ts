// Shared by the velocity tests and the benchmark: a migrated SQLite database and a Redis connection with a unique prefix.

import { randomUUID } from 'node:crypto';
import Database from 'better-sqlite3';
import { Redis } from 'ioredis';
import { Kysely, SqliteDialect } from 'kysely';
import { up as createVelocityEvents } from '../store/migrations/0100_velocity_events.ts';

export async function openSqlite(file = ':memory:'): Promise<Kysely<any>> {
  const database = new Database(file);
  database.pragma('journal_mode = WAL');
  database.pragma('synchronous = NORMAL');
  const db = new Kysely<any>({ dialect: new SqliteDialect({ database }) });
  await createVelocityEvents(db);
  return db;
}

export function redisUrl(): string {
  return process.env.MINGJIAN_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
}

export function connectRedis(): Redis {
  return new Redis(redisUrl(), { lazyConnect: false, maxRetriesPerRequest: 2 });
}

export function uniquePrefix(label: string): string {
  return `mingjian:test:${label}:${randomUUID()}:`;
}

/** Deletes every key under the prefix. */
export async function dropPrefix(redis: Redis, prefix: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
    cursor = next;
    if (keys.length) await redis.del(...keys);
  } while (cursor !== '0');
}
