// The web console (web/, served by src/server/routes/console.ts): its files come with the CSP and the right content
// types, /v1/whoami tells the page who is signed in, every API path the console calls exists in /openapi.json with that
// method, and the console's pure helpers (money, trace, SLA, graph layout) do what the screens rely on.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from './helpers.ts';

const webDir = fileURLToPath(new URL('../../web', import.meta.url));

/** The browser modules are plain JS (no type declarations): imported by URL and typed here by what the test uses. */
async function webModule<T>(path: string): Promise<T> {
  return (await import(pathToFileURL(join(webDir, path)).href)) as T;
}

interface ApiModule {
  ENDPOINTS: Record<string, [string, string]>;
  GOVERNED_KINDS: string[];
  expandPath(template: string, params?: Record<string, unknown>): string;
  queryString(query?: Record<string, unknown>): string;
}

interface TraceRow { depth: number; node: string; type: string; what: string; detail: string; micros: number | null }
interface FormatModule {
  formatMinor(minor: unknown, currency?: string): string;
  formatPercent(ratio: unknown, digits?: number): string;
  formatDuration(ms: number): string;
  slaClock(kase: Record<string, unknown>, now: number): { phase: string; remainingMs: number | null; breached: boolean; label: string };
  flattenTrace(trace: unknown): TraceRow[];
  problemsByLine(problems: unknown[]): Map<number, unknown[]>;
  formatProblem(problem: Record<string, unknown>): string;
  offsetOf(text: string, line: number, column?: number): number;
  layoutNeighbourhood(graph: unknown, width?: number, height?: number): { nodes: { id: string; identifier?: boolean; root?: boolean; x: number; y: number }[]; edges: { from: string; to: string }[] };
}

function webFiles(dir = webDir): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = join(dir, name);
    return statSync(full).isDirectory() ? webFiles(full) : [relative(webDir, full).split('\\').join('/')];
  });
}

const TYPES: Record<string, RegExp> = { html: /^text\/html; charset=utf-8$/, js: /^text\/javascript; charset=utf-8$/, css: /^text\/css; charset=utf-8$/, svg: /^image\/svg\+xml/ };

