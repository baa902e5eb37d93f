// `mingjian audit verify`: recomputes the audit log's hash chain and reports the first tampered entry.
import { loadConfig } from '../../config.ts';
import { MingjianError } from '../../kernel/errors.ts';
import { verifyAuditChain } from '../../store/audit-store.ts';
import { openStore } from '../../store/database.ts';
import { parseCliArgs, type CliCommand } from '../command.ts';

export const command: CliCommand = {
  summary: 'Verify the audit log hash chain (reports the first tampered entry)',
  usage: `Usage: mingjian audit verify [--database URL] [--json]

Recomputes every audit entry's hash from the previous hash and its content. Exit 0 when the chain is intact,
1 with the first entry that does not match (modified, removed or reordered entries, or a cut-off tail).

  --database URL   the store (default: DATABASE_URL, else sqlite:./data/mingjian.db)
  --json           print the result as JSON`,
  async run(argv) {
    const { values, positionals } = parseCliArgs(argv, { database: { type: 'string' }, json: { type: 'boolean' } }, true);
    if (positionals[0] !== 'verify' || positionals.length !== 1) throw new MingjianError('USAGE', 'expected: mingjian audit verify [--database URL] [--json]');
    const config = loadConfig(process.env, values.database ? { databaseUrl: values.database } : {});
    const store = await openStore(config.databaseUrl, { poolSize: 1 });
    try {
      const result = await verifyAuditChain(store.db);
      if (values.json) process.stdout.write(`${JSON.stringify(result)}\n`);
      else if (result.ok) process.stdout.write(`audit log intact: ${result.entries} entries, head ${result.headSeq}\n`);
      else process.stdout.write(`audit log TAMPERED at entry ${result.firstBad!.seq}: ${result.firstBad!.reason} (${result.entries} entries checked, head ${result.headSeq})\n`);
      return result.ok ? 0 : 1;
    } finally {
      await store.close();
    }
  },
};
