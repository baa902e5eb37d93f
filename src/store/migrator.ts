// Runs every migration in src/store/migrations in file-name order (NNNN_name.ts). Capabilities add their own files
// in their number range; nothing here lists them.
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Migrator, sql, type DatabaseIntrospector, type Kysely, type Migration, type MigrationProvider, type TableMetadata } from 'kysely';
import { MingjianError } from '../kernel/errors.ts';

const migrationsDir = join(dirname(fileURLToPath(import.meta.url)), 'migrations');

export class FolderMigrationProvider implements MigrationProvider {
  constructor(private readonly folder: string = migrationsDir) {}
  async getMigrations(): Promise<Record<string, Migration>> {
    const files = readdirSync(this.folder)
      .filter((f) => /^\d{4}_[a-z0-9_-]+\.ts$/.test(f))
      .sort();
    const migrations: Record<string, Migration> = {};
    for (const file of files) {
      const mod = (await import(pathToFileURL(join(this.folder, file)).href)) as Partial<Migration>;
      if (typeof mod.up !== 'function') throw new MingjianError('INTERNAL', `migration ${file} exports no up()`);
      migrations[file.slice(0, -3)] = { up: mod.up, ...(mod.down ? { down: mod.down } : {}) };
    }
    return migrations;
  }
}

/** Applies pending migrations; returns the names applied now. */
export async function migrateToLatest(db: Kysely<any>, options: { schema?: string | null; folder?: string } = {}): Promise<string[]> {
  const migrator = new Migrator({
    db: options.schema ? withSchemaIntrospection(db, options.schema) : db,
    provider: new FolderMigrationProvider(options.folder),
    // Later capabilities add migrations in their own number range, possibly below ones already applied.
    allowUnorderedMigrations: true,
    // Without it Kysely looks for its tables in every schema and skips creating them when another schema has them.
    ...(options.schema ? { migrationTableSchema: options.schema } : {}),
  });
  const { error, results } = await migrator.migrateToLatest();
  if (error) {
    const failed = results?.find((r) => r.status === 'Error');
    throw new MingjianError('INTERNAL', `migration ${failed?.migrationName ?? ''} failed: ${(error as Error).message ?? String(error)}`);
  }
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}


/**
 * Kysely's migrator asks the PostgreSQL introspector for every table of every schema, and that query calls
 * pg_get_serial_sequence on each one: a schema dropped meanwhile by another instance or test makes it fail with
 * "schema ... does not exist". The migrator only needs to know whether its own two tables exist, so it gets an
 * introspector that looks in its schema alone (cheaper too on a database with many schemas).
 */
function withSchemaIntrospection(db: Kysely<any>, schema: string): Kysely<any> {
  const introspection: DatabaseIntrospector = {
    async getSchemas() {
      const rows = await sql<{ name: string }>`select nspname as name from pg_catalog.pg_namespace where nspname = ${schema}`.execute(db);
      return rows.rows;
    },
    async getTables(): Promise<TableMetadata[]> {
      const rows = await sql<{ name: string; kind: string }>`select c.relname as name, c.relkind as kind
        from pg_catalog.pg_class c join pg_catalog.pg_namespace n on n.oid = c.relnamespace
        where n.nspname = ${schema} and c.relkind in ('r', 'p', 'v', 'm')`.execute(db);
      return rows.rows.map((r) => ({ name: r.name, schema, isView: r.kind === 'v' || r.kind === 'm', columns: [] }));
    },
    async getMetadata() {
      return { tables: await this.getTables() };
    },
  };
  return new Proxy(db, {
    get(target, prop) {
      if (prop === 'introspection') return introspection;
      const value: unknown = Reflect.get(target, prop, target);
      // Kysely keeps its state in private fields, so its methods must run on the real instance.
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}
