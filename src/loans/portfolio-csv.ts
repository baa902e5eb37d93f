// The portfolio file format of `mingjian servicing run --loans FILE`: one loan per CSV row, amounts in minor units,
// dates YYYY-MM-DD. Text in, rows out; reading the file is the caller's business.
import { parse } from 'csv-parse/sync';
import { stringify } from 'csv-stringify/sync';
import { MingjianError, type ErrorDetail } from '../kernel/errors.ts';
import { formatDay, parseDay } from './dates.ts';
import type { PortfolioRow } from './portfolio.ts';

export const PORTFOLIO_COLUMNS = [
  'loanId', 'principal', 'apr', 'termMonths', 'method', 'disbursedOn', 'monthlyFee', 'penaltyApr', 'paidInstalments', 'partialPaid', 'penaltyDue', 'debitAvailable',
] as const;

const NUMERIC = ['principal', 'apr', 'termMonths', 'monthlyFee', 'penaltyApr', 'paidInstalments', 'partialPaid', 'penaltyDue', 'debitAvailable'] as const;

export function parsePortfolioCsv(text: string, file = 'loans.csv'): PortfolioRow[] {
  let records: string[][];
  try {
    records = parse(text, { skip_empty_lines: true, trim: true }) as string[][];
  } catch (err) {
    throw new MingjianError('VALIDATION', `${file} is not valid CSV: ${(err as Error).message}`, [{ file, message: (err as Error).message }]);
  }
  const header = records[0] ?? [];
  const missing = PORTFOLIO_COLUMNS.filter((c) => !header.includes(c));
  if (missing.length) {
    throw new MingjianError('VALIDATION', `${file} lacks columns ${missing.join(', ')}`, [{ file, line: 1, message: `missing columns ${missing.join(', ')}`, expected: PORTFOLIO_COLUMNS.join(',') }]);
  }
  const idx = Object.fromEntries(PORTFOLIO_COLUMNS.map((c) => [c, header.indexOf(c)])) as Record<(typeof PORTFOLIO_COLUMNS)[number], number>;
  const errors: ErrorDetail[] = [];
  const rows: PortfolioRow[] = [];
  for (let r = 1; r < records.length; r++) {
    const rec = records[r]!;
    const line = r + 1;
    const num: Record<string, number> = {};
    for (const c of NUMERIC) {
      const raw = rec[idx[c]] ?? '';
      const v = Number(raw);
      if (raw === '' || !Number.isFinite(v)) errors.push({ file, line, path: c, message: `'${raw}' is not a number` });
      num[c] = v;
    }
    let disbursedDay = NaN;
    try {
      disbursedDay = parseDay(rec[idx.disbursedOn] ?? '', 'disbursedOn');
    } catch (err) {
      errors.push({ file, line, path: 'disbursedOn', message: (err as MingjianError).details?.[0]?.message ?? 'not a date' });
    }
    if (errors.length >= 50) break;
    const streakAt = header.indexOf('partialStreak');
    const streak = streakAt >= 0 && rec[streakAt] !== '' ? Number(rec[streakAt]) : undefined;
    rows.push({
      loanId: rec[idx.loanId] ?? '',
      principal: num.principal!, apr: num.apr!, termMonths: num.termMonths!, method: rec[idx.method] as PortfolioRow['method'], disbursedDay,
      monthlyFee: num.monthlyFee!, penaltyApr: num.penaltyApr!, paidInstalments: num.paidInstalments!, partialPaid: num.partialPaid!,
      penaltyDue: num.penaltyDue!, debitAvailable: num.debitAvailable!, ...(streak === undefined ? {} : { partialStreak: streak }),
    });
  }
  if (errors.length) throw new MingjianError('VALIDATION', `${file} has invalid rows`, errors);
  return rows;
}

export function formatPortfolioCsv(rows: readonly PortfolioRow[]): string {
  return stringify(rows.map((r) => [
    r.loanId, r.principal, r.apr, r.termMonths, r.method, formatDay(r.disbursedDay), r.monthlyFee, r.penaltyApr, r.paidInstalments, r.partialPaid, r.penaltyDue, r.debitAvailable, r.partialStreak ?? 0,
  ]), { header: true, columns: [...PORTFOLIO_COLUMNS, 'partialStreak'] });
}
