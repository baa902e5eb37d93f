// Engine benchmark: the shared reference credit policy decided by Mingjian and its peers in one process, on the same
// generated applications, with every output checked against the hand-written baseline. Then a compile benchmark:
// 400 flows drawn from a shared catalog of 11,000 variables.
//
//   npm run bench:engine [-- --json] [--n N] [--peer-n N] [--zen-n N] [--jre-n N] [--cel-n N] [--flow FILE]
//                        [--only a,b] [--with-imported] [--skip-catalog] [--passes 5] [--latency-sample 20000]
//
// Method (printed with the table):
// - throughput: one warm-up pass over the engine's applications, then 5 timed passes; decisions/s is the median.
//   zen-engine is asynchronous (napi): each decision is `await decision.evaluate(app)`, one at a time, as a service
//   handling one request would call it.
// - latency: after the passes, each decision of a sample (up to 20,000 applications) is timed on its own with
//   process.hrtime.bigint(); the median cost of an empty timer pair is subtracted (never below zero). p50/p99 are
//   over those single-call times, so they include GC pauses that batches would average away.
// - agreement: during the warm-up pass every output is compared, as `canonical(...)` from policy.mjs, with the
//   baseline's output for the same application.
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { compileFlow, parseFlowSource } from '../src/engine/index.ts';
import type { FlowDefinition } from '../src/engine/index.ts';
import { importJdm } from '../src/engine/import-jdm.ts';
import { generateFlowCatalog } from './flow-catalog.ts';

// ---------------------------------------------------------------- options

const here = dirname(fileURLToPath(import.meta.url));
const { values: opts } = parseArgs({
  options: {
    json: { type: 'boolean', default: false },
    n: { type: 'string', default: '100000' },
    'peer-n': { type: 'string' },
    'zen-n': { type: 'string' },
    'jre-n': { type: 'string' },
    'cel-n': { type: 'string' },
    seed: { type: 'string', default: '42' },
    flow: { type: 'string', default: join(here, '..', 'examples', 'flows', 'reference-policy.yaml') },
    reference: { type: 'string', default: join(here, '..', '..', 'shared', 'bench', 'reference-policy') },
    passes: { type: 'string', default: '5' },
    'latency-sample': { type: 'string', default: '20000' },
    'skip-catalog': { type: 'boolean', default: false },
    only: { type: 'string' },
    'with-imported': { type: 'boolean', default: false },
    'catalog-flows': { type: 'string', default: '400' },
    'catalog-variables': { type: 'string', default: '11000' },
  },
  strict: true,
});
const num = (v: string | undefined, name: string): number | undefined => {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n <= 0) throw new Error(`--${name} must be a positive integer, got ${v}`);
  return n;
};
const N = num(opts.n, 'n')!;
const SEED = Number(opts.seed);
const PASSES = num(opts.passes, 'passes')!;
const LATENCY_SAMPLE = num(opts['latency-sample'], 'latency-sample')!;
const peerN = num(opts['peer-n'], 'peer-n');
const ZEN_N = Math.min(N, num(opts['zen-n'], 'zen-n') ?? peerN ?? 20_000);
const JRE_N = Math.min(N, num(opts['jre-n'], 'jre-n') ?? (peerN !== undefined ? Math.min(peerN, 5_000) : 5_000));
const CEL_N = Math.min(N, num(opts['cel-n'], 'cel-n') ?? peerN ?? N);
const log = (s: string): void => {
  process.stderr.write(`${s}\n`);
};

// ---------------------------------------------------------------- the reference policy (read at run time)

interface PolicyOutput {
  decision: string;
  creditLine: number;
  score: number;
  scoreBand: string;
  reasons: string[];
}
type Application = Record<string, any>;