describe('web console', () => {
  let t: TestServer;

  beforeAll(async () => {
    t = await startTestServer('sqlite', 'console');
  });
  afterAll(async () => t?.close());

  it('serves index.html at /console/ with a strict CSP and no inline script or style', async () => {
    const redirect = await fetch(`${t.url}/console`, { redirect: 'manual' });
    expect(redirect.status).toBe(302);
    expect(redirect.headers.get('location')).toBe('/console/');

    const res = await fetch(`${t.url}/console/`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    const csp = res.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toMatch(/unsafe-inline|unsafe-eval/);
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    const html = await res.text();
    // Every script has a src (the CSP would block an inline one anyway); no inline style or event handler attribute.
    const scripts = [...html.matchAll(/<script\b([^>]*)>/g)].map((m) => m[1]!);
    expect(scripts.length).toBeGreaterThan(0);
    for (const attrs of scripts) expect(attrs).toMatch(/\bsrc="[^"]+"/);
    expect(html).not.toMatch(/<style\b|\sstyle="|\son[a-z]+="/i);
    // What the page links to is served.
    for (const [, ref] of html.matchAll(/(?:src|href)="([^"#:]+)"/g)) {
      expect((await fetch(`${t.url}/console/${ref}`)).status, ref).toBe(200);
    }
  });

  it('serves every file of web/ with its content type and the CSP; revalidates by ETag; refuses anything else', async () => {
    const files = webFiles();
    expect(files).toEqual(expect.arrayContaining(['index.html', 'js/api.js', 'js/app.js', 'css/console.css']));
    for (const file of files) {
      const ext = file.split('.').pop()!;
      const res = await fetch(`${t.url}/console/${file}`);
      expect(res.status, file).toBe(200);
      expect(res.headers.get('content-type'), file).toMatch(TYPES[ext]!);
      expect(res.headers.get('content-security-policy'), file).toContain("script-src 'self'");
      expect(Buffer.from(await res.arrayBuffer()).equals(readFileSync(join(webDir, file))), file).toBe(true);
      const etag = res.headers.get('etag')!;
      expect((await fetch(`${t.url}/console/${file}`, { headers: { 'if-none-match': etag } })).status, file).toBe(304);
    }
    for (const bad of ['nope.js', 'js/../../package.json', 'js/%2e%2e/%2e%2e/package.json', '.eslintrc.js', 'js/api.ts']) {
      const res = await fetch(`${t.url}/console/${bad}`);
      expect(res.status, bad).toBe(404);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('NOT_FOUND');
    }
  });

  it('has every relative import of a console module resolve to a served file', async () => {
    for (const file of webFiles().filter((f) => f.endsWith('.js'))) {
      const source = readFileSync(join(webDir, file), 'utf8');
      for (const [, spec] of source.matchAll(/^\s*(?:import|export)\b[^'"]*?from\s+'([^']+)'/gm)) {
        expect(spec, `${file} imports ${spec}`).toMatch(/^\.\.?\/.*\.js$/);
        const target = new URL(spec!, `http://x/console/${file}`).pathname;
        expect((await fetch(`${t.url}${target}`)).status, `${file} -> ${spec}`).toBe(200);
      }
    }
  });

  it('answers /v1/whoami with the caller, roles and permissions; 401 without a valid key', async () => {
    const admin = await t.request('GET', '/v1/whoami');
    expect(admin.status).toBe(200);
    expect(admin.body).toMatchObject({ userName: 'admin', roles: ['admin'] });
    expect(admin.body.permissions).toEqual(expect.arrayContaining(['access:manage', 'audit:read', 'objects:approve']));

    const key = await t.keyFor('ivy', ['investigator']);
    const investigator = await t.request('GET', '/v1/whoami', { key });
    expect(investigator.status).toBe(200);
    expect(investigator.body).toMatchObject({ userName: 'ivy', roles: ['investigator'], userId: expect.stringMatching(/^usr_/), keyId: expect.stringMatching(/^key_/) });
    expect(investigator.body.permissions).toEqual(expect.arrayContaining(['fraud:investigate', 'decisions:read', 'watchlists:propose']));
    expect(investigator.body.permissions).not.toContain('objects:edit');
    expect(investigator.body.permissions).not.toContain('audit:read');
    expect(JSON.stringify(investigator.body)).not.toContain(key);

    const none = await t.request('GET', '/v1/whoami', { key: null });
    expect(none.status).toBe(401);
    expect(none.body.error).toMatchObject({ code: 'UNAUTHORIZED', message: expect.stringContaining('Authorization: Bearer') });
    expect((await t.request('GET', '/v1/whoami', { key: 'mj_not_a_real_key_at_all_000000' })).status).toBe(401);
  });

  it('calls only API paths that exist in /openapi.json with that method', async () => {
    const { ENDPOINTS, GOVERNED_KINDS } = await webModule<ApiModule>('js/api.js');
    const doc = (await t.request('GET', '/openapi.json')).body as { paths: Record<string, Record<string, unknown>> };
    const entries = Object.entries(ENDPOINTS);
    expect(entries.length).toBeGreaterThan(30);
    const missing = entries.filter(([, [method, path]]) => !doc.paths[path]?.[method.toLowerCase()]).map(([name, [method, path]]) => `${name}: ${method} ${path}`);
    expect(missing).toEqual([]);

    // No module goes around the table: no other file names an API path, and every call('name') is in the table.
    const names = new Set(Object.keys(ENDPOINTS));
    for (const file of webFiles().filter((f) => f.endsWith('.js'))) {
      const source = readFileSync(join(webDir, file), 'utf8');
      if (file !== 'js/api.js') expect(source, file).not.toMatch(/['"`]\/v1\//);
      for (const [, name] of source.matchAll(/\bcall\(\s*'([^']+)'/g)) expect(names.has(name!), `${file} calls '${name}'`).toBe(true);
      for (const [, suffix] of source.matchAll(/\bcall\(\s*`\$\{kind\}\.([a-z]+)`/g)) {
        for (const kind of GOVERNED_KINDS) expect(names.has(`${kind}.${suffix}`), `${file} calls '${kind}.${suffix}'`).toBe(true);
      }
    }
  });

  it('expands path templates safely', async () => {
    const { expandPath, queryString } = await webModule<ApiModule>('js/api.js');
    expect(expandPath('/v1/flows/{id}/versions/{version}', { id: 'a/b c', version: 2 })).toBe('/v1/flows/a%2Fb%20c/versions/2');
    expect(() => expandPath('/v1/flows/{id}', {})).toThrow(/'id' is missing/);
    expect(queryString({ flow: 'consumer-loan', decision: '', cursor: undefined, limit: 50 })).toBe('?flow=consumer-loan&limit=50');
    expect(queryString({})).toBe('');
  });
});

describe('console helpers (web/js/format.js)', () => {
  let f: FormatModule;
  beforeAll(async () => {
    f = await webModule<FormatModule>('js/format.js');
  });

  it('formats integer minor units as money without floating point', () => {
    expect(f.formatMinor(1_500_000)).toBe('15,000.00');
    expect(f.formatMinor(5)).toBe('0.05');
    expect(f.formatMinor(0)).toBe('0.00');
    expect(f.formatMinor(-123_456_789)).toBe('-1,234,567.89');
    expect(f.formatMinor(Number.MAX_SAFE_INTEGER)).toBe('90,071,992,547,409.91');
    expect(f.formatMinor(1999, 'CNY')).toBe('CNY 19.99');
    expect(f.formatMinor(1999, 'JPY')).toBe('JPY 1,999');
    expect(f.formatMinor(null)).toBe('—');
    expect(f.formatMinor(12.5)).toBe('12.5 (not minor units)');
    expect(f.formatPercent(0.169)).toBe('16.9%');
    expect(f.formatPercent(0.2)).toBe('20%');
  });

  it('runs SLA clocks from the due dates: response until started, then resolution; overdue is breached', () => {
    const opened = Date.parse('2026-01-01T00:00:00Z');
    const kase = { state: 'open', startedAt: null, responseDueAt: '2026-01-01T00:15:00Z', resolutionDueAt: '2026-01-01T04:00:00Z', sla: { breached: false } };
    expect(f.slaClock(kase, opened + 5 * 60_000)).toMatchObject({ phase: 'response', remainingMs: 10 * 60_000, breached: false, label: 'response in 10m 0s' });
    expect(f.slaClock(kase, opened + 20 * 60_000)).toMatchObject({ phase: 'response', breached: true, label: 'response overdue 5m 0s' });
    const started = { ...kase, state: 'investigating', startedAt: '2026-01-01T00:10:00Z' };
    expect(f.slaClock(started, opened + 20 * 60_000)).toMatchObject({ phase: 'resolution', breached: false, label: 'resolution in 3h 40m' });
    expect(f.slaClock({ ...started, sla: { breached: true } }, opened + 20 * 60_000).breached).toBe(true);
    expect(f.slaClock({ ...kase, state: 'resolved', resolvedAt: '2026-01-01T01:00:00Z' }, opened).phase).toBe('resolved');
    expect(f.formatDuration(2 * 86_400_000 + 3 * 3_600_000)).toBe('2d 3h');
  });

  it('locates validation problems by line and column', () => {
    const text = 'id: x\nversion: 1\ninputs:\n  a: { type: integr }\n';
    const problems = [{ message: 'has a value that is not allowed', path: 'inputs.a.type', line: 4, column: 14, expected: 'one of number, integer' }, { message: 'no nodes' }];
    const byLine = f.problemsByLine(problems);
    expect([...byLine.keys()].sort()).toEqual([0, 4]);
    expect(f.formatProblem(problems[0]!)).toBe('4:14 inputs.a.type: has a value that is not allowed (expected one of number, integer)');
    expect(text.slice(f.offsetOf(text, 4, 14), f.offsetOf(text, 4, 14) + 6)).toBe('integr');
    expect(f.offsetOf(text, 99)).toBe(text.length);
  });

  it('lays out a graph neighbourhood inside the box with the root in the centre', () => {
    const graph = {
      root: 'a1',
      applications: [{ id: 'a1', hop: 0, status: 'approved' }, { id: 'a2', hop: 1, status: 'declined' }, { id: 'a3', hop: 1, status: 'approved' }, { id: 'a4', hop: 2, status: 'review' }],
      identifiers: [{ key: 'h-ip', kind: 'ip', applications: 3 }, { key: 'h-dev', kind: 'device', applications: 2 }, { key: 'h-lonely', kind: 'phone', applications: 1 }, { key: 'h-own', kind: 'idNumber', applications: 1 }],
      links: [
        { application: 'a1', identifier: 'h-ip', role: 'ip' }, { application: 'a2', identifier: 'h-ip', role: 'ip' }, { application: 'a3', identifier: 'h-ip', role: 'ip' },
        { application: 'a3', identifier: 'h-dev', role: 'deviceId' }, { application: 'a4', identifier: 'h-dev', role: 'deviceId' },
        { application: 'a2', identifier: 'h-own', role: 'idNumber' },
      ],
    };
    const layout = f.layoutNeighbourhood(graph, 600, 400);
    const root = layout.nodes.find((n) => n.id === 'a1')!;
    expect(root).toMatchObject({ root: true, x: 300, y: 200 });
    for (const n of layout.nodes) {
      expect(n.x).toBeGreaterThanOrEqual(0);
      expect(n.x).toBeLessThanOrEqual(600);
      expect(n.y).toBeGreaterThanOrEqual(0);
      expect(n.y).toBeLessThanOrEqual(400);
    }
    // Identifiers that tie no two shown applications together are left out; every edge joins two drawn nodes.
    expect(layout.nodes.map((n) => n.id).sort()).toEqual(['a1', 'a2', 'a3', 'a4', 'h-dev', 'h-ip']);
    expect(layout.edges).toHaveLength(5);
    const ids = new Set(layout.nodes.map((n) => n.id));
    for (const e of layout.edges) expect(ids.has(e.from) && ids.has(e.to)).toBe(true);
    // The shared identifier of apps all around the root is nudged off the root.
    const ip = layout.nodes.find((n) => n.id === 'h-ip')!;
    expect(Math.hypot(ip.x - 300, ip.y - 200)).toBeGreaterThan(10);
  });
});

describe('trace flattening on real decisions', () => {
  let t: TestServer;
  let f: FormatModule;

  beforeAll(async () => {
    t = await startTestServer('sqlite', 'console-trace');
    f = await webModule<FormatModule>('js/format.js');
  });
  afterAll(async () => t?.close());

  it('turns a stored trace into rows: nodes in order, the rules that fired beneath them, subflows nested', async () => {
    const decided = await t.request('POST', '/v1/decisions?trace=true', { body: { flow: 'small-loan', application: { applicantId: 'a-1', phone: '17012345678', idNumber: '110101199001011234', age: 30, monthlyIncome: 1000, requestedAmount: 5000 } } });
    expect(decided.status).toBe(200);
    const record = await t.request('GET', `/v1/decisions/${decided.body.id}`);
    const rows = f.flattenTrace(record.body.trace);
    expect(rows.filter((r) => r.depth === 0).map((r) => `${r.node}:${r.type}`)).toEqual(['eligibility:ruleset', 'done:outcome']);
    expect(rows[0]).toMatchObject({ node: 'eligibility', what: '1 rule fired' });
    expect(rows[0]!.micros).toBeGreaterThan(0);
    expect(rows[1]).toMatchObject({ depth: 1, node: 'eligibility', what: 'rule virtual-carrier (F01) → review' });
    expect(rows[1]!.detail).toContain('phone = 170****5678');
    expect(rows.find((r) => r.node === 'done' && r.what === 'outputs')!.detail).toContain('ratio = 5');

    const parent = await t.request('POST', '/v1/decisions?trace=true', { body: { flow: 'parent-loan', application: { age: 30, amount: 200000 } } });
    expect(parent.status).toBe(200);
    const nested = f.flattenTrace((await t.request('GET', `/v1/decisions/${parent.body.id}`)).body.trace);
    const sub = nested.findIndex((r) => r.what.startsWith('subflow age-check'));
    expect(sub).toBeGreaterThan(0);
    expect(nested[sub]!.depth).toBe(1);
    expect(nested.slice(sub + 1).some((r) => r.depth === 2)).toBe(true);
    expect(nested.filter((r) => r.depth === 0).map((r) => r.node)).toEqual(['ageGate', 'rules', 'done']);
  });
});
