// `npm run bench:api [-- --json] [--duration S] [--connections N] [--only sqlite|postgres] [--bureau separate|self]
//   [--flow consumer-loan|reference-policy]`
// Starts the service as its own process (SQLite in a temporary file, then PostgreSQL in a temporary schema), drives it
// over loopback with autocannon using decisions of one flow (consumer-loan unless --flow) with unique idempotency keys,
// and reports decisions/s and latency. Every counted decision is a 200 whose record was committed before the answer (group commit).
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { parse as parseYaml } from 'yaml';
import { demoPortfolio, idNumberCheckDigit } from '../src/server/demo-portfolio.ts';
import { simulatedSourceConfigs } from '../src/variables/simulated-sources.ts';

const require = createRequire(import.meta.url);
const autocannon = require('autocannon') as (opts: Record<string, unknown>) => Promise<AutocannonResult>;

interface AutocannonResult {
  latency: { p50: number; p90: number; p99: number; average: number; max: number };
  requests: { average: number; total: number };
  '2xx': number;
  non2xx: number;
  errors: number;
  timeouts: number;
  duration: number;
}

const root = fileURLToPath(new URL('..', import.meta.url));
const { values: args } = parseArgs({
  options: {
    json: { type: 'boolean', default: false },
    duration: { type: 'string', default: '10' },
    warmup: { type: 'string', default: '3' },
    connections: { type: 'string', default: '16' },
    only: { type: 'string' },
    // Writes a V8 CPU profile of the service to this folder (open it in Chrome DevTools) to see where time goes.
    'cpu-prof': { type: 'string' },
    'pg-url': { type: 'string', default: 'postgres://postgres@127.0.0.1:5432/test' },
    // Where the SIMULATED bureau and identity check run: `separate`, a process of their own as a real provider would
    // be (the default), or `self`, served by the service under test as in the demo (3 HTTP requests per decision).
    bureau: { type: 'string', default: 'separate' },
    // `consumer-loan` (the default: bureau and identity calls, velocity, identity graph, cases) or `reference-policy`
    // (the shared yardstick policy: no enrichment, so the figure is the service's own path: HTTP, validation,
    // evaluation, sealing, the durable record).
    flow: { type: 'string', default: 'consumer-loan' },
  },
});
if (args.flow !== 'consumer-loan' && args.flow !== 'reference-policy') {
  process.stderr.write(`--flow: must be 'consumer-loan' or 'reference-policy', got '${args.flow}'\n`);
  process.exit(2);
}
if (args.bureau !== 'separate' && args.bureau !== 'self') {
  process.stderr.write(`--bureau: must be 'separate' or 'self', got '${args.bureau}'\n`);
  process.exit(2);
}
const ADMIN_KEY = `mj_bench_${Math.random().toString(36).slice(2)}_admin_key_000000`;
const MASTER_KEY = `bench:${Buffer.alloc(32, 9).toString('base64')}`;
// Traffic like a lending app's: the demo portfolio's applicants, each request with identifiers of its own (a new
// person, phone, device and card per application, with the portfolio's share of office IPs), so velocity counts,
// the identity graph and cases see what production sees rather than four people applying thousands of times.
const pool = demoPortfolio(Date.now(), { honest: 4000, seed: 7 }).filter((a) => !a.ring).map((a) => a.application);
const digits = (n: number, width: number) => String(n % 10 ** width).padStart(width, '0');
function applicationFor(i: number): Record<string, unknown> {
  const base = pool[i % pool.length]!;
  const birth = new Date(Date.UTC(1968, 0, 1) + ((i * 7919) % 12_000) * 86_400_000).toISOString().slice(0, 10);
  const first17 = String(base.idNumber).slice(0, 6) + birth.replaceAll('-', '') + digits(Math.floor(i / 12_000), 3);
  return {
    ...base,
    applicationId: `B-${i}`,
    applicantId: `C-B${i}`,
    idNumber: first17 + idNumberCheckDigit(first17),
    birthDate: birth,
    phone: `13${digits(i * 7 + 100_000_000, 9)}`,
    deviceId: `dev-b${i.toString(16)}`,
    bankCard: `6222${digits(i, 12)}`,
    contactPhones: [`15${digits(i * 13 + 200_000_000, 9)}`],
  };
}
// The reference policy's own generator, read from ../shared at run time (it is not part of this repository).
const referenceApplications: Record<string, unknown>[] = args.flow === 'reference-policy'
  ? ((await import(pathToFileURL(join(root, '../shared/bench/reference-policy/data.mjs')).href)) as { generateApplications: (n: number, seed: number) => Record<string, unknown>[] }).generateApplications(20_000, 7)
  : [];
