// Servicing benchmark: the nightly batch (src/loans/nightly-batch.ts) over a generated portfolio of a million loans,
// run for consecutive nights so billing days, deductions, ageing and charge-offs all occur. Called from
// bench/loans.ts. Generation and loading into columns are timed apart from the batch itself.
import { formatDay, generatePortfolioRows, parseDay, portfolioFromRows, runNightlyBatch, seededRandom, type BatchSummary } from '../src/loans/index.ts';

export interface ServicingBenchOptions {
  loans?: number;
  nights?: number;
  firstNight?: string;
  seed?: number;
  log?: (line: string) => void;
}

export interface ServicingBenchResult {
  loans: number;
  nights: number;
  firstNight: string;
  loadSeconds: number;
  /** Seconds of the batch alone, per night. */
  firstNightSeconds: number;
  medianNightSeconds: number;
  maxNightSeconds: number;
  /** Load plus every night. */
  totalSeconds: number;
  reconciledEveryNight: boolean;
  firstNightSummary: Omit<BatchSummary, 'date'> & { date: string };
  afterLastNight: { buckets: BatchSummary['buckets']; states: BatchSummary['states']; chargeOffsTotal: number };
}

export async function runServicingBench(opts: ServicingBenchOptions = {}): Promise<ServicingBenchResult> {
  const loans = opts.loans ?? 1_000_000;
  const nights = opts.nights ?? 30;
  const log = opts.log ?? (() => {});
  const first = parseDay(opts.firstNight ?? '2026-11-28');
  const t0 = performance.now();
  const portfolio = portfolioFromRows(generatePortfolioRows(loans, first, opts.seed ?? 1), first, 'CNY');
  const loadSeconds = (performance.now() - t0) / 1000;
  log(`Servicing: ${loans.toLocaleString('en')} loans generated and loaded into columns in ${loadSeconds.toFixed(2)} s`);
  const times: number[] = [];
  let firstSummary: BatchSummary | undefined;
  let last: BatchSummary | undefined;
  let reconciled = true;
  let chargeOffsTotal = 0;
  const rnd = seededRandom((opts.seed ?? 1) + 1);
  // Each borrower keeps a habit: 85% hold enough, 8% nothing, 7% part of what is due, so every night deducts,
  // part-pays, misses and ages. The linked accounts are refilled before each later night, untimed.
  const habit = Uint8Array.from({ length: portfolio.size }, () => {
    const u = rnd();
    return u < 0.85 ? 0 : u < 0.93 ? 1 : 2;
  });
  for (let k = 0; k < nights; k++) {
    if (k > 0) {
      for (let i = 0; i < portfolio.size; i++) {
        const h = habit[i]!;
        portfolio.debitAvailable[i] = h === 0 ? 1e9 : h === 1 ? 0 : Math.floor(rnd() * 30_000);
      }
    }
    const t = performance.now();
    const { summary } = runNightlyBatch(portfolio, first + k);
    times.push((performance.now() - t) / 1000);
    firstSummary ??= summary;
    last = summary;
    reconciled &&= summary.reconciled;
    chargeOffsTotal += summary.chargeOffs.count;
  }
  const sorted = [...times].sort((a, b) => a - b);
  const r = (x: number) => Number(x.toFixed(4));
  const result: ServicingBenchResult = {
    loans,
    nights,
    firstNight: formatDay(first),
    loadSeconds: r(loadSeconds),
    firstNightSeconds: r(times[0]!),
    medianNightSeconds: r(sorted[Math.floor(sorted.length / 2)]!),
    maxNightSeconds: r(sorted[sorted.length - 1]!),
    totalSeconds: r(loadSeconds + times.reduce((a, b) => a + b, 0)),
    reconciledEveryNight: reconciled,
    firstNightSummary: { ...firstSummary!, date: formatDay(firstSummary!.date) },
    afterLastNight: { buckets: last!.buckets, states: last!.states, chargeOffsTotal },
  };
  log(`  nightly batch: first night ${result.firstNightSeconds} s, median ${result.medianNightSeconds} s, max ${result.maxNightSeconds} s over ${nights} nights (target < 60 s); reconciled every night: ${reconciled}`);
  log(`  first night: interest billed ${firstSummary!.accruedInterest}, penalty ${firstSummary!.penaltyAccrued}, charge-offs ${firstSummary!.chargeOffs.count}, buckets ${JSON.stringify(firstSummary!.buckets)}`);
  return result;
}
