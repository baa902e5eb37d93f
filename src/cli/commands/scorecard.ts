// `mingjian scorecard train|score|export|import|psi`: the file-level edge of src/scorecard. Reads and writes files;
// all modelling, scoring and monitoring is done by the pure functions there (the same ones the API calls).

import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { extname, join } from 'node:path';
import cliProgress from 'cli-progress';
import { stringify } from 'csv-stringify/sync';
import { MingjianError } from '../../kernel/errors.ts';
import { parseCsv, parseJsonLines } from '../../scorecard/table.ts';
import { train, type TrainOptions } from '../../scorecard/train.ts';
import { renderReport } from '../../scorecard/report.ts';
import { parseModel } from '../../scorecard/model-file.ts';
import { scoreTable } from '../../scorecard/scoring.ts';
import { stability } from '../../scorecard/psi.ts';
import { scorecardToPmml, pmmlToNode } from '../../scorecard/pmml.ts';
import { scorecardToSql } from '../../scorecard/sql.ts';
import { scorecardToNode } from '../../scorecard/node.ts';
import type { Table, Trend } from '../../scorecard/types.ts';
import { parseCliArgs, type CliCommand } from '../command.ts';

const USAGE = `Usage: mingjian scorecard <train|score|export|import|psi> [options]

  train   --data FILE --target COL --bad VALUE --out DIR
          [--split FILE | --test-share 0.3 --seed 42] [--date COL [--oot-from DATE]]
          [--special -9,-8,-7] [--special-column COL=V1,V2 ...] [--exclude A,B] [--include A,B]
          [--max-bins 8] [--min-bin-share 0.03] [--min-bad 1] [--min-good 1] [--max-prebins 20] [--prebinning tree|quantile]
          [--trend auto|ascending|descending|peak|valley|none] [--trend-column COL=TREND ...]
          [--min-iv 0.02] [--max-iv X] [--max-corr 0.9] [--max-vif 10] [--stepwise none|forward]
          [--keep-wrong-sign] [--max-p 1] [--max-vars 50] [--force A,B] [--l2 1]
          [--base-score 600] [--base-odds 19] [--pdo 50] [--name NAME] [--json]
          Writes DIR/scorecard.json, DIR/metrics.json and DIR/report.html.
  score   --model DIR/scorecard.json --data FILE [--out FILE] [--keep COL,...] [--points] [--format csv|jsonl]
  export  --model DIR/scorecard.json --format pmml|sql|node [--out FILE] [--table NAME] [--key COL,...] [--id NODE_ID]
  import  --pmml FILE --id NODE_ID [--out FILE]     (a PMML Scorecard as a flow scorecard node, JSON)
  psi     --model DIR/scorecard.json --data FILE [--expected FILE] [--json]
          Score PSI and attribute CSI against the development sample (or --expected); bands: <0.1 stable, 0.1-0.25 watch, >0.25 act.

Data files are CSV with a header, or JSON Lines (.jsonl/.ndjson). Empty, NA, NaN and null cells are missing.`;

