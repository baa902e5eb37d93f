// Data parsing, split checks, the seeded split, and the correlation/VIF measures used by selection.
import { describe, expect, it } from 'vitest';
import { MingjianError } from '../kernel/errors.ts';
import { parseCsv, parseJsonLines, parseSplit, stratifiedSplit } from './table.ts';
import { pearson, vifs } from './selection.ts';

describe('data files', () => {
  it('reads JSON Lines with keys in order of first appearance; absent keys are missing', () => {
    const t = parseJsonLines('{"a":1,"b":"x"}\n\n{"b":"y","c":true}\n');
    expect(t.columns).toEqual(['a', 'b', 'c']);
    expect(t.rows).toEqual([['1', 'x', null], [null, 'y', 'true']]);
  });
  it('names the line of a broken JSON Lines record', () => {
    expect(() => parseJsonLines('{"a":1}\n{"a":\n', 'f.jsonl')).toThrow(/f\.jsonl: line 2 is not valid JSON/);
  });
  it('rejects duplicate CSV column names and ragged rows', () => {
    expect(() => parseCsv('a,b,a\n1,2,3\n')).toThrow(/duplicate column name\(s\) 'a'/);
    expect(() => parseCsv('a,b\n1,2,3\n')).toThrow(MingjianError);
  });
  it('reads quoted cells with commas', () => {
    expect(parseCsv('a,b\n"x, y",2\n').rows).toEqual([['x, y', '2']]);
  });
});

describe('splits', () => {
  it('accepts a split file listing every row once', () => {
    expect(parseSplit(parseCsv('row,set\n1,test\n0,train\n'), 2)).toEqual(['train', 'test']);
  });
  it('lists each problem with its line', () => {
    try {
      parseSplit(parseCsv('row,set\n0,train\n0,test\nx,train\n'), 3, 's.csv');
      throw new Error('expected an error');
    } catch (err) {
      const e = err as MingjianError;
      expect(e.details!.map((d) => d.message)).toEqual(['row 0 is listed twice', "row 'x' is not a 0-based row index", '2 data row(s) not in the split file, first: 1, 2']);
      expect(e.details![0]!.line).toBe(3);
    }
  });
  it('needs the row and set columns', () => {
    expect(() => parseSplit(parseCsv('id,part\n0,train\n'), 1)).toThrow(/needs columns 'row' and 'set'/);
  });
  it('stratified split is seeded, keeps the bad rate and is the same every run', () => {
    const y = Uint8Array.from({ length: 1000 }, (_, i) => (i % 4 === 0 ? 1 : 0));
    const all = new Array<boolean>(1000).fill(true);
    const a = stratifiedSplit(y, all, 0.3, 42);
    expect(stratifiedSplit(y, all, 0.3, 42)).toEqual(a);
    expect(stratifiedSplit(y, all, 0.3, 43)).not.toEqual(a);
    expect(a.filter((s, i) => s === 'test' && y[i] === 1).length).toBe(75);
    expect(a.filter((s) => s === 'test').length).toBe(300);
  });
});

describe('correlation and VIF', () => {
  it('Pearson r of a hand case', () => {
    // dx = -1, 0, 1; dy = -7/3, -1/3, 8/3: sum dx*dy = 5, sum dx^2 = 2, sum dy^2 = 114/9.
    const x = Float64Array.from([1, 2, 3]);
    const y = Float64Array.from([2, 4, 7]);
    const r = 5 / Math.sqrt(2 * (114 / 9)); // 0.99340
    expect(pearson(x, y)).toBeCloseTo(r, 12);
  });
  it('VIF is 1 for uncorrelated columns and 1/(1-r^2) for two correlated ones', () => {
    const a = Float64Array.from([1, -1, 1, -1]);
    const b = Float64Array.from([1, 1, -1, -1]);
    expect(vifs([a, b]).map((v) => Number(v.toFixed(12)))).toEqual([1, 1]);
    const c = Float64Array.from([1, 2, 3, 4, 5]);
    const d = Float64Array.from([2, 1, 4, 3, 6]);
    const r = pearson(c, d);
    for (const v of vifs([c, d])) expect(v).toBeCloseTo(1 / (1 - r * r), 10);
  });
});
