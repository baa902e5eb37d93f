// `npm run bench:fraud [-- --json] [--sizes 100000,1000000] [--reads 20000] [--keep DIR]`
// For each size: generates a population with planted rings (the CLI, deterministic seed), then
//   - in this process: streams the file into the identity graph (read + validate + hash + intern + append), compacts
//     the CSR, detects rings, measures graph-variable reads for stored applications (as of just before each) and for
//     new applications (hashing included), and scores member-level recall/precision against the planted rings;
//   - end to end: spawns `mingjian fraud rings --input FILE --json` and times it, reading its own peak RSS.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { readApplicationsJsonl } from '../src/fraud/jsonl-input.ts';
import { graphBuilder } from '../src/fraud/graph-loader.ts';
import { detectRings } from '../src/fraud/rings.ts';
import { GraphVariableReader } from '../src/fraud/graph-variables.ts';
import { HashedIdentifiers, IdentifierHasher } from '../src/fraud/application-identifiers.ts';
import { scoreDetection, type PlantedRing } from '../src/fraud/population.ts';
import type { ApplicationRecord } from '../src/fraud/application-record.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
const { values: args } = parseArgs({
  options: {
    json: { type: 'boolean', default: false },
    sizes: { type: 'string', default: '100000,1000000' },
    reads: { type: 'string', default: '20000' },
    keep: { type: 'string' },
  },
});
const KEY = Buffer.alloc(32, 0x5a);
const mb = (bytes: number) => Math.round(bytes / 1048576);
const pct = (sorted: Float64Array, p: number) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;
const us = (ms: number) => Math.round(ms * 1000 * 10) / 10;

function cli(argv: string[]): { ms: number; stdout: string } {
  const t = performance.now();
  const r = spawnSync(join(root, 'bin/mingjian'), argv, { encoding: 'utf8', maxBuffer: 1 << 30 });
  if (r.status !== 0) throw new Error(`mingjian ${argv.join(' ')} failed (${r.status}): ${r.stderr}`);
  return { ms: performance.now() - t, stdout: r.stdout };
}

