// Starting and stopping the service: store, migrations, keys, seed, listener, graceful shutdown.
import type { FastifyInstance } from 'fastify';
import type { Config } from '../config.ts';
import { migrateToLatest } from '../store/migrator.ts';
import { openStore } from '../store/database.ts';
import { buildApp } from './app.ts';
import { createLogger } from './logger.ts';
import { loadKeyRing } from './master-key.ts';
import { createMetrics } from './metrics.ts';
import { seedFlows } from './seed.ts';
import { createServices, type Services } from './services/index.ts';

export interface RunningServer {
  app: FastifyInstance;
  services: Services;
  url: string;
  port: number;
  /** Stops accepting, finishes in-flight requests, commits queued records, closes the store. */
  close(): Promise<void>;
}

export interface StartOptions {
  /** Shown once when an admin key had to be generated. */
  printAdminKey?: (secret: string) => void;
  /** Install SIGTERM/SIGINT handlers that close gracefully and exit (the CLI and npm start do). */
  handleSignals?: boolean;
}

export async function startServer(config: Config, options: StartOptions = {}): Promise<RunningServer> {
  const log = createLogger(config);
  const store = await openStore(config.databaseUrl, { poolSize: config.pgPoolSize });
  let services: Services;
  let app: FastifyInstance;
  try {
    const applied = await migrateToLatest(store.db, { schema: store.capabilities.schema });
    if (applied.length) log.info({ migrations: applied }, 'migrations applied');
    const keyRing = loadKeyRing(config, store.capabilities, (msg) => log.warn(msg));
    services = createServices(config, store, keyRing, createMetrics(), { warn: (msg) => log.warn(msg) });
    const { generatedSecret } = await services.access.ensureAdmin(config.adminKey);
    if (generatedSecret) {
      (options.printAdminKey ?? ((s) => process.stdout.write(`\nAdmin API key (shown only this once; store it safely):\n\n  ${s}\n\nUse it as: Authorization: Bearer ${s}\n\n`)))(generatedSecret);
    }
    let ready = false;
    app = await buildApp(config, { services, isReady: () => ready, logger: log });
    await app.listen({ port: config.port, host: config.host });
    const seeded = await seedFlows(services.governance, config.seedFlowsDir);
    for (const s of seeded.loaded) if (s.created) log.info({ flow: s.flow, version: s.version, file: s.file }, 'seeded flow');
    for (const f of seeded.failed) log.error({ file: f.file }, `seed flow failed: ${f.message}`);
    ready = true;
  } catch (err) {
    await store.close().catch(() => undefined);
    throw err;
  }
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  const url = `http://${config.host === '0.0.0.0' || config.host === '::' ? '127.0.0.1' : config.host}:${port}`;
  log.info({ url, store: store.description }, 'mingjian listening');

  let closing: Promise<void> | undefined;
  const close = () =>
    (closing ??= (async () => {
      // Keep-alive connections busy when the close began become idle only after their answer; Node closes idle
      // connections once, at the start, so sweep until the server has let go of all of them.
      const sweep = setInterval(() => app.server.closeIdleConnections(), 25);
      try {
        await app.close();
      } finally {
        clearInterval(sweep);
      }
      await services.decisions.drain();
      await store.close();
    })());

  if (options.handleSignals) {
    const onSignal = (signal: string) => {
      log.info({ signal }, 'shutting down: finishing in-flight requests');
      close().then(
        () => process.exit(0),
        (err) => {
          log.error({ err }, 'shutdown failed');
          process.exit(1);
        },
      );
    };
    process.once('SIGTERM', () => onSignal('SIGTERM'));
    process.once('SIGINT', () => onSignal('SIGINT'));
  }
  return { app, services, url, port, close };
}
