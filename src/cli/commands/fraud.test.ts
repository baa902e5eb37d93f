import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { main } from '../main.ts';
import { openStore } from '../../store/database.ts';
import { migrateToLatest } from '../../store/migrator.ts';
import { FraudService } from '../../fraud/fraud-service.ts';
import { generatePopulation } from '../../fraud/population.ts';

describe('mingjian fraud', () => {
  let out = '';
  let err = '';
  beforeEach(() => {
    out = '';
    err = '';
    vi.spyOn(process.stdout, 'write').mockImplementation((s) => { out += String(s); return true; });
    vi.spyOn(process.stderr, 'write').mockImplementation((s) => { err += String(s); return true; });
  });
  afterEach(() => vi.restoreAllMocks());

  it('generates a population with ground truth and finds its planted rings offline', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mingjian-fraud-'));
    const file = join(dir, 'pop.jsonl');
    expect(await main(['fraud', 'generate', '--n', '5000', '--out', file, '--seed', '3', '--ring-share', '0.03'])).toBe(0);
    const truth = JSON.parse(readFileSync(join(dir, 'pop.truth.json'), 'utf8')) as { rings: { members: string[] }[] };
    expect(readFileSync(file, 'utf8').trim().split('\n')).toHaveLength(5000);
    expect(await main(['fraud', 'rings', '--input', file, '--json', '--hash-key', '00'.repeat(32)])).toBe(0);
    const result = JSON.parse(out) as { rings: { id: string; score: number; members: string[]; links: unknown[] }[]; summary: { applications: number } };
    expect(result.summary.applications).toBe(5000);
    const planted = new Set(truth.rings.flatMap((r) => r.members));
    const found = result.rings.flatMap((r) => r.members);
    expect(found.filter((m) => planted.has(m)).length / planted.size).toBeGreaterThanOrEqual(0.95);
    expect(result.rings[0]).toMatchObject({ id: expect.stringMatching(/^ring-/), score: expect.any(Number) });
  });

  it('fails with the line number and field of a bad record', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mingjian-fraud-'));
    const file = join(dir, 'bad.jsonl');
    writeFileSync(file, '{"applicationId":"A1","appliedAt":"2025-01-01T00:00:00Z"}\n\n{"applicationId":"A2","deviceId":5,"appliedAt":"2025-01-01T00:00:00Z"}\n');
    expect(await main(['fraud', 'rings', '--input', file, '--json'])).toBe(1);
    expect(err).toContain('line 3: invalid application (deviceId)');
  });

  it('runs the scheduled detection job over a stored graph and opens cases once', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mingjian-fraud-'));
    const url = `sqlite:${join(dir, 'm.db')}`;
    const store = await openStore(url);
    await migrateToLatest(store.db);
    const fraud = await FraudService.open(store.db, { key: Buffer.alloc(32, 1) });
    for (const r of generatePopulation({ n: 300, seed: 4, ringShare: 0.1 }).records()) await fraud.recordApplication({ applicationId: r.applicationId, appliedAt: r.appliedAt, identifiers: r });
    await store.close();
    const saved = process.env.MINGJIAN_MASTER_KEY;
    process.env.MINGJIAN_MASTER_KEY = `t1:${Buffer.alloc(32, 7).toString('base64')}`;
    try {
      expect(await main(['fraud', 'detect', '--database', url, '--json'])).toBe(0);
      const first = JSON.parse(out) as { summary: { applications: number; rings: number; casesOpened: number } };
      expect(first.summary.applications).toBe(300);
      expect(first.summary.rings).toBeGreaterThan(0);
      expect(first.summary.casesOpened).toBeGreaterThan(0);
      out = '';
      expect(await main(['fraud', 'detect', '--database', url, '--json'])).toBe(0);
      expect((JSON.parse(out) as typeof first).summary.casesOpened).toBe(0);
    } finally {
      if (saved === undefined) delete process.env.MINGJIAN_MASTER_KEY; else process.env.MINGJIAN_MASTER_KEY = saved;
    }
  });

  it('loads with worker threads to the same rings', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mingjian-fraud-'));
    const file = join(dir, 'pop.jsonl');
    expect(await main(['fraud', 'generate', '--n', '3000', '--out', file, '--seed', '9'])).toBe(0);
    const key = ['--hash-key', '11'.repeat(32)];
    expect(await main(['fraud', 'rings', '--input', file, '--json', ...key])).toBe(0);
    const sequential = (JSON.parse(out) as { rings: unknown[] }).rings;
    out = '';
    expect(await main(['fraud', 'rings', '--input', file, '--json', '--workers', '2', ...key])).toBe(0);
    expect((JSON.parse(out) as { rings: unknown[] }).rings).toEqual(sequential);
  });

  it('reports a missing file and bad usage', async () => {
    expect(await main(['fraud', 'rings', '--input', '/nonexistent/x.jsonl'])).toBe(1);
    expect(err).toContain('cannot read /nonexistent/x.jsonl: ENOENT');
    expect(await main(['fraud', 'rings'])).toBe(2);
    expect(await main(['fraud', 'nope'])).toBe(2);
  });
});