const refDir = resolve(opts.reference);
const importRef = async <T>(file: string): Promise<T> => (await import(pathToFileURL(join(refDir, file)).href)) as T;
const data = await importRef<{ generateApplications(n: number, seed: number): Application[] }>('data.mjs');
const policy = await importRef<{
  canonical(o: PolicyOutput): string;
  finalize(reasons: { code: string; action: string }[], score: number, scoreBand: string, baseLine: number, requestedAmount: number): PolicyOutput;
  CODE_ORDER: Record<string, number>;
}>('policy.mjs');
const baseline = await importRef<{ decide(a: Application): PolicyOutput }>('baseline.mjs');
const artifact = (name: string): any => JSON.parse(readFileSync(join(refDir, 'artifacts', name), 'utf8'));

// ---------------------------------------------------------------- engines

interface Engine {
  name: string;
  /** How many of the applications this engine decides. */
  n: number;
  note?: string;
  decide?: (a: Application) => PolicyOutput;
  decideAsync?: (a: Application) => Promise<PolicyOutput>;
}

function mingjianEngine(name: string, trace: boolean): Engine {
  const text = readFileSync(opts.flow, 'utf8');
  const { definition, sourceMap } = parseFlowSource(text, opts.flow);
  const flow = compileFlow(definition, { sourceMap, file: opts.flow });
  const options = trace ? { trace: true } : undefined;
  return {
    name,
    n: N,
    note: trace ? 'full trace recorded on every decision' : undefined,
    decide(a) {
      const r = flow.evaluate(a, options);
      if (!r.ok) throw new Error(`${name}: ${r.error.message}`);
      return { decision: r.decision, creditLine: r.creditLine as number, score: r.outputs.score as number, scoreBand: r.outputs.scoreBand as string, reasons: r.reasons };
    },
  };
}

/** The flow `mingjian import-jdm` makes from the shared JDM artifact (opt-in row: --with-imported). */
function importedJdmEngine(): Engine {
  const { flow: definition } = importJdm(artifact('credit-policy.jdm.json'), { id: 'credit-policy-imported' });
  const flow = compileFlow(definition);
  return {
    name: 'mingjian-imported-jdm',
    n: N,
    note: 'the flow made by `mingjian import-jdm` from credit-policy.jdm.json',
    decide(a) {
      const r = flow.evaluate(a);
      if (!r.ok) throw new Error(`mingjian-imported-jdm: ${r.error.message}`);
      return { decision: r.decision, creditLine: r.creditLine as number, score: r.outputs.score as number, scoreBand: r.outputs.scoreBand as string, reasons: r.reasons };
    },
  };
}

function handwrittenEngine(): Engine {
  return { name: 'handwritten', n: N, decide: baseline.decide };
}

async function celJsEngine(): Promise<Engine> {
  const { parse } = await import('@marcbachmann/cel-js');
  const cel = artifact('credit-policy.cel.json') as {
    knockouts: { code: string; action: string; expr: string }[];
    score: string;
    band: string;
    postScore: { code: string; action: string; expr: string }[];
    lines: { expr: string; baseLine: number }[];
  };
  const knockouts = cel.knockouts.map((k) => ({ code: k.code, action: k.action, test: parse(k.expr) }));
  const score = parse(cel.score);
  const band = parse(cel.band);
  const post = cel.postScore.map((k) => ({ code: k.code, action: k.action, test: parse(k.expr) }));
  const lines = cel.lines.map((l) => ({ test: parse(l.expr), baseLine: l.baseLine }));
  return {
    name: 'cel-js',
    n: CEL_N,
    note: 'each rule, the score, band and line table as parsed CEL programs; host code does order and the decision',
    decide(a) {
      const reasons: { code: string; action: string }[] = [];
      for (const k of knockouts) if (k.test(a) === true) reasons.push(k);
      const s = Number(score(a));
      const b = band({ score: s }) as string;
      for (const k of post) if (k.test({ scoreBand: b }) === true) reasons.push(k);
      const ctx = { scoreBand: b, monthlyIncome: a.monthlyIncome };
      let baseLine = 0;
      for (const l of lines) if (l.test(ctx) === true) { baseLine = l.baseLine; break; }
      return policy.finalize(reasons, s, b, baseLine, a.requestedAmount);
    },
  };
}

