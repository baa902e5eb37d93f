// The migrator runs while other instances (or other test files) create and drop their own schemas in the same database.
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { openStore } from '../../src/store/database.ts';
import { migrateToLatest } from '../../src/store/migrator.ts';
import { dropSchema, PG_URL } from '../service/helpers.ts';

describe('migrations on postgres', () => {
  it('are not disturbed by schemas dropped meanwhile in the same database', async () => {
    const churn = new pg.Client({ connectionString: PG_URL });
    await churn.connect();
    let stop = false;
    let dropped = 0;
    // Another process creating and dropping schemas full of serial columns, as parallel test files do.
    const churning = (async () => {
      while (!stop) {
        const name = `t_churn_${process.pid}_${dropped}`;
        await churn.query(`create schema "${name}"`);
        for (let i = 0; i < 20; i++) await churn.query(`create table "${name}".t${i} (id serial primary key, v text)`);
        await churn.query(`drop schema "${name}" cascade`);
        dropped++;
      }
    })();
    const schemas: string[] = [];
    try {
      for (let round = 0; round < 15; round++) {
        const schema = `t_migrate_${process.pid}_${round}`;
        schemas.push(schema);
        const store = await openStore(`${PG_URL}?schema=${schema}`);
        try {
          const applied = await migrateToLatest(store.db, { schema: store.capabilities.schema });
          expect(applied.length).toBeGreaterThan(0);
          // A second run finds every migration applied, in this schema only.
          expect(await migrateToLatest(store.db, { schema: store.capabilities.schema })).toEqual([]);
        } finally {
          await store.close();
        }
      }
    } finally {
      stop = true;
      await churning;
      await churn.end();
      for (const s of schemas) await dropSchema(s);
    }
    expect(dropped).toBeGreaterThan(0);
  }, 120_000);
});
