// `npm start`: migrate, make sure an admin key exists, seed the example flows, serve on PORT.
import { loadConfig } from './config.ts';
import { MingjianError, formatDetail } from './kernel/errors.ts';
import { startServer } from './server/server.ts';

try {
  await startServer(loadConfig(), { handleSignals: true });
} catch (err) {
  if (err instanceof MingjianError) {
    process.stderr.write(`mingjian: ${err.message}\n${(err.details ?? []).map((d) => `  - ${formatDetail(d)}\n`).join('')}`);
    process.exit(1);
  }
  throw err;
}