async function zenEngine(): Promise<Engine> {
  const { ZenEngine } = await import('@gorules/zen-engine');
  const engine = new ZenEngine();
  const decision = engine.createDecision(artifact('credit-policy.jdm.json'));
  return {
    name: 'zen-engine',
    n: ZEN_N,
    note: 'async napi call per decision: await decision.evaluate(app), one at a time',
    async decideAsync(a) {
      const r = await decision.evaluate(a);
      const o = r.result as PolicyOutput;
      return { decision: o.decision, creditLine: Number(o.creditLine), score: Number(o.score), scoreBand: o.scoreBand, reasons: o.reasons };
    },
  };
}

async function jsonRulesEngine(): Promise<Engine> {
  const { Engine: RulesEngine } = await import('json-rules-engine');
  const rules = artifact('credit-policy.jre.json') as any[];
  const engine = new RulesEngine(rules, { allowUndefinedFacts: false });
  // Rules run by priority group: reasons and points (100), then the band (50), then S01 and the line table (10).
  // The per-run accumulator is a fact; `score` and `scoreBand` are computed from it when the later groups ask.
  interface Acc { reasons: { code: string; action: string }[]; score: number; scoreBand: string; baseLine: number }
  engine.addFact('score', async (_p: unknown, almanac: any) => ((await almanac.factValue('acc')) as Acc).score, { cache: false });
  engine.addFact('scoreBand', async (_p: unknown, almanac: any) => ((await almanac.factValue('acc')) as Acc).scoreBand, { cache: false });
  engine.on('success', async (event: any, almanac: any) => {
    const acc = (await almanac.factValue('acc')) as Acc;
    const p = event.params;
    if (event.type === 'reason') acc.reasons.push({ code: p.code, action: p.action });
    else if (event.type === 'points') acc.score += p.points;
    else if (event.type === 'band') acc.scoreBand = p.band;
    else if (event.type === 'line') acc.baseLine = p.baseLine;
  });
  return {
    name: 'json-rules-engine',
    n: JRE_N,
    note: 'dti supplied as a fact; reason codes re-sorted into policy order after the run',
    async decideAsync(a) {
      const acc: Acc = { reasons: [], score: 0, scoreBand: 'E', baseLine: 0 };
      await engine.run({ ...a, dti: a.monthlyDebtPayments / a.monthlyIncome, acc });
      acc.reasons.sort((x, y) => policy.CODE_ORDER[x.code]! - policy.CODE_ORDER[y.code]!);
      return policy.finalize(acc.reasons, acc.score, acc.scoreBand, acc.baseLine, a.requestedAmount);
    },
  };
}

// ---------------------------------------------------------------- measurement

interface Result {
  name: string;
  n: number;
  decisionsPerSecond: number;
  p50Micros: number;
  p99Micros: number;
  agreement: number;
  note?: string;
}

