// `mingjian serve`: the same as `npm start` (migrate, admin key, seed flows, listen), with flags over the environment.
import { loadConfig } from '../../config.ts';
import { startServer } from '../../server/server.ts';
import { parseCliArgs, type CliCommand } from '../command.ts';

export const command: CliCommand = {
  summary: 'Run the decision service (HTTP API)',
  usage: `Usage: mingjian serve [--port N] [--host HOST] [--database URL]

Migrates the database, makes sure an admin API key exists (prints a generated one once, or registers
MINGJIAN_ADMIN_KEY), loads and activates the flows in examples/flows (MINGJIAN_SEED_FLOWS) and serves.
Every setting is an environment variable (see docs/service.md); the flags override PORT, HOST, DATABASE_URL.`,
  async run(argv) {
    const { values } = parseCliArgs(argv, { port: { type: 'string' }, host: { type: 'string' }, database: { type: 'string' } });
    const env = { ...process.env, ...(values.port ? { PORT: values.port } : {}), ...(values.host ? { HOST: values.host } : {}), ...(values.database ? { DATABASE_URL: values.database } : {}) };
    await startServer(loadConfig(env), { handleSignals: true });
    // Keep running until a signal closes the server (the handler exits the process).
    await new Promise<never>(() => undefined);
    return 0;
  },
};