function readText(path: string, what: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    throw new MingjianError('VALIDATION', `cannot read ${what} '${path}': ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
}

export function readTable(path: string): Table {
  const text = readText(path, 'data file');
  const ext = extname(path).toLowerCase();
  return ext === '.jsonl' || ext === '.ndjson' ? parseJsonLines(text, path) : parseCsv(text, path);
}

function list(v: string | undefined): string[] | undefined {
  return v === undefined ? undefined : v.split(',').map((s) => s.trim()).filter(Boolean);
}

/** `-9,-8,A` -> numbers where they are numbers, text otherwise. */
function values(v: string): (string | number)[] {
  return v.split(',').map((s) => s.trim()).filter(Boolean).map((s) => (s !== '' && Number.isFinite(Number(s)) ? Number(s) : s));
}

function num(v: string | undefined, flag: string, check: (n: number) => boolean = Number.isFinite): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (v.trim() === '' || !check(n)) throw new MingjianError('USAGE', `--${flag} '${v}' is not a valid number here`);
  return n;
}

function pairs(items: string[] | undefined, flag: string): [string, string][] {
  return (items ?? []).map((item) => {
    const eq = item.indexOf('=');
    if (eq <= 0) throw new MingjianError('USAGE', `--${flag} '${item}' must look like COLUMN=VALUE`);
    return [item.slice(0, eq), item.slice(eq + 1)];
  });
}

const TRENDS: Trend[] = ['ascending', 'descending', 'auto', 'peak', 'valley', 'none'];
function trend(v: string, flag: string): Trend {
  if (!TRENDS.includes(v as Trend)) throw new MingjianError('USAGE', `--${flag} '${v}' must be one of ${TRENDS.join(', ')}`);
  return v as Trend;
}

/**
 * node:util parseArgs reads `--special -9,-8,-7` as a missing value followed by an option; a string option always
 * takes the next token, so glue them as `--special=-9,-8,-7` first.
 */
function glueValues(argv: string[], options: Record<string, { type: 'string' | 'boolean' }>): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const name = a.startsWith('--') && !a.includes('=') ? a.slice(2) : undefined;
    if (name && options[name]?.type === 'string' && i + 1 < argv.length && argv[i + 1]!.startsWith('-') && !argv[i + 1]!.startsWith('--')) {
      out.push(`${a}=${argv[i + 1]!}`);
      i++;
    } else out.push(a);
  }
  return out;
}

function progressReporter(): { onProgress: TrainOptions['onProgress']; stop: () => void } {
  if (!process.stderr.isTTY) return { onProgress: undefined, stop: () => {} };
  const bar = new cliProgress.SingleBar({ stream: process.stderr, format: '{step} [{bar}] {value}/{total}', hideCursor: true, clearOnComplete: true }, cliProgress.Presets.shades_classic);
  let current = '';
  let started = false;
  return {
    onProgress: ({ step, done, total }) => {
      if (step !== current) {
        if (started) bar.stop();
        current = step;
        bar.start(Math.max(total, 1), done, { step: step.padEnd(10) });
        started = true;
      } else {
        if (total > 0) bar.setTotal(total);
        else bar.setTotal(Math.max(done, 1));
        bar.update(done, { step: step.padEnd(10) });
      }
    },
    stop: () => {
      if (started) bar.stop();
    },
  };
}

async function trainCommand(argv: string[]): Promise<number> {
  const spec = {
    data: { type: 'string' }, target: { type: 'string' }, bad: { type: 'string' }, out: { type: 'string' },
    split: { type: 'string' }, 'test-share': { type: 'string' }, seed: { type: 'string' },
    date: { type: 'string' }, 'oot-from': { type: 'string' },
    special: { type: 'string' }, 'special-column': { type: 'string', multiple: true },
    exclude: { type: 'string' }, include: { type: 'string' },
    'max-bins': { type: 'string' }, 'min-bin-share': { type: 'string' }, 'min-bad': { type: 'string' }, 'min-good': { type: 'string' },
    'max-prebins': { type: 'string' }, prebinning: { type: 'string' }, trend: { type: 'string' }, 'trend-column': { type: 'string', multiple: true },
    'min-iv': { type: 'string' }, 'max-iv': { type: 'string' }, 'max-corr': { type: 'string' }, 'max-vif': { type: 'string' },
    stepwise: { type: 'string' }, 'keep-wrong-sign': { type: 'boolean' }, 'max-p': { type: 'string' }, 'max-vars': { type: 'string' }, force: { type: 'string' },
    l2: { type: 'string' }, 'base-score': { type: 'string' }, 'base-odds': { type: 'string' }, pdo: { type: 'string' },
    name: { type: 'string' }, json: { type: 'boolean' },
  } as const;
  const { values: o } = parseCliArgs(glueValues(argv, spec), spec);
  for (const req of ['data', 'target', 'bad', 'out'] as const) if (!o[req]) throw new MingjianError('USAGE', `scorecard train needs --${req}`);
  if (o.split && (o['test-share'] || o.seed)) throw new MingjianError('USAGE', '--split cannot be combined with --test-share or --seed');
  if (o['oot-from'] && !o.date) throw new MingjianError('USAGE', '--oot-from needs --date');
  if (o.stepwise && o.stepwise !== 'none' && o.stepwise !== 'forward') throw new MingjianError('USAGE', "--stepwise must be 'none' or 'forward'");

  const table = readTable(o.data!);
  const options: TrainOptions = { table, target: o.target!, bad: o.bad!, createdAt: new Date().toISOString(), name: o.name ?? o.target! };
  if (o.split) options.split = { file: parseCsv(readText(o.split, 'split file'), o.split), name: o.split };
  else options.split = { testShare: num(o['test-share'], 'test-share') ?? 0.3, seed: num(o.seed, 'seed', Number.isInteger) ?? 42 };
  if (o.date) options.oot = o['oot-from'] ? { dateColumn: o.date, from: o['oot-from'] } : { dateColumn: o.date };
  if (o.special) options.special = values(o.special);
  if (o['special-column']) options.specialByColumn = Object.fromEntries(pairs(o['special-column'], 'special-column').map(([c, v]) => [c, values(v)]));
  const exclude = list(o.exclude);
  if (exclude) options.exclude = exclude;
  const include = list(o.include);
  if (include) options.include = include;
  const binning: NonNullable<TrainOptions['binning']> = {};
  const set = <K extends keyof typeof binning>(k: K, v: (typeof binning)[K] | undefined) => {
    if (v !== undefined) binning[k] = v;
  };
  set('maxBins', num(o['max-bins'], 'max-bins', Number.isInteger));
  set('minBinShare', num(o['min-bin-share'], 'min-bin-share'));
  set('minBadCount', num(o['min-bad'], 'min-bad', Number.isInteger));
  set('minGoodCount', num(o['min-good'], 'min-good', Number.isInteger));
  set('maxPrebins', num(o['max-prebins'], 'max-prebins', Number.isInteger));
  if (o.prebinning) {
    if (o.prebinning !== 'tree' && o.prebinning !== 'quantile') throw new MingjianError('USAGE', "--prebinning must be 'tree' or 'quantile'");
    binning.prebinning = o.prebinning;
  }
  if (o.trend) binning.trend = trend(o.trend, 'trend');
  if (o['trend-column']) binning.trends = Object.fromEntries(pairs(o['trend-column'], 'trend-column').map(([c, t]) => [c, trend(t, 'trend-column')]));
  options.binning = binning;
  const selection: NonNullable<TrainOptions['selection']> = {};
  const sel = <K extends keyof typeof selection>(k: K, v: (typeof selection)[K] | undefined) => {
    if (v !== undefined) selection[k] = v;
  };
  sel('minIv', num(o['min-iv'], 'min-iv'));
  sel('maxIv', num(o['max-iv'], 'max-iv'));
  sel('maxCorrelation', num(o['max-corr'], 'max-corr'));
  sel('maxVif', num(o['max-vif'], 'max-vif'));
  sel('maxPValue', num(o['max-p'], 'max-p'));
  sel('maxVariables', num(o['max-vars'], 'max-vars', Number.isInteger));
  if (o.stepwise) selection.stepwise = o.stepwise as 'none' | 'forward';
  if (o['keep-wrong-sign']) selection.dropWrongSign = false;
  const force = list(o.force);
  if (force) selection.force = force;
  options.selection = selection;
  const l2 = num(o.l2, 'l2');
  if (l2 !== undefined) options.l2 = l2;
  const scaling: NonNullable<TrainOptions['scaling']> = {};
  const baseScore = num(o['base-score'], 'base-score');
  const baseOdds = num(o['base-odds'], 'base-odds');
  const pdo = num(o.pdo, 'pdo');
  if (baseScore !== undefined) scaling.baseScore = baseScore;
  if (baseOdds !== undefined) scaling.baseOdds = baseOdds;
  if (pdo !== undefined) scaling.pdo = pdo;
  options.scaling = scaling;

  const progress = progressReporter();
  options.onProgress = progress.onProgress;
  let result;
  try {
    result = train(options);
  } finally {
    progress.stop();
  }
  mkdirSync(o.out!, { recursive: true });
  writeFileSync(join(o.out!, 'scorecard.json'), JSON.stringify(result.model, null, 2) + '\n');
  writeFileSync(join(o.out!, 'metrics.json'), JSON.stringify(result.summary, null, 2) + '\n');
  writeFileSync(join(o.out!, 'report.html'), renderReport(result));
  if (o.json) {
    process.stdout.write(JSON.stringify({ out: o.out, attributes: result.model.attributes.map((a) => a.name), metrics: result.summary, warnings: result.model.warnings }, null, 2) + '\n');
    return 0;
  }
  const lines = [`scorecard: ${result.model.attributes.length} attributes (${result.model.attributes.map((a) => a.name).join(', ')})`];
  lines.push(`${'set'.padEnd(6)} ${'rows'.padStart(7)} ${'AUC'.padStart(7)} ${'Gini'.padStart(7)} ${'KS'.padStart(7)}`);
  for (const [k, m] of Object.entries(result.summary)) lines.push(`${k.padEnd(6)} ${String(m.rows).padStart(7)} ${m.auc.toFixed(4).padStart(7)} ${m.gini.toFixed(4).padStart(7)} ${m.ks.toFixed(4).padStart(7)}`);
  lines.push(`score range ${result.model.scoreRange.min}..${result.model.scoreRange.max}; ${result.model.warnings.length} warning(s)${result.model.warnings.length ? ':' : ''}`);
  // Each one named: a constraint that could not be met says which variable and why (report.html has them too).
  for (const w of result.model.warnings) lines.push(`  warning: ${w}`);
  lines.push(`wrote ${join(o.out!, 'scorecard.json')}, metrics.json, report.html`);
  process.stdout.write(lines.join('\n') + '\n');
  return 0;
}

function loadModel(path: string | undefined) {
  if (!path) throw new MingjianError('USAGE', 'needs --model DIR/scorecard.json');
  return parseModel(readText(path, 'model'), path);
}

async function scoreCommand(argv: string[]): Promise<number> {
  const { values: o } = parseCliArgs(argv, { model: { type: 'string' }, data: { type: 'string' }, out: { type: 'string' }, keep: { type: 'string' }, points: { type: 'boolean' }, format: { type: 'string' } });
  const model = loadModel(o.model);
  if (!o.data) throw new MingjianError('USAGE', 'scorecard score needs --data FILE');
  const format = o.format ?? (o.out && /\.(jsonl|ndjson)$/i.test(o.out) ? 'jsonl' : 'csv');
  if (format !== 'csv' && format !== 'jsonl') throw new MingjianError('USAGE', "--format must be 'csv' or 'jsonl'");
  const table = readTable(o.data);
  const keep = list(o.keep) ?? [];
  const keepIdx = keep.map((k) => {
    const i = table.columns.indexOf(k);
    if (i < 0) throw new MingjianError('VALIDATION', `--keep column '${k}' is not in ${o.data}`);
    return i;
  });
  const results = scoreTable(model, table);
  const reasonsShown = Math.min(4, model.attributes.length);
  const header = ['row', ...keep, 'score', 'rating', 'probability', ...Array.from({ length: reasonsShown }, (_, i) => `reason${i + 1}`), ...(o.points ? model.attributes.map((a) => `points_${a.name}`) : [])];
  let text: string;
  if (format === 'csv') {
    const rows = results.map((r, i) => [i, ...keepIdx.map((k) => table.rows[i]![k] ?? ''), r.score, r.rating, r.probability.toFixed(6), ...Array.from({ length: reasonsShown }, (_, k) => r.reasons[k]?.code ?? ''), ...(o.points ? r.attributes.map((a) => a.points) : [])]);
    text = stringify([header, ...rows]);
  } else {
    text = results
      .map((r, i) => JSON.stringify({ row: i, ...Object.fromEntries(keep.map((k, j) => [k, table.rows[i]![keepIdx[j]!] ?? null])), score: r.score, rating: r.rating, probability: r.probability, reasons: r.reasons.map((x) => x.code), ...(o.points ? { points: Object.fromEntries(r.attributes.map((a) => [a.name, a.points])) } : {}) }))
      .join('\n') + '\n';
  }
  if (o.out) writeFileSync(o.out, text);
  else process.stdout.write(text);
  if (o.out) process.stderr.write(`scored ${results.length} rows into ${o.out}\n`);
  return 0;
}

async function exportCommand(argv: string[]): Promise<number> {
  const { values: o } = parseCliArgs(argv, { model: { type: 'string' }, format: { type: 'string' }, out: { type: 'string' }, table: { type: 'string' }, key: { type: 'string' }, id: { type: 'string' } });
  const model = loadModel(o.model);
  let text: string;
  if (o.format === 'pmml') text = scorecardToPmml(model, { createdAt: model.metadata.createdAt });
  else if (o.format === 'sql') text = scorecardToSql(model, { table: o.table ?? 'applications', keyColumns: list(o.key) ?? [] });
  else if (o.format === 'node') text = JSON.stringify(scorecardToNode(model, { id: o.id ?? 'scorecard' }), null, 2) + '\n';
  else throw new MingjianError('USAGE', "--format must be 'pmml', 'sql' or 'node'");
  if (o.out) writeFileSync(o.out, text);
  else process.stdout.write(text);
  return 0;
}

async function importCommand(argv: string[]): Promise<number> {
  const { values: o } = parseCliArgs(argv, { pmml: { type: 'string' }, id: { type: 'string' }, out: { type: 'string' } });
  if (!o.pmml) throw new MingjianError('USAGE', 'scorecard import needs --pmml FILE');
  const node = pmmlToNode(readText(o.pmml, 'PMML file'), { id: o.id ?? 'scorecard' });
  const text = JSON.stringify(node, null, 2) + '\n';
  if (o.out) writeFileSync(o.out, text);
  else process.stdout.write(text);
  return 0;
}

async function psiCommand(argv: string[]): Promise<number> {
  const { values: o } = parseCliArgs(argv, { model: { type: 'string' }, data: { type: 'string' }, expected: { type: 'string' }, json: { type: 'boolean' } });
  const model = loadModel(o.model);
  if (!o.data) throw new MingjianError('USAGE', 'scorecard psi needs --data FILE');
  const actual = scoreTable(model, readTable(o.data));
  const expected = o.expected ? scoreTable(model, readTable(o.expected)) : undefined;
  const report = stability(model, actual, expected);
  if (o.json) {
    process.stdout.write(JSON.stringify(report, null, 2) + '\n');
    return 0;
  }
  const lines = [`expected ${report.expectedRows} rows (${o.expected ?? 'development sample'}), actual ${report.actualRows} rows`];
  lines.push(`${'score PSI'.padEnd(40)} ${report.score.psi.toFixed(4).padStart(8)}  ${report.score.band}`);
  for (const a of report.attributes) lines.push(`${`CSI ${a.name}`.padEnd(40)} ${a.csi.toFixed(4).padStart(8)}  ${a.band.padEnd(6)}  points shift ${a.pointsShift.toFixed(2)}`);
  process.stdout.write(lines.join('\n') + '\n');
  return 0;
}

export const command: CliCommand = {
  summary: 'Train, score, export and monitor credit scorecards',
  usage: USAGE,
  async run(argv) {
    const [sub, ...rest] = argv;
    switch (sub) {
      case 'train':
        return trainCommand(rest);
      case 'score':
        return scoreCommand(rest);
      case 'export':
        return exportCommand(rest);
      case 'import':
        return importCommand(rest);
      case 'psi':
        return psiCommand(rest);
      default:
        throw new MingjianError('USAGE', sub ? `unknown sub-command '${sub}'\n\n${USAGE}` : USAGE);
    }
  },
};
