// The file formats of `mingjian route`: loans CSV and funders JSON, parsed from text (the CLI reads the files).
// Every problem is reported with the file, the row or array index, and the column or field.
import { parse } from 'csv-parse/sync';
import { Type } from '@sinclair/typebox';
import { Ajv, type ErrorObject } from 'ajv';
import { MingjianError, type ErrorDetail } from '../kernel/errors.ts';
import { RATINGS, type Funder, type Rating, type RoutingLoan } from './model.ts';

export const LOAN_COLUMNS = ['loanId', 'amount', 'rating', 'termMonths', 'apr', 'region', 'product'] as const;
const MAX_DETAILS = 50;

function fail(file: string, what: string, details: ErrorDetail[]): never {
  const shown = details.slice(0, MAX_DETAILS);
  const more = details.length > MAX_DETAILS ? ` (first ${MAX_DETAILS} of ${details.length} shown)` : '';
  throw new MingjianError('VALIDATION', `${file}: ${details.length} problem(s) in ${what}${more}`, shown);
}

/** Parses the loans CSV. Lines are counted from 1 with the header as line 1. */
export function parseLoansCsv(text: string, file = 'loans.csv'): RoutingLoan[] {
  let records: string[][];
  try {
    records = parse(text, { bom: true, skip_empty_lines: true, relax_column_count: true, trim: true }) as string[][];
  } catch (err) {
    const e = err as Error & { lines?: number };
    throw new MingjianError('VALIDATION', `${file}: not valid CSV: ${e.message}`, [{ file, line: e.lines, message: e.message }]);
  }
  const header = records[0];
  if (!header) throw new MingjianError('VALIDATION', `${file}: empty file, expected a header ${LOAN_COLUMNS.join(',')}`, [{ file, line: 1, message: 'missing header' }]);
  const col = new Map(header.map((h, k) => [h, k]));
  const missing = LOAN_COLUMNS.filter((c) => !col.has(c));
  if (missing.length) {
    fail(file, 'the header', missing.map((c) => ({ file, line: 1, path: c, message: `missing column '${c}'`, expected: LOAN_COLUMNS.join(',') })));
  }
  const details: ErrorDetail[] = [];
  const loans: RoutingLoan[] = [];
  const seen = new Map<string, number>();
  for (let r = 1; r < records.length; r++) {
    const row = records[r]!;
    const line = r + 1;
    const cell = (c: (typeof LOAN_COLUMNS)[number]) => row[col.get(c)!] ?? '';
    const bad = (c: string, message: string, expected?: string) => details.push({ file, line, path: c, message, expected });
    const loanId = cell('loanId');
    if (!loanId) bad('loanId', 'empty');
    else if (seen.has(loanId)) bad('loanId', `duplicate of line ${seen.get(loanId)}`);
    else seen.set(loanId, line);
    const amountText = cell('amount');
    const amount = Number(amountText);
    if (!/^\d+$/.test(amountText) || !Number.isSafeInteger(amount) || amount <= 0) bad('amount', `'${amountText}' is not a positive integer of minor units`, 'e.g. 500000 for 5,000.00');
    const rating = cell('rating') as Rating;
    if (!RATINGS.includes(rating)) bad('rating', `'${rating}' is not a rating`, RATINGS.join(', '));
    const termText = cell('termMonths');
    const termMonths = Number(termText);
    if (!/^\d+$/.test(termText) || termMonths <= 0) bad('termMonths', `'${termText}' is not a positive whole number of months`);
    const aprText = cell('apr');
    const apr = Number(aprText);
    if (aprText === '' || !Number.isFinite(apr) || apr < 0 || apr > 10) bad('apr', `'${aprText}' is not an annual rate as a decimal`, 'a number between 0 and 10, e.g. 0.18');
    const region = cell('region');
    if (!region) bad('region', 'empty');
    const product = cell('product');
    if (!product) bad('product', 'empty');
    loans.push({ loanId, amount, rating, termMonths, apr, region, product });
  }
  if (details.length) fail(file, 'the loans', details);
  return loans;
}

const RatingSchema = Type.Union(RATINGS.map((r) => Type.Literal(r)));
const Quota = Type.Integer({ minimum: 0 });
const FunderSchema = Type.Object({
  funderId: Type.String({ minLength: 1 }),
  name: Type.Optional(Type.String()),
  dailyCeiling: Quota,
  dailyFloor: Quota,
  monthlyCeiling: Type.Optional(Quota),
  monthlyFloor: Type.Optional(Quota),
  monthToDateVolume: Type.Optional(Quota),
  terms: Type.Array(Type.Integer({ minimum: 1 }), { minItems: 1 }),
  minRating: RatingSchema,
  maxHighRiskShare: Type.Number({ minimum: 0, maximum: 1 }),
  regions: Type.Array(Type.String({ minLength: 1 }), { minItems: 1 }),
  products: Type.Array(Type.String({ minLength: 1 }), { minItems: 1 }),
  costOfFunds: Type.Number({ minimum: 0, maximum: 10 }),
}, { additionalProperties: false });
export const FundersSchema = Type.Array(FunderSchema);

const ajv = new Ajv({ allErrors: true, strict: false });
const validateFunders = ajv.compile(FundersSchema);

function ajvPath(e: ErrorObject): string {
  // `/3/minRating` -> `[3].minRating`
  const parts = e.instancePath.split('/').slice(1);
  let p = '';
  for (const part of parts) p += /^\d+$/.test(part) ? `[${part}]` : `.${part}`;
  if (e.keyword === 'additionalProperties') p += `.${(e.params as { additionalProperty: string }).additionalProperty}`;
  if (e.keyword === 'required') p += `.${(e.params as { missingProperty: string }).missingProperty}`;
  return p.replace(/^\./, '') || '(root)';
}

/** Parses and validates the funders JSON (an array of funders). */
export function parseFundersJson(text: string, file = 'funders.json'): Funder[] {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    throw new MingjianError('VALIDATION', `${file}: not valid JSON: ${(err as Error).message}`, [{ file, message: (err as Error).message }]);
  }
  if (!validateFunders(data)) {
    const seen = new Set<string>();
    const details: ErrorDetail[] = [];
    for (const e of validateFunders.errors ?? []) {
      // A union of literals reports one error per literal; keep one line per field.
      const path = ajvPath(e);
      if (seen.has(path)) continue;
      seen.add(path);
      const message = e.keyword === 'anyOf' || e.keyword === 'const' ? `must be one of ${RATINGS.join(', ')}` : e.keyword === 'additionalProperties' ? 'unknown field' : e.message ?? 'invalid';
      details.push({ file, path, message });
    }
    fail(file, 'the funders', details);
  }
  const funders = data as Funder[];
  const details: ErrorDetail[] = [];
  const ids = new Map<string, number>();
  funders.forEach((f, k) => {
    if (ids.has(f.funderId)) details.push({ file, path: `[${k}].funderId`, message: `'${f.funderId}' duplicates [${ids.get(f.funderId)}]` });
    else ids.set(f.funderId, k);
  });
  if (details.length) fail(file, 'the funders', details);
  return funders;
}
