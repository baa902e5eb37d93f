// The only module that reads environment variables. Everything else receives a frozen Config.
// Validated once with Ajv (schema built with TypeBox); a bad value stops the start with every problem named.
import { Type, type Static } from '@sinclair/typebox';
import { Ajv } from 'ajv';
import { MingjianError, type ErrorDetail } from './kernel/errors.ts';

/** A string enum as one `enum` keyword, so a bad value gives one error naming the choices (not one per choice). */
const OneOf = <const T extends string>(values: readonly T[], options: { default: T; description: string }) => Type.Unsafe<T>({ type: 'string', enum: values, ...options });

export const ConfigSchema = Type.Object({
  port: Type.Integer({ minimum: 0, maximum: 65535, default: 8080, description: 'PORT' }),
  host: Type.String({ minLength: 1, default: '0.0.0.0', description: 'HOST' }),
  databaseUrl: Type.String({ pattern: '^(sqlite:|postgres://|postgresql://)', default: 'sqlite:./data/mingjian.db', description: 'DATABASE_URL' }),
  /** Where generated files (the master key when none is given) live; defaults to the SQLite file's folder or ./data. */
  dataDir: Type.Optional(Type.String({ minLength: 1, description: 'MINGJIAN_DATA_DIR' })),
  adminKey: Type.Optional(Type.String({ minLength: 24, description: 'MINGJIAN_ADMIN_KEY' })),
  /** `kid:base64key[,kid:base64key...]` or one bare base64/hex 32-byte key; the first key encrypts, all decrypt. */
  masterKey: Type.Optional(Type.String({ minLength: 32, description: 'MINGJIAN_MASTER_KEY' })),
  logLevel: OneOf(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const, { default: 'info', description: 'LOG_LEVEL' }),
  /** Requests per key per window; a key's own limit (api_keys.rate_limit_per_minute) overrides it. */
  rateLimitMax: Type.Integer({ minimum: 1, default: 300000, description: 'RATE_LIMIT_MAX' }),
  rateLimitWindowMs: Type.Integer({ minimum: 100, default: 60000, description: 'RATE_LIMIT_WINDOW_MS' }),
  bodyLimitBytes: Type.Integer({ minimum: 1024, default: 1048576, description: 'BODY_LIMIT_BYTES' }),
  redisUrl: Type.Optional(Type.String({ pattern: '^rediss?://', description: 'REDIS_URL' })),
  /** Folder of flow YAML files loaded and activated as system-approved versions at start; empty string disables. */
  seedFlowsDir: Type.String({ default: 'examples/flows', description: 'MINGJIAN_SEED_FLOWS' }),
  /** Group commit: a record waits at most this many ms for others (none once no decision is on its way), or this many records. */
  commitDelayMs: Type.Number({ minimum: 0, maximum: 1000, default: 5, description: 'COMMIT_DELAY_MS' }),
  commitBatchMax: Type.Integer({ minimum: 1, maximum: 2000, default: 256, description: 'COMMIT_BATCH_MAX' }),
  /** `always`: every decision record keeps its trace; `requested`: only when the caller asked with ?trace=true. */
  storeTrace: OneOf(['always', 'requested'] as const, { default: 'always', description: 'DECISION_TRACE_STORE' }),
  /** How long a process trusts its cached "active version" of a flow before re-reading it (other processes may activate). */
  flowCacheTtlMs: Type.Integer({ minimum: 0, default: 1000, description: 'FLOW_CACHE_TTL_MS' }),
  /** How often a process checks whether another one changed the watchlists (approved change sets) and reloads them; 0 never. */
  watchlistRefreshMs: Type.Integer({ minimum: 0, default: 5000, description: 'WATCHLIST_REFRESH_MS' }),
  graphRefreshMs: Type.Integer({ minimum: 0, default: 1000, description: 'GRAPH_REFRESH_MS' }),
  pgPoolSize: Type.Integer({ minimum: 1, maximum: 200, default: 10, description: 'PG_POOL_SIZE' }),
  metricsPublic: Type.Boolean({ default: true, description: 'METRICS_PUBLIC' }),
  /** Variables catalog and external sources used by the decision path (velocity, bureau, ID check); default: the example consumer-loan file. */
  variablesFile: Type.Optional(Type.String({ minLength: 1, description: 'VARIABLES_FILE' })),
  /** On the first start of an empty database, decide a deterministic demo portfolio through the decision service. */
  demoData: Type.Boolean({ default: true, description: 'MINGJIAN_DEMO_DATA' }),
});

export type Config = Readonly<Static<typeof ConfigSchema>>;

const envNames: Record<keyof Static<typeof ConfigSchema>, string> = Object.fromEntries(
  Object.entries(ConfigSchema.properties).map(([k, v]) => [k, (v as { description: string }).description]),
) as Record<keyof Static<typeof ConfigSchema>, string>;

/** Every setting with its environment variable, default and meaning, for docs and `--help`. */
export function configReference(): { env: string; default?: unknown }[] {
  return Object.values(ConfigSchema.properties).map((p) => ({ env: (p as { description: string }).description, default: (p as { default?: unknown }).default }));
}

const ajv = new Ajv({ allErrors: true, useDefaults: true, coerceTypes: true });
const validate = ajv.compile(ConfigSchema);

/**
 * Reads the environment (or the given variables) once. Unknown variables are ignored; empty ones count as unset.
 * `overrides` (already typed) win over the environment; tests and the benchmark use them.
 */
export function loadConfig(env: Record<string, string | undefined> = process.env, overrides: Partial<Static<typeof ConfigSchema>> = {}): Config {
  const raw: Record<string, unknown> = {};
  for (const [key, name] of Object.entries(envNames)) {
    const value = env[name];
    if (value !== undefined && value !== '') raw[key] = value;
  }
  if (env.MINGJIAN_SEED_FLOWS === '') raw.seedFlowsDir = '';
  Object.assign(raw, overrides);
  if (!validate(raw)) {
    const details: ErrorDetail[] = (validate.errors ?? []).map((e) => {
      const key = e.instancePath.replace(/^\//, '') as keyof typeof envNames;
      const allowed = e.keyword === 'enum' ? `: ${(e.params as { allowedValues: string[] }).allowedValues.join(', ')}` : '';
      return { path: envNames[key] ?? key, message: `${e.message ?? 'invalid'}${allowed}` };
    });
    throw new MingjianError('VALIDATION', 'invalid configuration', details);
  }
  return Object.freeze(raw as Static<typeof ConfigSchema>);
}
