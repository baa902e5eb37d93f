import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const BIN = join(import.meta.dirname, '..', '..', '..', 'bin', 'mingjian');
const dir = mkdtempSync(join(tmpdir(), 'mingjian-servicing-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function cli(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', maxBuffer: 64 * 2 ** 20 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('mingjian servicing', () => {
  it('runs a generated portfolio and the same portfolio written to a file alike', () => {
    const file = join(dir, 'loans.csv');
    expect(cli('servicing', 'generate', '--date', '2026-11-28', '--count', '3000', '--seed', '5', '--out', file).status).toBe(0);
    const generated = cli('servicing', 'run', '--date', '2026-11-28', '--generate', '3000', '--seed', '5');
    const fromFile = cli('servicing', 'run', '--date', '2026-11-28', '--loans', file, '--alerts', join(dir, 'alerts.jsonl'));
    expect(generated.status).toBe(0);
    expect(fromFile.status).toBe(0);
    const a = JSON.parse(generated.stdout);
    const b = JSON.parse(fromFile.stdout);
    for (const s of [a, b]) {
      expect(s).toMatchObject({ date: '2026-11-28', loans: 3000, reconciled: true, currency: 'CNY' });
      expect(Object.keys(s.buckets)).toEqual(['current', '1-30', '31-60', '61-90', '90+']);
      expect(typeof s.seconds).toBe('number');
    }
    const figures = (s: Record<string, unknown>) => ({ ...s, seconds: 0, loadSeconds: 0, source: null });
    expect(figures(b)).toEqual(figures(a));
    const alerts = readFileSync(join(dir, 'alerts.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(alerts.length).toBe(b.missedInstalments + b.partialStreakAlerts);
  });

  it('reports bad input by field and bad usage with exit code 2', () => {
    const bad = join(dir, 'bad.csv');
    writeFileSync(bad, 'loanId,principal,apr,termMonths,method,disbursedOn,monthlyFee,penaltyApr,paidInstalments,partialPaid,penaltyDue,debitAvailable\nL1,abc,0.1,3,annuity,2026-02-30,0,0.18,0,0,0,0\n');
    const r = cli('servicing', 'run', '--date', '2026-11-28', '--loans', bad);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/principal: 'abc' is not a number/);
    expect(r.stderr).toMatch(/disbursedOn: '2026-02-30' does not exist/);
    expect(cli('servicing', 'run').status).toBe(2);
    expect(cli('servicing', 'run', '--date', '2026-11-28', '--allocation-order', 'fee,fee,interest,principal').status).toBe(1);
    expect(cli('servicing', 'frobnicate').status).toBe(2);
  });
});
