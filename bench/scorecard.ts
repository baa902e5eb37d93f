// Scorecard benchmark: quality on the shared splits (German credit, FICO HELOC) and training time/memory, including a
// generated 150,000-row x 20-column file (deterministic seed, written to a temp dir at run time).
//   npm run bench:scorecard            table
//   npm run bench:scorecard -- --json  JSON only
// The large-file run happens in a child process so its peak RSS is measured on its own.

import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseCsv } from '../src/scorecard/table.ts';
import { seededRandom } from '../src/scorecard/table.ts';
import { train } from '../src/scorecard/train.ts';

const DATA = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'shared', 'data');

interface Run {
  name: string;
  rows: number;
  columns: number;
  trainSeconds: number;
  maxRssMiB: number;
  attributes: number;
  train: { auc: number; ks: number; gini: number };
  test: { auc: number; ks: number; gini: number };
  target?: { testAuc: number; yardstickAuc: number; maxSeconds: number };
}

function trainFile(dataPath: string, target: string, bad: string, splitPath: string | undefined, special: number[]): Omit<Run, 'name' | 'target' | 'maxRssMiB'> {
  const t0 = performance.now();
  const table = parseCsv(readFileSync(dataPath, 'utf8'), dataPath);
  const split = splitPath ? { file: parseCsv(readFileSync(splitPath, 'utf8'), splitPath) } : { testShare: 0.3, seed: 42 };
  const result = train({ table, target, bad, split, special });
  const seconds = (performance.now() - t0) / 1000;
  const pick = (m: { auc: number; ks: number; gini: number }) => ({ auc: m.auc, ks: m.ks, gini: m.gini });
  return {
    rows: table.rows.length,
    columns: table.columns.length - 1,
    trainSeconds: seconds,
    attributes: result.model.attributes.length,
    train: pick(result.summary.train!),
    test: pick(result.summary.test!),
  };
}

/** 150,000 applicants, 14 numeric and 6 categorical attributes, missing and -9 special codes; bad rate about 15%. */
function generate(path: string, rows = 150_000): void {
  const rand = seededRandom(20260101);
  const normal = () => {
    const u = Math.max(rand(), 1e-12);
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rand());
  };
  const header = [...Array.from({ length: 14 }, (_, i) => `num${i + 1}`), ...Array.from({ length: 6 }, (_, i) => `cat${i + 1}`), 'target'];
  const chunks: string[] = [header.join(',')];
  for (let r = 0; r < rows; r++) {
    const nums: number[] = Array.from({ length: 14 }, () => normal());
    const cats = Array.from({ length: 6 }, (_, i) => Math.floor(rand() * (4 + 2 * i)));
    // Risk: monotone in some attributes, U-shaped in one, a few category effects, plus noise.
    const z = -2.1 + 0.8 * nums[0]! - 0.6 * nums[1]! + 0.4 * Math.tanh(nums[2]!) + 0.3 * nums[3]! ** 2 - 0.3 + 0.25 * nums[4]! - 0.2 * nums[5]! + 0.35 * (cats[0]! - 1.5) / 1.5 + (cats[1] === 0 ? 0.5 : 0) - 0.15 * (cats[2]! % 3) + 0.9 * normal() * 0.5;
    const bad = rand() < 1 / (1 + Math.exp(-z));
    const cells: string[] = nums.map((v, i) => {
      const u = rand();
      if (i < 6 && u < 0.02) return '';
      if (i >= 6 && i < 10 && u < 0.01) return '-9';
      return (Math.round((50 + 10 * v) * 100) / 100).toString();
    });
    for (let i = 0; i < 6; i++) cells.push(rand() < 0.01 ? '' : `c${i + 1}_${cats[i]}`);
    cells.push(bad ? 'bad' : 'good');
    chunks.push(cells.join(','));
  }
  writeFileSync(path, chunks.join('\n') + '\n');
}

async function child(path: string): Promise<void> {
  const r = trainFile(path, 'target', 'bad', undefined, [-9]);
  const maxRssMiB = process.resourceUsage().maxRSS / 1024;
  process.stdout.write(JSON.stringify({ ...r, maxRssMiB }) + '\n');
}

