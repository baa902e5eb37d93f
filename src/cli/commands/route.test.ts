import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MingjianError } from '../../kernel/errors.ts';
import { command } from './route.ts';
import { checkAssignment, compileProblem, demoFunders, demoLoans, parseFundersJson, parseLoansCsv } from '../../routing/index.ts';

let dir: string;
let out: string[];
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'mingjian-route-'));
  out = [];
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    out.push(String(chunk));
    return true;
  });
});
afterEach(() => {
  vi.restoreAllMocks();
  rmSync(dir, { recursive: true, force: true });
});

function writeBatch(n: number, funders = demoFunders({ seed: 1, batchLoans: n })) {
  const loans = demoLoans({ seed: 2, count: n });
  const csv = 'loanId,amount,rating,termMonths,apr,region,product\n' + loans.map((l) => [l.loanId, l.amount, l.rating, l.termMonths, l.apr, l.region, l.product].join(',')).join('\n') + '\n';
  writeFileSync(join(dir, 'loans.csv'), csv);
  writeFileSync(join(dir, 'funders.json'), JSON.stringify(funders));
}

describe('mingjian route', () => {
  it('writes ASSIGN.csv and the JSON summary; the assignment meets every constraint', async () => {
    writeBatch(400);
    const args = ['--loans', join(dir, 'loans.csv'), '--funders', join(dir, 'funders.json'), '--out', join(dir, 'assign.csv'), '--method', 'lp', '--global-ceiling', '200000000', '--json'];
    expect(await command.run(args)).toBe(0);
    const summary = JSON.parse(out.join(''));
    for (const k of ['objective', 'bound', 'gap', 'fundedVolume', 'greedyObjective', 'greedyFundedVolume', 'seconds', 'status']) expect(summary).toHaveProperty(k);
    expect(summary.objective).toBeLessThanOrEqual(summary.bound);
    expect(summary.fundedVolume).toBeLessThanOrEqual(200000000);
    const loans = parseLoansCsv(readFileSync(join(dir, 'loans.csv'), 'utf8'));
    const funders = parseFundersJson(readFileSync(join(dir, 'funders.json'), 'utf8'));
    const rows = readFileSync(join(dir, 'assign.csv'), 'utf8').trim().split('\n');
    expect(rows[0]).toBe('loanId,funderId');
    const byLoan = new Map(rows.slice(1).map((r) => r.split(',') as [string, string]));
    const cp = compileProblem({ loans, funders, globalCeiling: 200000000 });
    const assign = Int32Array.from(loans, (l) => funders.findIndex((f) => f.funderId === byLoan.get(l.loanId)));
    expect(checkAssignment(cp, assign)).toEqual([]);
    let funded = 0;
    assign.forEach((f, i) => { if (f >= 0) funded += loans[i]!.amount; });
    expect(funded).toBe(summary.fundedVolume);
  });

  it('exits 1 and lists the floor that cannot be met, still writing the assignment', async () => {
    const funders = demoFunders({ seed: 1, batchLoans: 50 });
    funders[0]!.dailyFloor = funders[0]!.dailyCeiling + 1;
    writeBatch(50, funders);
    const code = await command.run(['--loans', join(dir, 'loans.csv'), '--funders', join(dir, 'funders.json'), '--out', join(dir, 'a.csv'), '--method', 'lp', '--json']);
    expect(code).toBe(1);
    const summary = JSON.parse(out.join(''));
    expect(summary.status).toBe('infeasible');
    expect(summary.infeasibleFloors[0]).toMatchObject({ constraint: `floor[${funders[0]!.funderId}]`, obstacle: 'ceiling' });
    expect(readFileSync(join(dir, 'a.csv'), 'utf8')).toContain('loanId,funderId');
  });

  it('reports usage and input errors clearly', async () => {
    await expect(command.run(['--loans', 'x.csv'])).rejects.toThrow(/--funders is required/);
    writeBatch(5);
    const base = ['--loans', join(dir, 'loans.csv'), '--funders', join(dir, 'funders.json'), '--out', join(dir, 'a.csv')];
    await expect(command.run([...base, '--method', 'simplex'])).rejects.toThrow(/--method must be/);
    await expect(command.run([...base, '--global-ceiling=-5'])).rejects.toThrow(/--global-ceiling must be a non-negative integer/);
    writeFileSync(join(dir, 'loans.csv'), 'loanId,amount,rating,termMonths,apr,region,product\nL1,12.5,B,12,0.1,GD,cash\n');
    const err = await command.run(base).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MingjianError);
    expect((err as MingjianError).details![0]).toMatchObject({ file: join(dir, 'loans.csv'), line: 2, path: 'amount' });
    writeBatch(5);
    await expect(command.run([...base.slice(0, 2), '--funders', join(dir, 'missing.json'), '--out', join(dir, 'a.csv')])).rejects.toThrow(/cannot read .*missing.json: ENOENT/);
  });
});
