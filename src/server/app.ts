// The Fastify app factory: plugins, auth, errors, and every route file in ./routes (found by name, see README.md).
// `buildApp` opens no port, so tests drive it with inject; src/server/server.ts adds the listener around it.
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import rateLimit from '@fastify/rate-limit';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import { Redis } from 'ioredis';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance, type FastifyPluginAsync } from 'fastify';
import type { Config } from '../config.ts';
import { MingjianError } from '../kernel/errors.ts';
import { handleError } from './errors.ts';
import { createLogger } from './logger.ts';
import { hasPermission, type Caller, type Permission } from './services/access.ts';
import type { Services } from './services/index.ts';

declare module 'fastify' {
  interface FastifyInstance {
    services: Services;
    config: Config;
    /** For /readyz. */
    isReady: () => boolean;
  }
  interface FastifyRequest {
    /** The authenticated caller; null on public routes. */
    caller: Caller | null;
  }
  interface FastifyContextConfig {
    /** `public` (no key), `authenticated` (any valid key; the default) or the permission the route needs. */
    auth?: 'public' | 'authenticated' | Permission;
  }
}

export interface AppDeps {
  services: Services;
  /** For /readyz: true once migrations ran and flows are loaded. */
  isReady?: () => boolean;
  /** Defaults to a JSON logger at LOG_LEVEL with credentials and personal data redacted. */
  logger?: FastifyBaseLogger;
}

const routesDir = join(dirname(fileURLToPath(import.meta.url)), 'routes');

/** Route files: src/server/routes/<area>.ts, each with a default export that is a Fastify plugin. */
export function routeFiles(): string[] {
  return readdirSync(routesDir)
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts') && !f.startsWith('_'))
    .sort();
}

/** The caller of a route that is not public (auth ran in onRequest). */
export function callerOf(request: { caller: Caller | null }): Caller {
  if (!request.caller) throw new MingjianError('UNAUTHORIZED', 'authentication required');
  return request.caller;
}

export async function buildApp(config: Config, deps: AppDeps): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: deps.logger ?? createLogger(config),
    // One log line per request (onResponse below) instead of Fastify's two.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: config.bodyLimitBytes,
    trustProxy: false,
    ajv: { customOptions: { allErrors: true, removeAdditional: false, coerceTypes: 'array', useDefaults: true } },
    return503OnClosing: true,
  });
  app.decorate('services', deps.services);
  app.decorate('config', config);
  app.decorate('isReady', deps.isReady ?? (() => true));
  app.decorateRequest('caller', null);

  // Flow documents may be sent as YAML text (or JSON text with a YAML content type).
  app.addContentTypeParser(['application/yaml', 'application/x-yaml', 'text/yaml', 'text/plain'], { parseAs: 'string' }, (_req, body, done) => done(null, body));

  app.setErrorHandler((err, request, reply) => handleError(err, request, reply, (code) => deps.services.metrics.httpError(code)));
  app.setNotFoundHandler((request, reply) => handleError(new MingjianError('NOT_FOUND', `no route ${request.method} ${request.url.split('?')[0]}`), request, reply, (code) => deps.services.metrics.httpError(code)));

  app.addHook('onRoute', (route) => {
    if (route.url.startsWith('/docs')) route.config = { ...(route.config ?? {}), auth: 'public' };
  });

  app.addHook('onRequest', async (request) => {
    if (request.is404) return;
    const auth = request.routeOptions.config.auth ?? 'authenticated';
    if (auth === 'public') return;
    const header = request.headers.authorization;
    if (!header) throw new MingjianError('UNAUTHORIZED', 'missing credentials: send the header "Authorization: Bearer <api key>"');
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (!match) throw new MingjianError('UNAUTHORIZED', 'the Authorization header must be "Bearer <api key>"');
    const caller = await deps.services.access.authenticate(match[1]!);
    if (!caller) throw new MingjianError('UNAUTHORIZED', 'unknown, revoked or expired API key');
    request.caller = caller;
    if (auth !== 'authenticated' && !hasPermission(caller, auth)) {
      throw new MingjianError('FORBIDDEN', `this endpoint needs the '${auth}' permission, which role ${caller.roles.join(', ') || '(none)'} does not have`);
    }
  });

  app.addHook('onResponse', async (request, reply) => {
    request.log.info({ method: request.method, url: request.routeOptions.url ?? request.url.split('?')[0], status: reply.statusCode, ms: Math.round(reply.elapsedTime * 100) / 100, key: request.caller?.keyId }, 'request');
  });

  // With REDIS_URL the counters are shared by every process behind the load balancer; otherwise they are per process.
  const redis = config.redisUrl ? new Redis(config.redisUrl, { lazyConnect: false, maxRetriesPerRequest: 1, enableOfflineQueue: true }) : undefined;
  if (redis) app.addHook('onClose', async () => void (await redis.quit().catch(() => undefined)));
  await app.register(rateLimit, {
    global: true,
    ...(redis ? { redis, nameSpace: 'mingjian-rate:', skipOnError: true } : {}),
    hook: 'preHandler',
    timeWindow: config.rateLimitWindowMs,
    keyGenerator: (req) => req.caller?.keyId ?? req.ip,
    allowList: (req) => req.caller === null,
    max: (req) => {
      const perMinute = req.caller?.rateLimitPerMinute;
      return perMinute ? Math.max(1, Math.ceil((perMinute * config.rateLimitWindowMs) / 60000)) : config.rateLimitMax;
    },
    errorResponseBuilder: (_req, ctx) => new MingjianError('RATE_LIMITED', `rate limit of ${ctx.max} requests per ${config.rateLimitWindowMs} ms exceeded for this API key; retry in ${ctx.after}`),
  });

  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: { title: 'Mingjian decision service', version: '1', description: 'Credit decisions, decision records, flow governance, keys and the audit log.' },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'An API key: Authorization: Bearer mj_...' } } },
      security: [{ bearer: [] }],
    },
    // The request schemas are JSON Schema (draft-07, what Ajv validates), where exclusiveMinimum/Maximum are numbers;
    // OpenAPI 3.0 wants them as flags beside minimum/maximum.
    transformObject: (doc) => toOpenApi30Bounds('openapiObject' in doc ? doc.openapiObject : doc.swaggerObject) as Record<string, never>,
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });

  app.get('/openapi.json', { config: { auth: 'public' }, schema: { hide: true } }, async () => app.swagger());

  for (const file of routeFiles()) {
    const mod = (await import(pathToFileURL(join(routesDir, file)).href)) as { default?: FastifyPluginAsync };
    if (typeof mod.default !== 'function') throw new Error(`route file ${file} has no default export (a Fastify plugin)`);
    await app.register(mod.default);
  }
  return app;
}

/** Rewrites numeric `exclusiveMinimum: n` as `minimum: n, exclusiveMinimum: true` (and the same for maximum). */
export function toOpenApi30Bounds(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(toOpenApi30Bounds);
  if (node === null || typeof node !== 'object') return node;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(node)) out[k] = toOpenApi30Bounds(v);
  for (const [flag, bound] of [['exclusiveMinimum', 'minimum'], ['exclusiveMaximum', 'maximum']] as const) {
    if (typeof out[flag] === 'number') {
      out[bound] = out[flag];
      out[flag] = true;
    }
  }
  return out;
}
