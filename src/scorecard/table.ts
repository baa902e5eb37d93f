// Parsing of data text into a Table, of a split file into set labels, and the seeded stratified split. Pure: the
// caller reads the file and passes its text.

import { seededRandom } from '../kernel/seeded-random.ts';
import { parse } from 'csv-parse/sync';
import { MingjianError, type ErrorDetail } from '../kernel/errors.ts';
import type { Table } from './types.ts';

export function parseCsv(text: string, file = 'data'): Table {
  let records: string[][];
  try {
    records = parse(text, { bom: true, skip_empty_lines: true, relax_column_count: false }) as string[][];
  } catch (err) {
    throw new MingjianError('VALIDATION', `${file}: not valid CSV: ${(err as Error).message}`);
  }
  const [header, ...rows] = records;
  if (!header || header.length === 0) throw new MingjianError('VALIDATION', `${file}: empty file (no header row)`);
  const seen = new Set<string>();
  const dupes = header.filter((h) => (seen.has(h) ? true : (seen.add(h), false)));
  if (dupes.length) throw new MingjianError('VALIDATION', `${file}: duplicate column name(s) ${dupes.map((d) => `'${d}'`).join(', ')}`);
  return { columns: header, rows };
}

/** JSON Lines: one object per line; columns are the keys in order of first appearance; scalars become text. */
export function parseJsonLines(text: string, file = 'data'): Table {
  const columns: string[] = [];
  const index = new Map<string, number>();
  const objects: Record<string, unknown>[] = [];
  const lines = text.split('\n');
  for (let l = 0; l < lines.length; l++) {
    const line = lines[l]!.trim();
    if (!line) continue;
    let obj: unknown;
    try {
      obj = JSON.parse(line);
    } catch (err) {
      throw new MingjianError('VALIDATION', `${file}: line ${l + 1} is not valid JSON: ${(err as Error).message}`);
    }
    if (obj === null || typeof obj !== 'object' || Array.isArray(obj)) throw new MingjianError('VALIDATION', `${file}: line ${l + 1} is not a JSON object`);
    for (const k of Object.keys(obj)) {
      if (!index.has(k)) {
        index.set(k, columns.length);
        columns.push(k);
      }
    }
    objects.push(obj as Record<string, unknown>);
  }
  const rows = objects.map((o) => columns.map((c) => {
    const v = o[c];
    if (v === undefined || v === null) return null;
    return typeof v === 'object' ? JSON.stringify(v) : String(v);
  }));
  return { columns, rows };
}

export type SetName = 'train' | 'test' | 'oot';

/**
 * A split file (`row,set`, 0-based data row index, `train` or `test`) checked against the data: every data row
 * exactly once, nothing else. Errors name the split file's line.
 */
export function parseSplit(split: Table, dataRows: number, file = 'split'): SetName[] {
  const rowCol = split.columns.indexOf('row');
  const setCol = split.columns.indexOf('set');
  if (rowCol < 0 || setCol < 0) {
    throw new MingjianError('VALIDATION', `${file}: needs columns 'row' and 'set' (found ${split.columns.map((c) => `'${c}'`).join(', ')})`);
  }
  const sets: (SetName | undefined)[] = new Array(dataRows);
  const problems: ErrorDetail[] = [];
  const problem = (line: number, message: string) => {
    if (problems.length < 20) problems.push({ file, line, path: `line ${line}`, message });
  };
  for (let i = 0; i < split.rows.length; i++) {
    const line = i + 2;
    const rawRow = split.rows[i]![rowCol] ?? '';
    const rawSet = (split.rows[i]![setCol] ?? '').trim();
    const r = Number(rawRow);
    if (!/^\s*\d+\s*$/.test(rawRow) || !Number.isSafeInteger(r)) {
      problem(line, `row '${rawRow}' is not a 0-based row index`);
      continue;
    }
    if (r >= dataRows) {
      problem(line, `row ${r} does not exist: the data has ${dataRows} rows (0..${dataRows - 1})`);
      continue;
    }
    if (rawSet !== 'train' && rawSet !== 'test') {
      problem(line, `set '${rawSet}' must be 'train' or 'test'`);
      continue;
    }
    if (sets[r] !== undefined) {
      problem(line, `row ${r} is listed twice`);
      continue;
    }
    sets[r] = rawSet;
  }
  const unlisted: number[] = [];
  for (let r = 0; r < dataRows; r++) if (sets[r] === undefined) unlisted.push(r);
  if (unlisted.length) {
    problems.push({ file, path: 'rows', message: `${unlisted.length} data row(s) not in the split file, first: ${unlisted.slice(0, 10).join(', ')}` });
  }
  if (problems.length) throw new MingjianError('VALIDATION', `${file}: the split file does not match the data (${dataRows} rows)`, problems);
  if (!sets.includes('train')) throw new MingjianError('VALIDATION', `${file}: no row is in the train set`);
  return sets as SetName[];
}

export { seededRandom };

/** Stratified split: within bads and within goods, a seeded shuffle sends round(testShare * count) rows to test. */
export function stratifiedSplit(y: Uint8Array, eligible: boolean[], testShare: number, seed: number): SetName[] {
  const rand = seededRandom(seed);
  const sets: SetName[] = new Array(y.length).fill('train');
  for (const cls of [1, 0]) {
    const idx: number[] = [];
    for (let i = 0; i < y.length; i++) if (eligible[i] && y[i] === cls) idx.push(i);
    for (let i = idx.length - 1; i > 0; i--) {
      const j = Math.floor(rand() * (i + 1));
      [idx[i], idx[j]] = [idx[j]!, idx[i]!];
    }
    const nTest = Math.round(testShare * idx.length);
    for (let k = 0; k < nTest; k++) sets[idx[k]!] = 'test';
  }
  return sets;
}
