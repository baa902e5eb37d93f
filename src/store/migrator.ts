// Runs every migration in src/store/migrations in file-name order (NNNN_name.ts). Capabilities add their own files
// in their number range; nothing here lists them.
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Migrator, type Kysely, type Migration, type MigrationProvider } from 'kysely';
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
    db,
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
