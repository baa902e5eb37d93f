// Starting and stopping the service: store, migrations, keys, seed, listener, graceful shutdown.
import { createServer as createNetServer, type AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { Redis } from 'ioredis';
import { FraudService, FRAUD_KEY_LABEL } from '../fraud/fraud-service.ts';
import { openVariablesRuntime, type VariablesRuntime } from '../variables/variables-runtime.ts';
import type { Config } from '../config.ts';
import { migrateToLatest } from '../store/migrator.ts';
import { openStore } from '../store/database.ts';
import { buildApp } from './app.ts';
import { createLogger } from './logger.ts';
import { loadKeyRing } from './master-key.ts';
import { createMetrics } from './metrics.ts';
import { createWriteBehind } from '../store/write-behind.ts';
import { fraudDb } from '../store/fraud-store.ts';
import { seedDemoPortfolio, seedFlows, seedWatchlists } from './seed.ts';
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
  let variables: VariablesRuntime | undefined;
  let redis: Redis | undefined;
  let watchlistRefresh: NodeJS.Timeout | undefined;
  let graphRefresh: NodeJS.Timeout | undefined;
  try {
    const applied = await migrateToLatest(store.db, { schema: store.capabilities.schema });
    if (applied.length) log.info({ migrations: applied }, 'migrations applied');
    const keyRing = loadKeyRing(config, store.capabilities, (msg) => log.warn(msg));
    // The external sources are called over HTTP, the simulated ones at this service's own address: know the port
    // before listening (a free one is picked now when PORT is 0).
    const listenPort = config.port === 0 ? await freePort(config.host) : config.port;
    const selfBaseUrl = `http://${config.host === '0.0.0.0' || config.host === '::' ? '127.0.0.1' : config.host}:${listenPort}`;
    // REDIS_URL set: velocity counts live in Redis, shared by every instance (keyed by the hashed database URL,
    // since instances sharing counts share the database); otherwise in the embedded store over the database.
    redis = config.redisUrl ? new Redis(config.redisUrl, { maxRetriesPerRequest: 2 }) : undefined;
    variables = await openVariablesRuntime({
      db: store.db,
      ...(redis ? { redis, redisPrefix: `mingjian:velocity:${keyRing.keyedHash(config.databaseUrl).slice(0, 16)}:` } : {}),
      ...(config.variablesFile ? { configFile: config.variablesFile } : {}),
      // `{{secret.NAME}}` headers of real providers are read from the environment once, here.
      env: process.env,
      selfBaseUrl,
      hashKey: Buffer.from(keyRing.keyedHash('mingjian:velocity-key:v1'), 'hex'),
    });
    // Graph rows and the cases decisions open are gathered into one transaction every 10 ms (see store/write-behind.ts).
    const fraud = await FraudService.open(store.db, { key: Buffer.from(keyRing.keyedHash(FRAUD_KEY_LABEL), 'hex'), writeBehind: createWriteBehind(fraudDb(store.db), { delayMs: 10 }) });
    services = createServices(config, store, keyRing, createMetrics(), { warn: (msg) => log.warn(msg), variables, fraud });
    const { generatedSecret } = await services.access.ensureAdmin(config.adminKey);
    if (generatedSecret) {
      (options.printAdminKey ?? ((s) => process.stdout.write(`\nAdmin API key (shown only this once; store it safely):\n\n  ${s}\n\nUse it as: Authorization: Bearer ${s}\n\n`)))(generatedSecret);
    }
    let ready = false;
    app = await buildApp(config, { services, isReady: () => ready, logger: log });
    await app.listen({ port: listenPort, host: config.host });
    const seeded = await seedFlows(services.governance, config.seedFlowsDir);
    for (const s of seeded.loaded) if (s.created) log.info({ flow: s.flow, version: s.version, file: s.file }, 'seeded flow');
    for (const f of seeded.failed) log.error({ file: f.file }, `seed flow failed: ${f.message}`);
    // Decisions answered just before a crash may miss their graph row or case: redo those before serving.
    const caughtUp = await services.decisions.catchUpFollowUps();
    if (caughtUp.graph || caughtUp.cases) log.warn(caughtUp, `caught up after an unclean stop: ${caughtUp.graph} graph application(s), ${caughtUp.cases} case(s) from recorded decisions`);
    // Conveniences, not the service: a failure is logged and the service starts anyway.
    try {
      const lists = await seedWatchlists(fraud, services.flows, seeded.loaded);
      if (lists.length) log.info({ watchlists: lists }, 'created the watchlists the seeded flows use');
      if (config.demoData) {
        const demo = await seedDemoPortfolio(services);
        if (demo) log.info(demo, `demo portfolio: ${demo.decisions} consumer-loan decisions over ${demo.days} days (${demo.approved} approved, ${demo.declined} declined, ${demo.review} review), ${demo.rings} ring(s) detected, ${demo.cases} open case(s), ${demo.millis} ms; MINGJIAN_DEMO_DATA=false skips it`);
      }
    } catch (err) {
      log.error({ err }, 'seeding watchlists or the demo portfolio failed');
    }
    ready = true;
    if (config.watchlistRefreshMs > 0) {
      // Instances sharing the database: an approval in one reaches the others' lists within this interval.
      watchlistRefresh = setInterval(() => {
        fraud.refreshWatchlists().then(
          (reloaded) => reloaded && log.info('watchlists changed in the database: reloaded'),
          (err: unknown) => log.warn({ err }, 'watchlist refresh failed'),
        );
      }, config.watchlistRefreshMs).unref();
    }
    if (config.graphRefreshMs > 0) {
      // Instances sharing the database: applications another one decided join this one's identity graph, and its
      // status changes apply, within this interval.
      graphRefresh = setInterval(() => {
        fraud.refreshGraph().then(
          (applied) => applied && log.debug({ applied }, 'identity graph: changes of other instances applied'),
          (err: unknown) => log.warn({ err }, 'identity graph refresh failed'),
        );
      }, config.graphRefreshMs).unref();
    }
  } catch (err) {
    await variables?.close().catch(() => undefined);
    redis?.disconnect();
    await store.close().catch(() => undefined);
    throw err;
  }
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  const url = `http://${config.host === '0.0.0.0' || config.host === '::' ? '127.0.0.1' : config.host}:${port}`;
  log.info({ url, console: `${url}/console`, store: store.description }, 'mingjian listening');

  let closing: Promise<void> | undefined;
  const close = () =>
    (closing ??= (async () => {
      // Keep-alive connections busy when the close began become idle only after their answer; Node closes idle
      // connections once, at the start, so sweep until the server has let go of all of them.
      clearInterval(watchlistRefresh);
      clearInterval(graphRefresh);
      const sweep = setInterval(() => app.server.closeIdleConnections(), 25);
      try {
        await app.close();
      } finally {
        clearInterval(sweep);
      }
      await services.decisions.drain();
      await variables?.close();
      redis?.disconnect();
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

/** A port free on `host` right now (the listener binds it a moment later). */
async function freePort(host: string): Promise<number> {
  const probe = createNetServer();
  await new Promise<void>((resolve, reject) => {
    probe.once('error', reject);
    probe.listen(0, host, () => resolve());
  });
  const { port } = probe.address() as AddressInfo;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}
