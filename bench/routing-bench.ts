// Routing benchmark: demo batches of 1,000 / 10,000 / 100,000 loans against the 71 demo funders, routed by the
// aggregated LP (HiGHS) and by serial greedy routing; the exact per-loan MIP on the smaller batches under a time
// limit. Every result is checked against all constraints before it is reported. Called from bench/loans.ts.
import { checkAssignment, compileProblem, demoFunders, demoLoans, routeBatch, type RoutingMethod } from '../src/routing/index.ts';

export interface RoutingBenchOptions {
  sizes?: number[];
  /** Batches up to this size also run the exact MIP. */
  mipMaxLoans?: number;
  mipTimeLimit?: number;
  seed?: number;
  log?: (line: string) => void;
}

export interface RoutingBenchRow {
  loans: number;
  funders: number;
  method: Exclude<RoutingMethod, 'auto'>;
  status: string;
  objective: number;
  bound: number | null;
  gap: number | null;
  fundedVolume: number;
  fundedLoans: number;
  greedyObjective: number;
  greedyFundedVolume: number;
  /** (objective - greedyObjective) / greedyObjective. */
  marginVsGreedy: number;
  seconds: number;
  greedySeconds: number;
  /** CPU time of the whole routeBatch call (greedy included); steadier than wall time on a shared machine. */
  cpuSeconds: number;
  columns: number;
  rows: number;
  groups?: number;
}

export async function runRoutingBench(opts: RoutingBenchOptions = {}): Promise<RoutingBenchRow[]> {
  const sizes = opts.sizes ?? [1000, 10000, 100000];
  const seed = opts.seed ?? 42;
  const log = opts.log ?? (() => {});
  const rows: RoutingBenchRow[] = [];
  for (const n of sizes) {
    const funders = demoFunders({ seed, batchLoans: n });
    const loans = demoLoans({ seed: seed + 1, count: n });
    const methods: Exclude<RoutingMethod, 'auto'>[] = n <= (opts.mipMaxLoans ?? 2000) ? ['lp', 'mip'] : ['lp'];
    for (const method of methods) {
      const cpu0 = process.cpuUsage();
      const r = await routeBatch({ loans, funders }, { method, timeLimit: opts.mipTimeLimit ?? 30, clock: () => performance.now() });
      const cpu = process.cpuUsage(cpu0);
      const violations = checkAssignment(compileProblem({ loans, funders }), r.assign, r.status !== 'infeasible');
      if (violations.length) throw new Error(`${method} at ${n}: ${violations[0]!.message}`);
      const row: RoutingBenchRow = {
        loans: n, funders: funders.length, method, status: r.status, objective: Math.round(r.objective), bound: r.bound === null ? null : Math.ceil(r.bound),
        gap: r.gap, fundedVolume: r.fundedVolume, fundedLoans: r.fundedLoans, greedyObjective: Math.round(r.greedyObjective),
        greedyFundedVolume: r.greedyFundedVolume, marginVsGreedy: r.objective / r.greedyObjective - 1, seconds: r.seconds,
        greedySeconds: r.greedySeconds, cpuSeconds: (cpu.user + cpu.system) / 1e6, columns: r.solver.columns, rows: r.solver.rows, groups: r.solver.groups,
      };
      rows.push(row);
      log(`${String(n).padStart(7)} loans  ${method.padEnd(4)} ${r.status.padEnd(10)} ${row.seconds.toFixed(2).padStart(6)}s (cpu ${row.cpuSeconds.toFixed(2)}s)  gap ${pct(row.gap)}  ` +
        `margin ${row.objective} vs greedy ${row.greedyObjective} (${pct(row.marginVsGreedy, true)})  funded ${row.fundedVolume} vs ${row.greedyFundedVolume}  ` +
        `[${row.columns} cols x ${row.rows} rows${row.groups ? `, ${row.groups} groups` : ''}]`);
    }
  }
  return rows;
}

function pct(x: number | null, sign = false): string {
  if (x === null) return 'n/a';
  return `${sign && x >= 0 ? '+' : ''}${(x * 100).toFixed(2)}%`;
}
