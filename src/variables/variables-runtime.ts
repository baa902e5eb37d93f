// Wires the variables capability for a running service: the configuration file, the velocity store (Redis when a
// connection is given, else embedded over the service's database) and the external sources.

import type { Redis } from 'ioredis';
import type { Kysely } from 'kysely';
import { EmbeddedVelocityStore } from './embedded-velocity-store.ts';
import { ExternalSources } from './external-source.ts';
import { RedisVelocityStore } from './redis-velocity-store.ts';
import { loadVariablesConfigFile, type VariablesConfig } from './variables-config.ts';
import { VariablesService } from './variables-service.ts';
import type { VelocityStore } from './velocity-store.ts';

/** The configuration the service uses when none is named: the example consumer-loan flow's variables. */
export const DEFAULT_VARIABLES_FILE = new URL('./examples/consumer-loan.variables.yaml', import.meta.url).pathname;

export interface VariablesRuntimeOptions {
  /** The service's database, with migration 0100 applied (the embedded store persists there). */
  db: Kysely<any>;
  /** When given, velocity lives in Redis (shared by every instance) under `redisPrefix`. */
  redis?: Redis;
  redisPrefix?: string;
  configFile?: string;
  env: Readonly<Record<string, string | undefined>>;
  /** Where this service answers, for the simulated sources (e.g. http://127.0.0.1:8080). */
  selfBaseUrl: string;
  /** Secret of the keyed hash of personal event fields (32 bytes or more). */
  hashKey: Buffer;
  now?: () => number;
}

export interface VariablesRuntime {
  config: VariablesConfig;
  service: VariablesService;
  velocity: VelocityStore;
  sources: ExternalSources;
  close(): Promise<void>;
}

export async function openVariablesRuntime(options: VariablesRuntimeOptions): Promise<VariablesRuntime> {
  const config = loadVariablesConfigFile(options.configFile ?? DEFAULT_VARIABLES_FILE, { env: options.env, selfBaseUrl: options.selfBaseUrl });
  const velocity: VelocityStore = options.redis
    ? new RedisVelocityStore({ redis: options.redis, prefix: options.redisPrefix ?? 'mingjian:velocity:', definitions: config.velocity })
    : await EmbeddedVelocityStore.open({ db: options.db, definitions: config.velocity });
  const sources = new ExternalSources(config.sources, { env: options.env });
  const service = new VariablesService({
    catalog: config.catalog,
    velocityDefinitions: config.velocity,
    velocity,
    sources,
    personalFields: config.personalFields,
    hashKey: options.hashKey,
    now: options.now ?? Date.now,
  });
  return { config, service, velocity, sources, close: async () => {
    await sources.close();
    await velocity.close();
  } };
}