async function mainBench(): Promise<void> {
  const json = process.argv.includes('--json');
  const runs: Run[] = [];
  const german = trainFile(join(DATA, 'german_credit.csv'), 'creditability', 'bad', join(DATA, 'german_split_seed42.csv'), []);
  runs.push({ name: 'German credit', ...german, maxRssMiB: process.resourceUsage().maxRSS / 1024, target: { testAuc: 0.8, yardstickAuc: 0.7985, maxSeconds: Infinity } });
  const heloc = trainFile(join(DATA, 'heloc_dataset_v1.csv'), 'RiskPerformance', 'Bad', join(DATA, 'heloc_split_seed42.csv'), [-9, -8, -7]);
  runs.push({ name: 'FICO HELOC', ...heloc, maxRssMiB: process.resourceUsage().maxRSS / 1024, target: { testAuc: 0.797, yardstickAuc: 0.7939, maxSeconds: 5 } });

  const dir = mkdtempSync(join(tmpdir(), 'mingjian-bench-scorecard-'));
  try {
    const file = join(dir, 'generated-150k.csv');
    const g0 = performance.now();
    generate(file);
    const genSeconds = (performance.now() - g0) / 1000;
    const self = fileURLToPath(import.meta.url);
    const out = execFileSync(process.execPath, ['--import', 'tsx', self, '--child', file], { encoding: 'utf8', maxBuffer: 1 << 20 });
    const big = JSON.parse(out.trim().split('\n').pop()!) as Omit<Run, 'name'>;
    runs.push({ name: `Generated 150k x 20 (file made in ${genSeconds.toFixed(1)} s)`, ...big, target: { testAuc: 0, yardstickAuc: 0, maxSeconds: 30 } });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }

  const checks = {
    germanTestAuc: runs[0]!.test.auc >= 0.8,
    helocTestAuc: runs[1]!.test.auc >= 0.797,
    helocUnder5s: runs[1]!.trainSeconds < 5,
    large150kUnder30s: runs[2]!.trainSeconds < 30,
    large150kUnder2GiB: runs[2]!.maxRssMiB < 2048,
  };
  const doc = { node: process.version, runs, checks };
  if (json) {
    process.stdout.write(JSON.stringify(doc, null, 2) + '\n');
    return;
  }
  const f = (x: number) => x.toFixed(4);
  const lines = [
    `${'dataset'.padEnd(44)} ${'rows'.padStart(7)} ${'cols'.padStart(4)} ${'attrs'.padStart(5)} ${'train AUC'.padStart(9)} ${'test AUC'.padStart(9)} ${'test KS'.padStart(8)} ${'test Gini'.padStart(9)} ${'seconds'.padStart(8)} ${'max RSS MiB'.padStart(11)}`,
  ];
  for (const r of runs) {
    lines.push(`${r.name.padEnd(44)} ${String(r.rows).padStart(7)} ${String(r.columns).padStart(4)} ${String(r.attributes).padStart(5)} ${f(r.train.auc).padStart(9)} ${f(r.test.auc).padStart(9)} ${f(r.test.ks).padStart(8)} ${f(r.test.gini).padStart(9)} ${r.trainSeconds.toFixed(2).padStart(8)} ${r.maxRssMiB.toFixed(0).padStart(11)}`);
  }
  lines.push('');
  lines.push(`German test AUC >= 0.80 (yardstick 0.7985): ${checks.germanTestAuc ? 'met' : 'NOT met'}`);
  lines.push(`HELOC test AUC >= 0.797 (yardstick 0.7939): ${checks.helocTestAuc ? 'met' : 'NOT met'}`);
  lines.push(`HELOC training < 5 s: ${checks.helocUnder5s ? 'met' : 'NOT met'}`);
  lines.push(`150k x 20 training < 30 s and < 2 GiB: ${checks.large150kUnder30s && checks.large150kUnder2GiB ? 'met' : 'NOT met'}`);
  lines.push('(seconds include reading and parsing the CSV; the German/HELOC RSS is the bench process so far)');
  lines.push('');
  lines.push(JSON.stringify(doc));
  process.stdout.write(lines.join('\n') + '\n');
}

const at = process.argv.indexOf('--child');
if (at >= 0) await child(process.argv[at + 1]!);
else await mainBench();
