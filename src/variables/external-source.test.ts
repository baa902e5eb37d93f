import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { MingjianError } from '../kernel/errors.ts';
import { ExternalSources, validateExternalSources, type ExternalSourceConfig } from './external-source.ts';
import { handleSimulatedSource, isValidPrcIdNumber, simulatedCreditReport, simulatedSourceConfigs } from './simulated-sources.ts';

// A real local HTTP server: the simulations plus a few misbehaving endpoints the tests steer.
let server: Server;
let base = '';
const hits: Record<string, number> = {};
let healthy = true;
let lastAuth: string | undefined;

beforeAll(async () => {
  server = createServer((req, res) => {
    if (handleSimulatedSource(req, res)) return;
    const path = (req.url ?? '').split('?')[0]!;
    hits[path] = (hits[path] ?? 0) + 1;
    lastAuth = req.headers.authorization;
    const json = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (path === '/slow') setTimeout(() => json(200, { score: 1 }), 400);
    else if (path === '/toggle') json(healthy ? 200 : 503, healthy ? { score: 700 } : { error: 'down' });
    else if (path === '/flaky') json(hits[path]! % 2 === 1 ? 502 : 200, { score: 640, nested: { band: 'B' } });
    else if (path === '/not-json') res.end('<html>');
    else if (path.startsWith('/echo/')) json(200, { score: Number(path.slice(6)), nested: { band: 'A' } });
    else json(404, { error: 'no such path' });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((r) => {
  server.close(() => r());
  server.closeAllConnections(); // the sources keep their connections alive
}));
beforeEach(() => {
  for (const k of Object.keys(hits)) delete hits[k];
  healthy = true;
});

const noWait = { sleep: async () => {} };

function source(over: Partial<ExternalSourceConfig>): ExternalSourceConfig {
  return { name: 'bureau', method: 'GET', url: `${base}/echo/{{input.applicant.score}}`, response: { bureauScore: 'score', band: 'nested.band' }, fallback: { bureauScore: -1 }, ...over };
}

describe('external sources', () => {
  it('maps the response to variables and serves repeats from the cache keyed by the inputs', async () => {
    const sources = new ExternalSources([source({ cache: { ttlMs: 60_000 } })], { env: {} });
    const a = await sources.fetchForDecision(['bureau'], { applicant: { score: 612 } });
    expect(a.values).toEqual({ bureauScore: 612, band: 'A', bureauStatus: 'OK' });
    expect(a.outcomes[0]).toMatchObject({ status: 'OK', fromCache: false, attempts: 1, httpStatus: 200 });
    const b = await sources.fetchForDecision(['bureau'], { applicant: { score: 612 } });
    expect(b.outcomes[0]).toMatchObject({ status: 'OK', fromCache: true });
    expect(b.values).toEqual(a.values);
    expect(hits['/echo/612']).toBe(1);
    await sources.fetchForDecision(['bureau'], { applicant: { score: 613 } });
    expect(hits['/echo/613']).toBe(1); // other inputs, other cache entry
  });

  it('expires cache entries after their TTL', async () => {
    let now = 1_000_000;
    const sources = new ExternalSources([source({ cache: { ttlMs: 1000 } })], { env: {}, now: () => now });
    await sources.fetchForDecision(['bureau'], { applicant: { score: 1 } });
    now += 999;
    expect((await sources.fetchForDecision(['bureau'], { applicant: { score: 1 } })).outcomes[0]!.fromCache).toBe(true);
    now += 2;
    expect((await sources.fetchForDecision(['bureau'], { applicant: { score: 1 } })).outcomes[0]!.fromCache).toBe(false);
    expect(hits['/echo/1']).toBe(2);
  });

  it('falls back with SOURCE_TIMEOUT when the source is too slow, after retrying', async () => {
    const sources = new ExternalSources([source({ url: `${base}/slow`, timeoutMs: 50, retries: { count: 1, backoffMs: 10 } })], { env: {}, ...noWait });
    const r = await sources.fetchForDecision(['bureau'], {});
    expect(r.values).toEqual({ bureauScore: -1, band: null, bureauStatus: 'SOURCE_TIMEOUT' });
    expect(r.outcomes[0]).toMatchObject({ status: 'SOURCE_TIMEOUT', attempts: 2 });
  });

  it('retries server errors with backoff, and gives other failures their own reason codes', async () => {
    const delays: number[] = [];
    const sources = new ExternalSources(
      [
        source({ name: 'flaky', url: `${base}/flaky`, retries: { count: 3, backoffMs: 100 }, statusVariable: 'flakyStatus' }),
        source({ name: 'missing', url: `${base}/nowhere`, retries: { count: 3, backoffMs: 100 }, response: { m: 'x' }, fallback: {} }),
        source({ name: 'html', url: `${base}/not-json`, response: { h: 'x' }, fallback: {} }),
        source({ name: 'needsInput', url: `${base}/echo/{{input.absent}}`, response: { n: 'x' }, fallback: {} }),
      ],
      { env: {}, sleep: async (ms) => void delays.push(ms) },
    );
    const r = await sources.fetchForDecision(['flaky', 'missing', 'html', 'needsInput'], {});
    expect(r.values).toMatchObject({ bureauScore: 640, band: 'B', flakyStatus: 'OK', missingStatus: 'SOURCE_HTTP_ERROR', htmlStatus: 'SOURCE_BAD_RESPONSE', needsInputStatus: 'SOURCE_INPUT_MISSING' });
    expect(r.outcomes.find((o) => o.source === 'flaky')).toMatchObject({ attempts: 2 });
    expect(r.outcomes.find((o) => o.source === 'missing')).toMatchObject({ attempts: 1, httpStatus: 404 }); // 4xx: no retry
    expect(delays).toEqual([100]);
  });

  it('opens the circuit after consecutive failures, then closes it after a successful trial', async () => {
    let now = 0;
    const sources = new ExternalSources([source({ url: `${base}/toggle`, circuitBreaker: { failureThreshold: 3, openMs: 10_000 } })], { env: {}, now: () => now });
    const bureau = sources.get('bureau')!;
    healthy = false;
    for (let i = 0; i < 3; i++) expect((await bureau.fetch({})).status).toBe('SOURCE_HTTP_ERROR');
    expect(bureau.breaker!.state).toBe('open');
    healthy = true;
    expect((await bureau.fetch({})).status).toBe('SOURCE_CIRCUIT_OPEN');
    expect(hits['/toggle']).toBe(3); // no call while open
    now += 10_000;
    expect(bureau.breaker!.state).toBe('half-open');
    healthy = false;
    expect((await bureau.fetch({})).status).toBe('SOURCE_HTTP_ERROR'); // the trial fails: open again
    expect(bureau.breaker!.state).toBe('open');
    now += 10_000;
    healthy = true;
    expect((await bureau.fetch({})).values).toMatchObject({ bureauScore: 700, bureauStatus: 'OK' });
    expect(bureau.breaker!.state).toBe('closed');
    expect(hits['/toggle']).toBe(5);
  });

  it('reads header secrets from the environment and refuses a missing one at load', async () => {
    const config = source({ headers: { authorization: 'Bearer {{secret.BUREAU_TOKEN}}' } });
    const sources = new ExternalSources([config], { env: { BUREAU_TOKEN: 's3cret' } });
    await sources.fetchForDecision(['bureau'], { applicant: { score: 5 } });
    expect(lastAuth).toBe('Bearer s3cret');
    expect(() => validateExternalSources([config], {})).toThrow(MingjianError);
    try {
      validateExternalSources([config, { ...config, name: 'b2', url: 'nope {{secret.X}}', fallback: { other: 1 } }], {});
    } catch (err) {
      expect((err as MingjianError).details!.map((d) => d.path)).toEqual(['sources[0].headers.authorization', 'sources[1].headers.authorization', 'sources[1].url', 'sources[1].url', 'sources[1].fallback.other']);
    }
    await expect(sources.fetchForDecision(['nope'], {})).rejects.toThrow(/unknown external source/);
  });

  it('calls the simulated bureau and identity service over HTTP, deterministically', async () => {
    const sources = new ExternalSources(simulatedSourceConfigs(base), { env: {} });
    const application = { idNumber: '11010519491231002X', fullName: 'Test Person', phone: '13800000000' };
    const r = await sources.fetchForDecision(['creditBureau', 'identityVerification'], application);
    expect(r.outcomes.map((o) => o.status)).toEqual(['OK', 'OK']);
    expect(r.values.idValid).toBe(true);
    const report = simulatedCreditReport({ idNumber: application.idNumber });
    expect(r.values.bureauScore).toBe('score' in report ? report.score : undefined);
    const again = await new ExternalSources(simulatedSourceConfigs(base), { env: {} }).fetchForDecision(['creditBureau', 'identityVerification'], application);
    expect(again.values).toEqual(r.values);
    const invalid = await sources.fetchForDecision(['identityVerification'], { idNumber: '110105194912310021', fullName: 'X', phone: '1' });
    expect(invalid.values).toMatchObject({ idValid: false, idNameMatch: false });
    expect(isValidPrcIdNumber('11010519491231002X')).toBe(true);
  });

  it('gives a bureau score distribution that looks like one', () => {
    const scores = Array.from({ length: 2000 }, (_, i) => simulatedCreditReport({ idNumber: `ID${i}` })).map((r) => ('score' in r ? r.score : null));
    const hitScores = scores.filter((s): s is number => s !== null);
    expect(hitScores.length).toBeGreaterThan(1800);
    expect(Math.min(...hitScores)).toBeGreaterThanOrEqual(300);
    expect(Math.max(...hitScores)).toBeLessThanOrEqual(850);
    expect(new Set(hitScores).size).toBeGreaterThan(100);
  });
});
