import { describe, expect, it } from 'vitest';
import { MingjianError } from '../kernel/errors.ts';
import { parseFundersJson, parseLoansCsv } from './io-format.ts';

function errorOf(f: () => unknown): MingjianError {
  try {
    f();
  } catch (err) {
    if (err instanceof MingjianError) return err;
    throw err;
  }
  throw new Error('expected a MingjianError');
}

const HEADER = 'loanId,amount,rating,termMonths,apr,region,product';
const FUNDER = { funderId: 'F1', dailyCeiling: 100, dailyFloor: 0, terms: [12], minRating: 'C', maxHighRiskShare: 0.2, regions: ['*'], products: ['*'], costOfFunds: 0.08 };

describe('parseLoansCsv', () => {
  it('reads loans, in any column order', () => {
    const loans = parseLoansCsv('product,loanId,amount,rating,termMonths,apr,region\ncash,L1,500000,B,12,0.18,GD\n', 'x.csv');
    expect(loans).toEqual([{ loanId: 'L1', amount: 500000, rating: 'B', termMonths: 12, apr: 0.18, region: 'GD', product: 'cash' }]);
  });

  it('names the file, line and column of every bad cell', () => {
    const text = `${HEADER}\nL1,5000.5,B,12,0.18,GD,cash\nL2,100,F,0,abc,,cash\nL1,100,A,6,0.1,GD,cash\n`;
    const err = errorOf(() => parseLoansCsv(text, 'batch.csv'));
    expect(err.code).toBe('VALIDATION');
    expect(err.message).toContain('batch.csv');
    const where = err.details!.map((d) => `${d.file}:${d.line}:${d.path}`);
    expect(where).toEqual(['batch.csv:2:amount', 'batch.csv:3:rating', 'batch.csv:3:termMonths', 'batch.csv:3:apr', 'batch.csv:3:region', 'batch.csv:4:loanId']);
    expect(err.details![5]!.message).toContain('duplicate of line 2');
    expect(err.details![0]!.message).toContain("'5000.5' is not a positive integer");
  });

  it('reports missing columns and empty files', () => {
    const err = errorOf(() => parseLoansCsv('loanId,amount\nL1,5\n', 'a.csv'));
    expect(err.details!.map((d) => d.path)).toEqual(['rating', 'termMonths', 'apr', 'region', 'product']);
    expect(errorOf(() => parseLoansCsv('', 'e.csv')).message).toContain('empty file');
  });
});

describe('parseFundersJson', () => {
  it('accepts the documented shape, with optional monthly quotas', () => {
    const f = parseFundersJson(JSON.stringify([FUNDER, { ...FUNDER, funderId: 'F2', name: 'Bank', monthlyCeiling: 1000, monthlyFloor: 10, monthToDateVolume: 5 }]));
    expect(f.map((x) => x.funderId)).toEqual(['F1', 'F2']);
  });

  it('names the file and the field of every problem', () => {
    const bad = [{ ...FUNDER, minRating: 'Z', dailyCeiling: 1.5 }, { ...FUNDER, funderId: 'F2', terms: [], extra: 1 }, { ...FUNDER, costOfFunds: undefined }];
    const err = errorOf(() => parseFundersJson(JSON.stringify(bad), 'partners.json'));
    expect(err.message).toContain('partners.json');
    const paths = err.details!.map((d) => d.path);
    expect(paths).toEqual(expect.arrayContaining(['[0].dailyCeiling', '[0].minRating', '[1].terms', '[1].extra', '[2].costOfFunds']));
    expect(err.details!.find((d) => d.path === '[0].minRating')!.message).toContain('A, B, C, D, E');
  });

  it('rejects duplicate ids and malformed JSON', () => {
    const dup = errorOf(() => parseFundersJson(JSON.stringify([FUNDER, FUNDER]), 'p.json'));
    expect(dup.details![0]!.path).toBe('[1].funderId');
    expect(errorOf(() => parseFundersJson('[{', 'p.json')).message).toContain('p.json: not valid JSON');
    expect(errorOf(() => parseFundersJson('{}', 'p.json')).details![0]!.path).toBe('(root)');
  });
});
