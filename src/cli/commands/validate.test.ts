// `mingjian validate`: every problem of every file, in line order, exit 1; a file that cannot be read is reported
// and the others still checked.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { command } from './validate.ts';

let dir: string;
let out: string[];
let err: string[];
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'mingjian-validate-'));
  out = [];
  err = [];
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => (out.push(String(chunk)), true));
  vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => (err.push(String(chunk)), true));
});
afterEach(() => {
  vi.restoreAllMocks();
  rmSync(dir, { recursive: true, force: true });
});

const BROKEN = `id: broken
version: 1
inputs:
  income: { type: number }
variables:
  ratio: incme / 2
nodes:
  - { id: a, type: ruleset, rules: [{ when: "income + 1", action: decline, reason: A }], next: outcom }
  - { id: outcome, type: outcome }
`;

describe('mingjian validate', () => {
  it('lists every error with file, line and column in line order, and exits 1; a valid file says so', async () => {
    writeFileSync(join(dir, 'broken.yaml'), BROKEN);
    writeFileSync(join(dir, 'fine.yaml'), 'id: fine\nversion: 1\ninputs:\n  x: { type: integer }\nnodes:\n  - { id: o, type: outcome }\n');
    expect(await command.run([join(dir, 'broken.yaml'), join(dir, 'missing.yaml'), join(dir, 'fine.yaml')])).toBe(1);
    const lines = err.join('').trim().split('\n');
    const brokenLines = lines.filter((l) => l.includes('broken.yaml')).map((l) => Number(/:(\d+):\d+/.exec(l)?.[1]));
    expect(brokenLines.length).toBeGreaterThanOrEqual(3); // the typo, the type mismatch, the unknown target, ...
    expect(brokenLines).toEqual([...brokenLines].sort((a, b) => a - b));
    expect(err.join('')).toMatch(/broken\.yaml:6:\d+.*unknown name 'incme'; did you mean 'income'/);
    expect(err.join('')).toMatch(/did you mean 'outcome'/);
    expect(err.join('')).toMatch(/missing\.yaml.*cannot read flow file/);
    expect(out.join('')).toMatch(/broken\.yaml: \d+ errors\n.*missing\.yaml: 1 error\n.*fine\.yaml: valid/s);
  });

  it('exits 0 for valid flows and prints a JSON report with --json', async () => {
    writeFileSync(join(dir, 'fine.yaml'), 'id: fine\nversion: 1\ninputs:\n  x: { type: integer }\nnodes:\n  - { id: o, type: outcome }\n');
    expect(await command.run([join(dir, 'fine.yaml'), '--json'])).toBe(0);
    expect(JSON.parse(out.join(''))).toEqual({ [join(dir, 'fine.yaml')]: { valid: true, problems: [] } });
  });
});