function quantile(sorted: number[], q: number): number {
  if (!sorted.length) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

function timerOverheadNs(): number {
  const samples: number[] = [];
  for (let i = 0; i < 20_000; i++) {
    const t0 = process.hrtime.bigint();
    const t1 = process.hrtime.bigint();
    samples.push(Number(t1 - t0));
  }
  samples.sort((x, y) => x - y);
  return quantile(samples, 0.5);
}

async function measure(engine: Engine, apps: Application[], expected: string[], overheadNs: number): Promise<Result> {
  const n = engine.n;
  let agreement = 0;
  let sink = 0;
  // Warm-up pass doubles as the agreement check.
  for (let i = 0; i < n; i++) {
    const out = engine.decide ? engine.decide(apps[i]!) : await engine.decideAsync!(apps[i]!);
    if (policy.canonical(out) === expected[i]) agreement++;
  }
  const rates: number[] = [];
  const pass = engine.decide ? monomorphicPass() : undefined;
  const timeOne = engine.decide ? monomorphicTimer() : undefined;
  for (let p = 0; p < PASSES; p++) {
    const t0 = process.hrtime.bigint();
    if (engine.decide) {
      sink += pass!(engine.decide, apps, n);
    } else {
      const decide = engine.decideAsync!;
      for (let i = 0; i < n; i++) sink += (await decide(apps[i]!)).creditLine;
    }
    const secs = Number(process.hrtime.bigint() - t0) / 1e9;
    rates.push(n / secs);
  }
  rates.sort((x, y) => x - y);
  const sample = Math.min(n, LATENCY_SAMPLE);
  const lat: number[] = new Array(sample);
  for (let i = 0; i < sample; i++) {
    const a = apps[i]!;
    if (engine.decide) {
      lat[i] = timeOne!(engine.decide, a);
    } else {
      const t0 = process.hrtime.bigint();
      sink += (await engine.decideAsync!(a)).creditLine;
      lat[i] = Number(process.hrtime.bigint() - t0);
    }
  }
  const adjusted = lat.map((ns) => Math.max(0, ns - overheadNs) / 1000).sort((x, y) => x - y);
  if (sink === -1) log('unreachable'); // keeps the results observable so the loops are not optimised away
  return {
    name: engine.name,
    n,
    decisionsPerSecond: Math.round(quantile(rates, 0.5)),
    p50Micros: round3(quantile(adjusted, 0.5)),
    p99Micros: round3(quantile(adjusted, 0.99)),
    agreement,
    ...(engine.note ? { note: engine.note } : {}),
  };
}

// V8 keeps type feedback per function: one shared loop calling six engines becomes megamorphic and stops inlining,
// so whichever engine runs later looks slower. Each engine gets its own copy of the (fixed) loop text instead.
type Decide = (a: Application) => PolicyOutput;
function monomorphicPass(): (decide: Decide, apps: Application[], n: number) => number {
  return new Function('decide', 'apps', 'n', 'let sink = 0; for (let i = 0; i < n; i++) sink += decide(apps[i]).creditLine; return sink;') as never;
}
function monomorphicTimer(): (decide: Decide, a: Application) => number {
  return new Function('decide', 'a', 'const t0 = process.hrtime.bigint(); const o = decide(a); const t = Number(process.hrtime.bigint() - t0); return o.creditLine === -1 ? -1 : t;') as never;
}

function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}

// ---------------------------------------------------------------- compile benchmark

interface CompileResult {
  flows: number;
  catalogVariables: number;
  variablesPerFlow: { min: number; max: number; mean: number };
  /** Median wall time of the rounds (all 400 flows per round). */
  compileMillis: number;
  /** Median CPU time (user + system) of the rounds: less inflated than wall time when the machine is shared. */
  compileCpuMillis: number;
  rounds: number;
  heapDeltaMiB: number;
  rssDeltaMiB: number;
  peakRssMiB: number;
  smokeEvaluations: number;
}

function collectGarbage(): void {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as (() => void) | undefined;
  gc?.();
}

