// The web console: the static files of web/ at /console/ (public: the files hold no data; every API call the page
// makes carries the user's key), and GET /v1/whoami so the page can show who is signed in and hide the actions that
// user's roles may not take. See docs/console.md.
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Type } from '@sinclair/typebox';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { MingjianError } from '../../kernel/errors.ts';
import { callerOf } from '../app.ts';
import { hasPermission, PERMISSIONS, type Permission } from '../services/access.ts';
import { errors } from '../schemas.ts';

const webDir = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'web');

const CONTENT_TYPES: Record<string, string> = {
  html: 'text/html; charset=utf-8',
  js: 'text/javascript; charset=utf-8',
  css: 'text/css; charset=utf-8',
  svg: 'image/svg+xml',
};

/** No inline script or style, no third-party origin, no framing: the console talks only to this service. */
export const CONSOLE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "font-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

interface Asset {
  body: Buffer;
  type: string;
  etag: string;
}

/** One path segment of a servable name: no dot files, no `..`, nothing a URL would need to escape. */
const SEGMENT = /^[a-z0-9][a-z0-9_-]*$/i;
const FILE_NAME = /^([a-z0-9][a-z0-9_-]*)\.(html|js|css|svg)$/i;

/**
 * Every servable file under web/ by its path relative to web/ (`index.html`, `js/api.js`), read once at start: the
 * set is small and fixed per release, and a lookup in this map is the only way a request reaches a file, so no
 * request path is ever joined onto the file system.
 */
function loadAssets(dir = webDir, prefix = '', assets = new Map<string, Asset>()): Map<string, Asset> {
  if (!existsSync(dir)) return assets;
  for (const name of readdirSync(dir).sort()) {
    const full = join(dir, name);
    if (statSync(full).isDirectory()) {
      if (SEGMENT.test(name)) loadAssets(full, `${prefix}${name}/`, assets);
      continue;
    }
    const m = FILE_NAME.exec(name);
    if (!m) continue;
    const body = readFileSync(full);
    assets.set(prefix + name, { body, type: CONTENT_TYPES[m[2]!.toLowerCase()]!, etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"` });
  }
  return assets;
}

function securityHeaders(reply: FastifyReply): FastifyReply {
  return reply
    .header('content-security-policy', CONSOLE_CSP)
    .header('x-content-type-options', 'nosniff')
    .header('x-frame-options', 'DENY')
    .header('referrer-policy', 'no-referrer')
    .header('cross-origin-opener-policy', 'same-origin')
    .header('cross-origin-resource-policy', 'same-origin')
    .header('permissions-policy', 'camera=(), microphone=(), geolocation=(), payment=()');
}

function send(reply: FastifyReply, asset: Asset, ifNoneMatch: string | undefined): FastifyReply {
  // Revalidate every time: a release changes the files under the same names.
  securityHeaders(reply).header('cache-control', 'no-cache').header('etag', asset.etag);
  if (ifNoneMatch === asset.etag) return reply.code(304).send();
  return reply.type(asset.type).send(asset.body);
}

export default async function consoleRoutes(app: FastifyInstance): Promise<void> {
  const assets = loadAssets();
  const pub = { config: { auth: 'public' as const }, schema: { hide: true } };

  app.get('/console', pub, async (_request, reply) => securityHeaders(reply).redirect('/console/', 302));

  app.get('/console/', pub, async (request, reply) => {
    const index = assets.get('index.html');
    if (!index) throw new MingjianError('NOT_FOUND', 'the console is not installed (web/index.html is missing)');
    return send(reply, index, request.headers['if-none-match']);
  });

  app.get<{ Params: { '*': string } }>('/console/*', pub, async (request, reply) => {
    const path = request.params['*'];
    const asset = assets.get(path);
    if (!asset) throw new MingjianError('NOT_FOUND', `no console file '${path.slice(0, 200)}'`);
    return send(reply, asset, request.headers['if-none-match']);
  });

  const permissions = Object.keys(PERMISSIONS) as Permission[];
  app.get(
    '/v1/whoami',
    {
      config: { auth: 'authenticated' },
      schema: {
        tags: ['access'],
        summary: 'The caller: user, roles and the permissions they grant',
        response: {
          200: Type.Object({
            userId: Type.String(),
            userName: Type.String(),
            keyId: Type.String(),
            roles: Type.Array(Type.String()),
            permissions: Type.Array(Type.String(), { description: 'every permission the roles grant (the console hides the other actions)' }),
          }),
          ...errors(401),
        },
      },
    },
    async (request) => {
      const caller = callerOf(request);
      return { userId: caller.userId, userName: caller.userName, keyId: caller.keyId, roles: caller.roles, permissions: permissions.filter((p) => hasPermission(caller, p)) };
    },
  );
}
