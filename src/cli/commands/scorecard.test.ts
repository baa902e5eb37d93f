// The CLI end to end on German credit: train writes the three files, score/export/import/psi read them back.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { main } from '../main.ts';

const DATA = '/work/shared/data';
const dir = mkdtempSync(join(tmpdir(), 'mingjian-scorecard-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function run(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const o = vi.spyOn(process.stdout, 'write').mockImplementation((c: string | Uint8Array) => ((out += String(c)), true));
  const e = vi.spyOn(process.stderr, 'write').mockImplementation((c: string | Uint8Array) => ((err += String(c)), true));
  try {
    const code = await main(args);
    return { code, out, err };
  } finally {
    o.mockRestore();
    e.mockRestore();
  }
}

describe('mingjian scorecard', () => {
  const out = join(dir, 'german');
  it('train writes scorecard.json, metrics.json and report.html', async () => {
    const r = await run(['scorecard', 'train', '--data', `${DATA}/german_credit.csv`, '--target', 'creditability', '--bad', 'bad', '--split', `${DATA}/german_split_seed42.csv`, '--out', out]);
    expect(r.code).toBe(0);
    const metrics = JSON.parse(readFileSync(join(out, 'metrics.json'), 'utf8'));
    expect(Object.keys(metrics)).toEqual(['train', 'test']);
    expect(Object.keys(metrics.test)).toEqual(expect.arrayContaining(['auc', 'ks', 'gini']));
    expect(JSON.parse(readFileSync(join(out, 'scorecard.json'), 'utf8')).format).toBe('mingjian.scorecard');
    expect(readFileSync(join(out, 'report.html'), 'utf8')).toMatch(/^<!DOCTYPE html>/);
    expect(r.out).toContain('test');
  });

  it('score, export, import and psi work on the trained model', async () => {
    const model = join(out, 'scorecard.json');
    const scored = await run(['scorecard', 'score', '--model', model, '--data', `${DATA}/german_credit.csv`, '--keep', 'creditability']);
    expect(scored.code).toBe(0);
    const lines = scored.out.trim().split('\n');
    expect(lines).toHaveLength(1001);
    expect(lines[0]).toMatch(/^row,creditability,score,rating,probability,reason1/);

    const pmml = join(dir, 'german.pmml');
    expect((await run(['scorecard', 'export', '--model', model, '--format', 'pmml', '--out', pmml])).code).toBe(0);
    const imported = await run(['scorecard', 'import', '--pmml', pmml, '--id', 'score']);
    expect(JSON.parse(imported.out).type).toBe('scorecard');
    const sql = await run(['scorecard', 'export', '--model', model, '--format', 'sql']);
    expect(sql.out).toContain('CASE');

    const psi = await run(['scorecard', 'psi', '--model', model, '--data', `${DATA}/german_credit.csv`, '--json']);
    expect(psi.code).toBe(0);
    expect(JSON.parse(psi.out).score.band).toBe('stable');
  });

  it('accepts negative special values after --special and reports bad input clearly', async () => {
    const tiny = join(dir, 'tiny.csv');
    writeFileSync(tiny, 'x,y\n1,bad\n-9,good\n3,good\n');
    const r = await run(['scorecard', 'train', '--data', tiny, '--target', 'outcome', '--bad', 'bad', '--special', '-9,-8', '--out', join(dir, 'tiny')]);
    expect(r.code).toBe(1);
    expect(r.err).toContain("target column 'outcome' is not in the data");
    const u = await run(['scorecard', 'frobnicate']);
    expect(u.code).toBe(2);
  });
});
