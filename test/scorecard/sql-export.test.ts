// The SQL export scores a warehouse table exactly like scoreRow: run it in SQLite over the German credit rows.
import { readFileSync } from 'node:fs';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { parseCsv } from '../../src/scorecard/table.ts';
import { train } from '../../src/scorecard/train.ts';
import { scoreTable } from '../../src/scorecard/scoring.ts';
import { quoteIdentifier, scorecardToSql } from '../../src/scorecard/sql.ts';

describe('SQL export', () => {
  it('gives the same score as the scorer for every German credit row', () => {
    const table = parseCsv(readFileSync('/work/shared/data/german_credit.csv', 'utf8'));
    const split = parseCsv(readFileSync('/work/shared/data/german_split_seed42.csv', 'utf8'));
    const model = train({ table, target: 'creditability', bad: 'bad', split: { file: split } }).model;
    const numeric = new Set(model.attributes.filter((a) => a.type === 'numeric').map((a) => a.value));
    const db = new Database(':memory:');
    const cols = ['row_id', ...table.columns];
    db.exec(`CREATE TABLE applications (${cols.map((c) => `${quoteIdentifier(c)} ${c === 'row_id' || numeric.has(c) ? 'REAL' : 'TEXT'}`).join(', ')})`);
    const insert = db.prepare(`INSERT INTO applications VALUES (${cols.map(() => '?').join(', ')})`);
    table.rows.forEach((row, i) => insert.run(i, ...row.map((v, k) => (numeric.has(table.columns[k]!) ? Number(v) : v))));
    const sql = scorecardToSql(model, { table: 'applications', keyColumns: ['row_id'] });
    const rows = db.prepare(sql).all() as Record<string, number>[];
    const expected = scoreTable(model, table);
    expect(rows).toHaveLength(table.rows.length);
    for (const r of rows) {
      const e = expected[r.row_id!]!;
      expect(r.score).toBe(e.score);
      for (const a of e.attributes) expect(r[`points_${a.name}`]).toBe(a.points);
    }
    db.close();
  });

  it('puts missing text (\'\', NA, n/a, null) of a text column in the missing bin, as the scorer does', () => {
    const table = parseCsv(readFileSync('/work/shared/data/german_credit.csv', 'utf8'));
    const split = parseCsv(readFileSync('/work/shared/data/german_split_seed42.csv', 'utf8'));
    const col = table.columns.indexOf('purpose');
    const spellings = ['', 'NA', ' n/a ', 'null'];
    const holed = { ...table, rows: table.rows.map((row, r) => (r % 10 === 3 ? row.map((v, i) => (i === col ? spellings[(r / 10) % 4 | 0]! : v)) : row)) };
    const model = train({ table: holed, target: 'creditability', bad: 'bad', split: { file: split } }).model;
    expect(model.attributes.some((a) => a.value === 'purpose')).toBe(true);
    const db = new Database(':memory:');
    db.exec(`CREATE TABLE applications (row_id REAL, purpose TEXT)`);
    const insert = db.prepare('INSERT INTO applications VALUES (?, ?)');
    holed.rows.forEach((row, i) => insert.run(i, row[col]));
    const purposeOnly = { ...model, attributes: model.attributes.filter((a) => a.value === 'purpose') };
    const rows = db.prepare(scorecardToSql(purposeOnly, { table: 'applications', keyColumns: ['row_id'] })).all() as Record<string, number>[];
    const expected = scoreTable(purposeOnly, holed);
    for (const r of rows) expect(r.score, `row ${r.row_id} '${holed.rows[r.row_id!]![col]}'`).toBe(expected[r.row_id!]!.score);
    db.close();
  });
});