function compileBenchmark(): CompileResult {
  const catalog = generateFlowCatalog({ flows: num(opts['catalog-flows'], 'catalog-flows')!, variables: num(opts['catalog-variables'], 'catalog-variables')! });
  const counts = catalog.flows.map((f) => Object.keys(f.variables ?? {}).length);
  // Three rounds, each compiling all flows from fresh copies of the definitions (plain data the host already holds,
  // parsed from its store); only compiling is timed. Memory is measured on the first round, with its flows kept.
  const rounds = 3;
  const wall: number[] = [];
  const cpu: number[] = [];
  let compiled: ReturnType<typeof compileFlow>[] = [];
  let heap0 = 0, heap1 = 0, rss0 = 0, rss1 = 0;
  for (let round = 0; round < rounds; round++) {
    const definitions: FlowDefinition[] = JSON.parse(JSON.stringify(catalog.flows));
    collectGarbage();
    if (round === 0) {
      heap0 = process.memoryUsage().heapUsed;
      rss0 = process.memoryUsage().rss;
    }
    const c0 = process.cpuUsage();
    const t0 = process.hrtime.bigint();
    const out = definitions.map((d) => compileFlow(d));
    wall.push(Number(process.hrtime.bigint() - t0) / 1e6);
    const c1 = process.cpuUsage(c0);
    cpu.push((c1.user + c1.system) / 1000);
    if (round === 0) {
      compiled = out;
      collectGarbage();
      heap1 = process.memoryUsage().heapUsed;
      rss1 = process.memoryUsage().rss;
    }
  }
  wall.sort((x, y) => x - y);
  cpu.sort((x, y) => x - y);
  let smoke = 0;
  for (const c of compiled) {
    const r = c.evaluate(catalog.sampleApplication);
    if (!r.ok) throw new Error(`catalog flow ${c.id} failed on the sample application: ${r.error.message}`);
    smoke++;
  }
  return {
    flows: compiled.length,
    catalogVariables: Object.keys(catalog.catalog).length,
    variablesPerFlow: { min: Math.min(...counts), max: Math.max(...counts), mean: Math.round(counts.reduce((a, b) => a + b, 0) / counts.length) },
    compileMillis: Math.round(quantile(wall, 0.5)),
    compileCpuMillis: Math.round(quantile(cpu, 0.5)),
    rounds,
    heapDeltaMiB: Math.round(((heap1 - heap0) / 2 ** 20) * 10) / 10,
    rssDeltaMiB: Math.round(((rss1 - rss0) / 2 ** 20) * 10) / 10,
    peakRssMiB: Math.round(process.resourceUsage().maxRSS / 1024),
    smokeEvaluations: smoke,
  };
}

// ---------------------------------------------------------------- run

