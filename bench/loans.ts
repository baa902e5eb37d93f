// Loans and funding benchmark: routing (bench/routing-bench.ts) and the servicing nightly batch.
//
//   npm run bench:loans [-- --json] [--sizes 1000,10000,100000] [--mip-time-limit S] [--servicing-loans N] [--servicing-nights K]
//
// The machine may be shared: run once, quote the command and the figures.
import { parseArgs } from 'node:util';
import { runRoutingBench, type RoutingBenchRow } from './routing-bench.ts';
import { runServicingBench, type ServicingBenchResult } from './servicing-bench.ts';

const { values: opts } = parseArgs({
  options: {
    json: { type: 'boolean', default: false },
    sizes: { type: 'string' },
    'mip-time-limit': { type: 'string' },
    'servicing-loans': { type: 'string' },
    'servicing-nights': { type: 'string' },
  },
});

const say = (line: string) => {
  if (!opts.json) process.stdout.write(line + '\n');
};

// ---------------------------------------------------------------- routing
async function routingSection(): Promise<RoutingBenchRow[]> {
  say('Routing: 71 demo funders, aggregated LP and exact MIP (HiGHS) against serial greedy routing');
  return runRoutingBench({
    sizes: opts.sizes ? opts.sizes.split(',').map(Number) : undefined,
    mipTimeLimit: opts['mip-time-limit'] ? Number(opts['mip-time-limit']) : undefined,
    log: say,
  });
}

// ---------------------------------------------------------------- servicing
async function servicingSection(): Promise<ServicingBenchResult> {
  return runServicingBench({
    loans: opts['servicing-loans'] ? Number(opts['servicing-loans']) : undefined,
    nights: opts['servicing-nights'] ? Number(opts['servicing-nights']) : undefined,
    log: say,
  });
}

const report: Record<string, unknown> = {};
report.routing = await routingSection();
report.servicing = await servicingSection();
if (opts.json) process.stdout.write(JSON.stringify(report, null, 2) + '\n');
