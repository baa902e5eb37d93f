// `mingjian servicing`: the nightly servicing run, offline, over a generated portfolio or a portfolio file.
import { writeFileSync } from 'node:fs';
import { MingjianError } from '../../kernel/errors.ts';
import { parseCliArgs, type CliCommand, readTextFile } from '../command.ts';
import {
  COMPONENTS, formatDay, formatPortfolioCsv, generatePortfolioRows, parseDay, parsePortfolioCsv, portfolioFromRows, runNightlyBatch,
  validateAllocationOrder, type Component,
} from '../../loans/index.ts';

const usage = `Usage:
  mingjian servicing run --date D [--loans FILE | --generate N] [options]
  mingjian servicing generate --date D --count N --out FILE [--seed S]

run: accrues and ages every loan for day D (YYYY-MM-DD): penalty interest on overdue principal, billing of the
instalments falling due, automatic deduction from the linked account, DPD buckets, charge-offs, early-warning
alerts. Prints a JSON summary (interest accrued, bucket counts, charge-offs, elapsed seconds).

  --date D               the day to run (required)
  --loans FILE           portfolio CSV (columns ${'loanId,principal,apr,termMonths,method,disbursedOn,monthlyFee,penaltyApr,'}
                         ${'paidInstalments,partialPaid,penaltyDue,debitAvailable[,partialStreak]'}), its state as of the day before D
  --generate N           run on N generated loans instead (default 100000 when --loans is absent)
  --seed S               seed of the generated portfolio (default 1)
  --currency C           ISO 4217 currency of the portfolio (default CNY)
  --charge-off-dpd N     days past due that charge a loan off (default 180)
  --allocation-order L   comma-separated order, default penalty,fee,interest,principal
  --partial-streak N     partial payments in a row that raise an alert (default 3)
  --alerts FILE          write up to 10,000 alerts as JSON lines

generate: writes a generated portfolio as CSV (to run later with --loans).

Exit status: 0 ran and reconciled, 1 invalid input or the run did not reconcile, 2 usage error.`;

function intOption(name: string, text: string | undefined, fallback: number, min = 0): number {
  if (text === undefined) return fallback;
  const v = Number(text);
  if (text.trim() === '' || !Number.isSafeInteger(v) || v < min) throw new MingjianError('USAGE', `--${name} must be an integer >= ${min}, got '${text}'`);
  return v;
}


async function run(argv: string[]): Promise<number> {
  const { values } = parseCliArgs(argv, {
    date: { type: 'string' },
    loans: { type: 'string' },
    generate: { type: 'string' },
    seed: { type: 'string' },
    currency: { type: 'string', default: 'CNY' },
    'charge-off-dpd': { type: 'string' },
    'allocation-order': { type: 'string' },
    'partial-streak': { type: 'string' },
    alerts: { type: 'string' },
  });
  if (!values.date) throw new MingjianError('USAGE', `--date is required\n\n${usage}`);
  if (values.loans && values.generate) throw new MingjianError('USAGE', 'give either --loans or --generate, not both');
  if (!/^[A-Z]{3}$/.test(values.currency)) throw new MingjianError('USAGE', `--currency must be an ISO 4217 code, got '${values.currency}'`);
  const day = parseDay(values.date, '--date');
  const terms = {
    chargeOffDpd: intOption('charge-off-dpd', values['charge-off-dpd'], 180, 1),
    partialStreakAlert: intOption('partial-streak', values['partial-streak'], 3, 1),
    allocationOrder: values['allocation-order'] ? validateAllocationOrder(values['allocation-order'].split(',').map((s) => s.trim()), '--allocation-order') : ([...COMPONENTS] as Component[]),
  };
  const t0 = performance.now();
  const rows = values.loans
    ? parsePortfolioCsv(readTextFile(values.loans), values.loans)
    : generatePortfolioRows(intOption('generate', values.generate, 100_000, 1), day, intOption('seed', values.seed, 1));
  const portfolio = portfolioFromRows(rows, day, values.currency, terms);
  const loadSeconds = (performance.now() - t0) / 1000;
  const t1 = performance.now();
  const { summary, alerts } = runNightlyBatch(portfolio, day, { maxAlerts: values.alerts ? 10_000 : 0 });
  const seconds = (performance.now() - t1) / 1000;
  if (values.alerts) writeFileSync(values.alerts, alerts.map((a) => JSON.stringify({ ...a, day: formatDay(a.day) })).join('\n') + (alerts.length ? '\n' : ''));
  const out = {
    ...summary,
    date: formatDay(day),
    currency: values.currency,
    source: values.loans ? { file: values.loans } : { generated: rows.length, seed: intOption('seed', values.seed, 1) },
    seconds: Number(seconds.toFixed(3)),
    loadSeconds: Number(loadSeconds.toFixed(3)),
  };
  process.stdout.write(JSON.stringify(out, null, 2) + '\n');
  if (!summary.reconciled) {
    process.stderr.write(`mingjian servicing: the run did not reconcile:\n${summary.reconciliationProblems.map((p) => `  - ${p}`).join('\n')}\n`);
    return 1;
  }
  return 0;
}

async function generate(argv: string[]): Promise<number> {
  const { values } = parseCliArgs(argv, { date: { type: 'string' }, count: { type: 'string' }, out: { type: 'string' }, seed: { type: 'string' } });
  if (!values.date || !values.count || !values.out) throw new MingjianError('USAGE', `--date, --count and --out are required\n\n${usage}`);
  const day = parseDay(values.date, '--date');
  const rows = generatePortfolioRows(intOption('count', values.count, 0, 1), day, intOption('seed', values.seed, 1));
  writeFileSync(values.out, formatPortfolioCsv(rows));
  process.stderr.write(`wrote ${rows.length} loans to ${values.out} (state as of ${formatDay(day - 1)})\n`);
  return 0;
}

export const command: CliCommand = {
  summary: 'Nightly loan servicing run (accrual, ageing, charge-off) over a portfolio, offline',
  usage,
  async run(argv) {
    const [sub, ...rest] = argv;
    if (sub === 'run') return run(rest);
    if (sub === 'generate') return generate(rest);
    throw new MingjianError('USAGE', `unknown sub-command '${sub ?? ''}'\n\n${usage}`);
  },
};