async function main(): Promise<void> {
  // Compile first, on a quiet heap, so its memory figure is not mixed with 100,000 applications.
  const compile = opts['skip-catalog'] ? undefined : compileBenchmark();
  if (compile) log(`compiled ${compile.flows} catalog flows in ${compile.compileMillis} ms`);

  log(`generating ${N} applications (seed ${SEED})...`);
  const apps = data.generateApplications(N, SEED);
  const expected = apps.map((a) => policy.canonical(baseline.decide(a)));
  const overheadNs = timerOverheadNs();
  const factories: [string, () => Engine | Promise<Engine>][] = [
    ['mingjian', () => mingjianEngine('mingjian', false)],
    ['mingjian-trace', () => mingjianEngine('mingjian-trace', true)],
    ...(opts['with-imported'] ? [['mingjian-imported-jdm', importedJdmEngine] as [string, () => Engine]] : []),
    ['handwritten', handwrittenEngine],
    ['cel-js', celJsEngine],
    ['zen-engine', zenEngine],
    ['json-rules-engine', jsonRulesEngine],
  ];
  const only = opts.only?.split(',').map((s) => s.trim());
  const engines: Engine[] = [];
  for (const [name, make] of factories) if (!only || only.includes(name)) engines.push(await make());
  const results: Result[] = [];
  for (const e of engines) {
    log(`running ${e.name} on ${e.n} applications...`);
    results.push(await measure(e, apps, expected, overheadNs));
  }

  const by = (name: string): Result | undefined => results.find((r) => r.name === name);
  const peers = ['cel-js', 'zen-engine', 'json-rules-engine'].map(by).filter((r): r is Result => r !== undefined);
  const fastestPeer = peers.reduce<Result | undefined>((a, b) => (!a || b.decisionsPerSecond > a.decisionsPerSecond ? b : a), undefined);
  const mj = by('mingjian');
  const mjt = by('mingjian-trace');
  const hw = by('handwritten');
  // Ratios need every engine they compare; a partial run (--only) prints those it can.
  const targets = !mj || !mjt || !hw || !fastestPeer ? [] : [
    { target: `mingjian >= 10x fastest peer (${fastestPeer.name})`, ratio: mj.decisionsPerSecond / fastestPeer.decisionsPerSecond, need: 10 },
    { target: 'mingjian >= 1/10 of handwritten', ratio: mj.decisionsPerSecond / hw.decisionsPerSecond, need: 0.1 },
    { target: 'mingjian >= 1/3 of handwritten (aim)', ratio: mj.decisionsPerSecond / hw.decisionsPerSecond, need: 1 / 3, aim: true },
    { target: `mingjian with trace >= 3x fastest peer (${fastestPeer.name})`, ratio: mjt.decisionsPerSecond / fastestPeer.decisionsPerSecond, need: 3 },
  ].map((t) => ({ ...t, pass: t.ratio >= t.need }));
  const compileTargets = compile ? [
    { target: `compile ${compile.flows} flows < 3 s`, value: compile.compileMillis, pass: compile.compileMillis < 3000 },
    { target: 'compile memory < 1 GiB', value: compile.heapDeltaMiB, pass: compile.heapDeltaMiB < 1024 && compile.peakRssMiB < 1024 },
  ] : [];

  if (opts.json) {
    const out = {
      n: N,
      engines: results.map(({ name, decisionsPerSecond, p50Micros, p99Micros, agreement, n }) => ({ name, decisionsPerSecond, p50Micros, p99Micros, agreement, n })),
      targets: targets.map(({ target, ratio, pass }) => ({ target, ratio: Math.round(ratio * 100) / 100, pass })),
      ...(compile ? { compile, compileTargets } : {}),
      node: process.version,
    };
    process.stdout.write(`${JSON.stringify(out)}\n`);
    return;
  }
  const fmt = (x: number): string => x.toLocaleString('en-US');
  const lines = [
    `Reference policy over generateApplications(${N}, ${SEED}); Node ${process.version}; median of ${PASSES} passes after a warm-up`,
    '',
    `| engine | applications | decisions/s | p50 us | p99 us | agreement |`,
    `|---|---:|---:|---:|---:|---:|`,
    ...results.map((r) => `| ${r.name} | ${fmt(r.n)} | ${fmt(r.decisionsPerSecond)} | ${r.p50Micros} | ${r.p99Micros} | ${fmt(r.agreement)}/${fmt(r.n)} |`),
    '',
    ...results.filter((r) => r.note).map((r) => `${r.name}: ${r.note}`),
    `latency: single calls timed with process.hrtime.bigint() on up to ${LATENCY_SAMPLE} applications, minus the ${overheadNs} ns cost of an empty timer pair`,
    '',
    'Targets (ratios within this run):',
    ...targets.map((t) => `  ${t.pass ? 'PASS' : t.aim ? 'not yet' : 'FAIL'}  ${t.target}: ${t.ratio.toFixed(2)}x`),
  ];
  if (compile) {
    lines.push(
      '',
      `Compile: ${compile.flows} flows sharing a catalog of ${fmt(compile.catalogVariables)} variables ` +
        `(${compile.variablesPerFlow.min}-${compile.variablesPerFlow.max} variables per flow with dependencies, mean ${compile.variablesPerFlow.mean})`,
      `  ${compile.compileMillis} ms for all ${compile.flows} (median of ${compile.rounds} rounds; ${compile.compileCpuMillis} ms CPU); ` +
        `heap +${compile.heapDeltaMiB} MiB, RSS +${compile.rssDeltaMiB} MiB (peak RSS ${compile.peakRssMiB} MiB); ${compile.smokeEvaluations} flows evaluated once as a check`,
      ...compileTargets.map((t) => `  ${t.pass ? 'PASS' : 'FAIL'}  ${t.target}`),
    );
  }
  process.stdout.write(`${lines.join('\n')}\n`);
}

await main();
