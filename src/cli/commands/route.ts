// `mingjian route`: routes a batch of loans to funding partners offline, from files, so any batch can be routed
// and checked outside the service.
import { writeFileSync } from 'node:fs';
import { stringify } from 'csv-stringify/sync';
import { MingjianError } from '../../kernel/errors.ts';
import { parseCliArgs, type CliCommand, readTextFile } from '../command.ts';
import { assignmentRows, parseFundersJson, parseLoansCsv, routeBatch, type RoutingMethod } from '../../routing/index.ts';

const usage = `Usage: mingjian route --loans LOANS.csv --funders FUNDERS.json --out ASSIGN.csv [options]

Assigns each loan to at most one funding partner, maximising the total margin amount x (apr - costOfFunds)
under every funder's floor and ceiling, high-risk share, eligibility, and the global ceiling.

  --loans FILE           CSV with columns loanId,amount,rating,termMonths,apr,region,product (amount in minor units)
  --funders FILE         JSON array of funders (funderId, dailyCeiling, dailyFloor, terms, minRating,
                         maxHighRiskShare, regions, products, costOfFunds; optional name, monthlyCeiling,
                         monthlyFloor, monthToDateVolume)
  --out FILE             where to write loanId,funderId for every routed loan
  --global-ceiling N     most the whole batch may fund, minor units
  --days-left-in-month N days left in the month including today (lets monthly floors raise today's floors)
  --method M             auto (default: exact MIP up to 2,000 loans, aggregated LP above), lp, mip, greedy
  --time-limit S         seconds the mip method may run, LP warm start included (default 20)
  --json                 print the summary as JSON

Exit status: 0 routed with every constraint met, 1 invalid input or a floor that cannot be met (the
assignment is still written, with the short floors listed), 2 usage error.`;

function positiveNumber(name: string, text: string | undefined, integer: boolean): number | undefined {
  if (text === undefined) return undefined;
  const v = Number(text);
  if (text.trim() === '' || !Number.isFinite(v) || v < 0 || (integer && !Number.isSafeInteger(v))) {
    throw new MingjianError('USAGE', `--${name} must be a ${integer ? 'non-negative integer' : 'non-negative number'}, got '${text}'`);
  }
  return v;
}


export const command: CliCommand = {
  summary: 'Route a batch of loans to funding partners (LP/MIP with HiGHS, compared with serial routing)',
  usage,
  async run(argv) {
    const { values } = parseCliArgs(argv, {
      loans: { type: 'string' },
      funders: { type: 'string' },
      out: { type: 'string' },
      'global-ceiling': { type: 'string' },
      'days-left-in-month': { type: 'string' },
      method: { type: 'string', default: 'auto' },
      'time-limit': { type: 'string' },
      json: { type: 'boolean', default: false },
    });
    for (const req of ['loans', 'funders', 'out'] as const) {
      if (!values[req]) throw new MingjianError('USAGE', `--${req} is required\n\n${usage}`);
    }
    const method = values.method as RoutingMethod;
    if (!['auto', 'lp', 'mip', 'greedy'].includes(method)) throw new MingjianError('USAGE', `--method must be auto, lp, mip or greedy, got '${values.method}'`);
    const globalCeiling = positiveNumber('global-ceiling', values['global-ceiling'], true);
    const daysLeftInMonth = positiveNumber('days-left-in-month', values['days-left-in-month'], true);
    const timeLimit = positiveNumber('time-limit', values['time-limit'], false);

    const loans = parseLoansCsv(readTextFile(values.loans!), values.loans!);
    const funders = parseFundersJson(readTextFile(values.funders!), values.funders!);
    const problem = { loans, funders, globalCeiling, daysLeftInMonth };
    const result = await routeBatch(problem, { method, timeLimit, clock: () => performance.now() });

    writeFileSync(values.out!, stringify(assignmentRows(problem, result.assign), { header: true, columns: ['loanId', 'funderId'] }));
    const summary = {
      objective: Math.round(result.objective),
      bound: result.bound === null ? null : Math.ceil(result.bound),
      gap: result.gap,
      fundedVolume: result.fundedVolume,
      greedyObjective: Math.round(result.greedyObjective),
      greedyFundedVolume: result.greedyFundedVolume,
      seconds: Number(result.seconds.toFixed(3)),
      status: result.status,
      method: result.method,
      loans: loans.length,
      fundedLoans: result.fundedLoans,
      marginVsGreedy: result.greedyObjective !== 0 ? result.objective / result.greedyObjective - 1 : null,
      infeasibleFloors: result.infeasibleFloors,
    };
    if (values.json) {
      process.stdout.write(JSON.stringify(summary) + '\n');
    } else {
      const pct = (x: number | null) => (x === null ? 'n/a' : `${(x * 100).toFixed(3)}%`);
      process.stdout.write(
        `${result.status}: ${result.fundedLoans} of ${loans.length} loans routed by ${result.method} in ${summary.seconds}s\n` +
        `margin ${summary.objective} (bound ${summary.bound ?? 'n/a'}, gap ${pct(result.gap)}), funded ${result.fundedVolume}\n` +
        `serial routing: margin ${summary.greedyObjective}, funded ${result.greedyFundedVolume} (this run ${pct(summary.marginVsGreedy)} vs serial)\n`,
      );
      for (const f of result.infeasibleFloors) process.stdout.write(`  ${f.constraint}: ${f.message}\n`);
    }
    return result.infeasibleFloors.length ? 1 : 0;
  },
};
