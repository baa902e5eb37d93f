// `mingjian keys`: API keys from the command line, straight on the database (for a lost admin key or scripted setup).
// Changes are audited like those made over HTTP, with the `system` user as the actor.
import { loadConfig } from '../../config.ts';
import { MingjianError } from '../../kernel/errors.ts';
import { openStore } from '../../store/database.ts';
import { migrateToLatest } from '../../store/migrator.ts';
import { createAccessService, ROLES, type Role } from '../../server/services/access.ts';
import { findUser } from '../../store/users-store.ts';
import { parseCliArgs, type CliCommand } from '../command.ts';

export const command: CliCommand = {
  summary: 'Create, list and revoke API keys (directly on the database)',
  usage: `Usage:
  mingjian keys create --user NAME [--roles r1,r2] [--name LABEL] [--rate-limit PER_MINUTE]
  mingjian keys list [--json]
  mingjian keys revoke KEY_ID

create makes the user when it does not exist (then --roles is required; roles: ${ROLES.join(', ')})
and prints the secret once. The database is DATABASE_URL (or --database URL).`,
  async run(argv) {
    const { values, positionals } = parseCliArgs(
      argv,
      { user: { type: 'string' }, roles: { type: 'string' }, name: { type: 'string' }, 'rate-limit': { type: 'string' }, database: { type: 'string' }, json: { type: 'boolean' } },
      true,
    );
    const [sub, arg] = positionals;
    const config = loadConfig(process.env, values.database ? { databaseUrl: values.database } : {});
    const store = await openStore(config.databaseUrl, { poolSize: 1 });
    try {
      await migrateToLatest(store.db, { schema: store.capabilities.schema });
      const access = createAccessService(store);
      if (sub === 'create') {
        if (!values.user) throw new MingjianError('USAGE', 'keys create needs --user NAME');
        let user = await findUser(store.db, { name: values.user });
        if (!user) {
          const roles = (values.roles ?? '').split(',').map((r) => r.trim()).filter(Boolean) as Role[];
          if (roles.length === 0) throw new MingjianError('USAGE', `user '${values.user}' does not exist: give --roles to create it`);
          user = await access.createUser(access.system, { name: values.user, roles });
        }
        const rate = values['rate-limit'] === undefined ? null : Number(values['rate-limit']);
        if (rate !== null && !(Number.isInteger(rate) && rate > 0)) throw new MingjianError('USAGE', '--rate-limit must be a positive integer');
        const { key, secret } = await access.createKey(access.system, { userId: user.id, name: values.name ?? 'created with mingjian keys', rateLimitPerMinute: rate });
        process.stdout.write(values.json ? `${JSON.stringify({ key, secret })}\n` : `key ${key.id} for ${user.name} (${user.roles.join(', ')})\nsecret (shown once): ${secret}\n`);
        return 0;
      }
      if (sub === 'list') {
        const users = new Map((await access.listUsers()).map((u) => [u.id, u]));
        const keys = await access.listKeys();
        if (values.json) process.stdout.write(`${JSON.stringify(keys)}\n`);
        else for (const k of keys) process.stdout.write(`${k.id}  ${k.prefix}…  ${users.get(k.userId)?.name ?? k.userId}  ${users.get(k.userId)?.roles.join(',') ?? ''}  ${k.revokedAt ? `revoked ${k.revokedAt}` : 'active'}  ${k.name}\n`);
        return 0;
      }
      if (sub === 'revoke' && arg) {
        const k = await access.revokeKey(access.system, arg);
        process.stdout.write(`revoked ${k.id} at ${k.revokedAt}\n`);
        return 0;
      }
      throw new MingjianError('USAGE', 'expected: keys create | keys list | keys revoke KEY_ID');
    } finally {
      await store.close();
    }
  },
};