const requestFor = (i: number) => args.flow === 'reference-policy'
  ? { flow: 'reference-policy', application: referenceApplications[i % referenceApplications.length] }
  : { flow: 'consumer-loan', application: applicationFor(i) };
const say = (msg: string) => {
  if (!args.json) process.stderr.write(`${msg}\n`);
};

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.listen(0, '127.0.0.1', () => {
      const a = srv.address();
      srv.close(() => (typeof a === 'object' && a ? resolve(a.port) : reject(new Error('no port'))));
    });
  });
}

/** Starts bench/simulated-bureau.ts and writes a variables file whose sources call it; returns that file. */
async function startBureau(dataDir: string): Promise<{ child: ChildProcess; variablesFile: string }> {
  const port = await freePort();
  const child = spawn(process.execPath, ['--import', 'tsx', 'bench/simulated-bureau.ts', String(port)], { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((resolve, reject) => {
    child.once('exit', () => reject(new Error('the simulated bureau exited during start')));
    child.stdout!.once('data', () => resolve());
  });
  // The example catalog with the same two sources, addressed to the bureau's process instead of the service's own.
  const doc = parseYaml(readFileSync(join(root, 'src/variables/examples/consumer-loan.variables.yaml'), 'utf8')) as { sources: unknown[] };
  doc.sources = simulatedSourceConfigs(`http://127.0.0.1:${port}`);
  const variablesFile = join(dataDir, 'variables.json');
  writeFileSync(variablesFile, JSON.stringify(doc));
  return { child, variablesFile };
}

async function startService(databaseUrl: string, dataDir: string, variablesFile: string | null): Promise<{ child: ChildProcess; url: string }> {
  const port = await freePort();
  const child = spawn(process.execPath, [...(args['cpu-prof'] ? ['--cpu-prof', `--cpu-prof-dir=${args['cpu-prof']}`] : []), '--import', 'tsx', 'src/main.ts'], {
    cwd: root,
    env: {
      ...process.env,
      PORT: String(port),
      HOST: '127.0.0.1',
      DATABASE_URL: databaseUrl,
      MINGJIAN_DATA_DIR: dataDir,
      MINGJIAN_ADMIN_KEY: ADMIN_KEY,
      MINGJIAN_MASTER_KEY: MASTER_KEY,
      LOG_LEVEL: 'warn',
      RATE_LIMIT_MAX: '100000000',
      ...(variablesFile ? { VARIABLES_FILE: variablesFile } : {}),
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 600; i++) {
    if (child.exitCode !== null) throw new Error('the service exited during start');
    try {
      if ((await fetch(`${url}/readyz`)).status === 200) return { child, url };
    } catch {
      // not yet listening
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('the service did not become ready');
}

const PHASES = ['enrich', 'evaluate', 'commit', 'follow'] as const;

/** Decisions recorded, CPU seconds the service process has used, and time per decision phase, from its /metrics. */
async function serviceCounters(url: string): Promise<{ decisions: number; cpuSeconds: number; phases: Record<string, { sum: number; count: number }> }> {
  const lines = (await (await fetch(`${url}/metrics`)).text()).split('\n');
  const value = (l: string) => Number(l.split(' ').pop());
  const phase = (name: string, part: 'sum' | 'count') => value(lines.find((l) => l.startsWith(`mingjian_decision_phase_seconds_${part}{phase="${name}"}`)) ?? 'x 0');
  return {
    decisions: lines.filter((l) => l.startsWith(`mingjian_decisions_total{flow="${args.flow}"`)).reduce((sum, l) => sum + value(l), 0),
    cpuSeconds: value(lines.find((l) => l.startsWith('process_cpu_seconds_total')) ?? 'x 0'),
    phases: Object.fromEntries(PHASES.map((p) => [p, { sum: phase(p, 'sum'), count: phase(p, 'count') }])),
  };
}

// One counter across warm-up and measurement, so no applicant comes back.
let n = 0;
async function drive(url: string, key: string, seconds: number, label: string): Promise<AutocannonResult> {
  return autocannon({
    url,
    connections: Number(args.connections),
    duration: seconds,
    pipelining: 1,
    requests: [
      {
        method: 'POST',
        path: '/v1/decisions',
        setupRequest: (req: { headers: Record<string, string>; body?: string }) => {
          const i = n++;
          req.headers = { ...req.headers, 'content-type': 'application/json', authorization: `Bearer ${key}`, 'idempotency-key': `${label}-${process.pid}-${i}` };
          req.body = JSON.stringify(requestFor(i));
          return req;
        },
      },
    ],
  });
}

async function benchOne(dialect: 'sqlite' | 'postgres') {
  const dir = mkdtempSync(join(tmpdir(), `mingjian-bench-${dialect}-`));
  const schema = `bench_${process.pid}`;
  const databaseUrl = dialect === 'sqlite' ? `sqlite:${join(dir, 'mingjian.db')}` : `${args['pg-url']}?schema=${schema}`;
  const bureau = args.bureau === 'separate' ? await startBureau(dir) : null;
  say(`${dialect}: starting the service (${databaseUrl}; simulated bureau ${bureau ? 'in a process of its own' : 'served by the service itself'})`);
  const { child, url } = await startService(databaseUrl, dir, bureau?.variablesFile ?? null).catch((err: unknown) => {
    bureau?.child.kill('SIGTERM');
    throw err;
  });
  try {
    const created = await fetch(`${url}/v1/keys`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({ user: { name: 'bench-lending-app', roles: ['service'] }, name: 'bench' }),
    });
    const { secret } = (await created.json()) as { secret: string };
    say(`${dialect}: warm-up ${args.warmup}s`);
    await drive(url, secret, Number(args.warmup), `${dialect}-warm`);
    const before = await serviceCounters(url);
    say(`${dialect}: measuring ${args.duration}s with ${args.connections} connections`);
    const r = await drive(url, secret, Number(args.duration), dialect);
    const after = await serviceCounters(url);
    const recorded = after.decisions - before.decisions;
    // The service's own CPU per decision: what a decision costs, whatever else the machine is doing.
    const cpuMsPerDecision = recorded ? Math.round(((after.cpuSeconds - before.cpuSeconds) * 1000 / recorded) * 1000) / 1000 : null;
    // Mean milliseconds per phase over the measured interval: where a decision's latency goes.
    const phaseMs = Object.fromEntries(PHASES.map((p) => {
      const n = after.phases[p]!.count - before.phases[p]!.count;
      return [p, n ? Math.round(((after.phases[p]!.sum - before.phases[p]!.sum) / n) * 1e5) / 100 : null];
    }));
    say(`${dialect}: mean ms per phase ${JSON.stringify(phaseMs)}`);
    if (r.non2xx || r.errors || r.timeouts) say(`${dialect}: WARNING ${r.non2xx} non-2xx, ${r.errors} errors, ${r.timeouts} timeouts`);
    return {
      decisionsPerSecond: Math.round(r['2xx'] / r.duration),
      p50Ms: r.latency.p50,
      p99Ms: r.latency.p99,
      maxMs: r.latency.max,
      requests: r.requests.total,
      ok: r['2xx'],
      non2xx: r.non2xx,
      errors: r.errors + r.timeouts,
      recorded,
      cpuMsPerDecision,
      phaseMs,
    };
  } finally {
    const stopped = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    await stopped;
    bureau?.child.kill('SIGTERM');
    rmSync(dir, { recursive: true, force: true });
    if (dialect === 'postgres') {
      const client = new pg.Client({ connectionString: args['pg-url'] });
      await client.connect();
      await client.query(`drop schema if exists "${schema}" cascade`);
      await client.end();
    }
  }
}

const results: Record<string, Awaited<ReturnType<typeof benchOne>>> = {};
for (const dialect of ['sqlite', 'postgres'] as const) {
  if (args.only && args.only !== dialect) continue;
  results[dialect] = await benchOne(dialect);
}

if (args.json) {
  process.stdout.write(`${JSON.stringify(Object.fromEntries(Object.entries(results).map(([k, v]) => [k, { decisionsPerSecond: v.decisionsPerSecond, p50Ms: v.p50Ms, p99Ms: v.p99Ms }])))}\n`);
} else {
  const rows = [['store', 'decisions/s', 'p50 ms', 'p99 ms', 'max ms', 'service CPU ms/decision', 'answered 200', 'recorded', 'non-2xx', 'errors']];
  for (const [k, v] of Object.entries(results)) rows.push([k, String(v.decisionsPerSecond), String(v.p50Ms), String(v.p99Ms), String(v.maxMs), String(v.cpuMsPerDecision), String(v.ok), String(v.recorded), String(v.non2xx), String(v.errors)]);
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  for (const r of rows) process.stdout.write(`${r.map((c, i) => c.padStart(widths[i]!)).join('  ')}\n`);
  process.stdout.write(`\n${args.flow} decisions over loopback, ${args.connections} connections, ${args.duration}s after ${args.warmup}s warm-up; every 200 was committed before it was sent; simulated bureau ${args.bureau === 'separate' ? 'in a process of its own' : 'served by the service'}.\n`);
  process.stdout.write(`${JSON.stringify(Object.fromEntries(Object.entries(results).map(([k, v]) => [k, { decisionsPerSecond: v.decisionsPerSecond, p50Ms: v.p50Ms, p99Ms: v.p99Ms }])))}\n`);
}