async function benchSize(n: number, dir: string) {
  const file = join(dir, `pop-${n}.jsonl`);
  const gen = cli(['fraud', 'generate', '--n', String(n), '--out', file, '--seed', '20261128']);
  const truth = JSON.parse(readFileSync(file.replace(/\.jsonl$/, '.truth.json'), 'utf8')) as { rings: PlantedRing[] };

  // In process: load, compact, detect.
  const rssBefore = process.memoryUsage().rss;
  let t = performance.now();
  const builder = graphBuilder(KEY, { applications: n });
  const probes: (ApplicationRecord & { appliedAtMs: number })[] = [];
  let i = 0;
  for await (const r of readApplicationsJsonl(file)) {
    builder.add(r, r.appliedAtMs);
    if (i++ % Math.max(1, Math.floor(n / 2000)) === 0) probes.push(r);
  }
  const loadMs = performance.now() - t;
  const graph = builder.graph;
  t = performance.now();
  graph.compact();
  const compactMs = performance.now() - t;
  t = performance.now();
  const detection = detectRings(graph);
  const detectMs = performance.now() - t;
  const mem = process.memoryUsage();
  const quality = scoreDetection(truth.rings, detection.rings.flatMap((r) => r.members));

  // Graph variables: stored applications as of just before each, and new applications (hashing included).
  const reads = Number(args.reads);
  const reader = new GraphVariableReader(graph);
  // Warm-up: the first read allocates the reader's scratch marks (one int per application and per identifier).
  for (let k = 0; k < 200; k++) reader.forStoredApplication((k * 7919) % n);
  const stored = new Float64Array(reads);
  let seed = 12345;
  const rand = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 4294967296);
  // Half the stored reads target ring members: the dense, worst-case neighbourhoods.
  const ringIdx = truth.rings.flatMap((r) => r.members).map((id) => graph.indexOf(id)).filter((x) => x >= 0);
  for (let k = 0; k < reads; k++) {
    const a = k % 2 && ringIdx.length ? ringIdx[Math.floor(rand() * ringIdx.length)]! : Math.floor(rand() * n);
    const s = performance.now();
    reader.forStoredApplication(a);
    stored[k] = performance.now() - s;
  }
  stored.sort();
  const hasher = new IdentifierHasher(KEY);
  const scratch = new HashedIdentifiers();
  const fresh = new Float64Array(reads);
  for (let k = 0; k < reads; k++) {
    const r = probes[k % probes.length]!;
    const s = performance.now();
    reader.forNewApplication(hasher.hashApplication(r, scratch), r.appliedAtMs);
    fresh[k] = performance.now() - s;
  }
  fresh.sort();

  // End to end: the CLI as a user runs it.
  const e2e = cli(['fraud', 'rings', '--input', file, '--json', '--hash-key', KEY.toString('hex')]);
  const e2eOut = JSON.parse(e2e.stdout) as { rings: { members: string[] }[]; summary: { loadMs: number; detectMs: number; peakRssMb: number } };
  const e2eQuality = scoreDetection(truth.rings, e2eOut.rings.flatMap((r) => r.members));

  return {
    applications: n,
    identifiers: graph.identifierCount,
    links: graph.edgeCount,
    plantedRings: truth.rings.length,
    generateMs: Math.round(gen.ms),
    buildMs: Math.round(loadMs + compactMs),
    loadMs: Math.round(loadMs),
    compactMs: Math.round(compactMs),
    detectMs: Math.round(detectMs),
    ringsFound: detection.rings.length,
    recall: Math.round(quality.recall * 10000) / 10000,
    precision: Math.round(quality.precision * 10000) / 10000,
    memory: { heapUsedMb: mb(mem.heapUsed), arrayBuffersMb: mb(mem.arrayBuffers), rssMb: mb(mem.rss), graphRssDeltaMb: mb(mem.rss - rssBefore), peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024) },
    graphVariables: {
      storedP50Us: us(pct(stored, 0.5)), storedP99Us: us(pct(stored, 0.99)), storedMaxUs: us(stored[stored.length - 1]!),
      newP50Us: us(pct(fresh, 0.5)), newP99Us: us(pct(fresh, 0.99)),
    },
    cli: { wallMs: Math.round(e2e.ms), loadMs: e2eOut.summary.loadMs, detectMs: e2eOut.summary.detectMs, peakRssMb: e2eOut.summary.peakRssMb, recall: Math.round(e2eQuality.recall * 10000) / 10000, precision: Math.round(e2eQuality.precision * 10000) / 10000 },
  };
}

const dir = args.keep ?? mkdtempSync(join(tmpdir(), 'mingjian-bench-fraud-'));
const results = [];
try {
  for (const n of args.sizes.split(',').map(Number)) {
    const r = await benchSize(n, dir);
    results.push(r);
    if (!args.json) {
      process.stdout.write(`${n} applications: build ${r.buildMs} ms (load ${r.loadMs} + compact ${r.compactMs}), detection ${r.detectMs} ms, ` +
        `${r.ringsFound} rings, recall ${(r.recall * 100).toFixed(1)}%, precision ${(r.precision * 100).toFixed(1)}%, peak RSS ${r.memory.peakRssMb} MB\n` +
        `  graph variables: stored p50 ${r.graphVariables.storedP50Us} us p99 ${r.graphVariables.storedP99Us} us; new (hashing included) p50 ${r.graphVariables.newP50Us} us p99 ${r.graphVariables.newP99Us} us\n` +
        `  CLI end to end: ${r.cli.wallMs} ms wall (load ${r.cli.loadMs}, detection ${r.cli.detectMs}), peak RSS ${r.cli.peakRssMb} MB\n`);
    }
  }
} finally {
  if (!args.keep) rmSync(dir, { recursive: true, force: true });
}
if (args.json) process.stdout.write(JSON.stringify({ bench: 'fraud', node: process.version, results }, null, 2) + '\n');
