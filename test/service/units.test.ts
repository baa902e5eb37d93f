import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { configReference, loadConfig } from '../../src/config.ts';
import { canonicalJson, createKeyRing, generateKeySpec, maskValue } from '../../src/kernel/crypto.ts';
import { MingjianError } from '../../src/kernel/errors.ts';
import { newId } from '../../src/kernel/ids.ts';
import { createCommitQueue } from '../../src/store/commit-queue.ts';
import { diffJson } from '../../src/server/services/json-diff.ts';
import { maskPaths, openSealed, sealPaths } from '../../src/server/services/pii.ts';
import { STATUS_BY_CODE } from '../../src/server/errors.ts';

describe('configuration', () => {
  it('has defaults, coerces numbers and reports every bad variable by name', () => {
    const c = loadConfig({});
    expect(c).toMatchObject({ port: 8080, databaseUrl: 'sqlite:./data/mingjian.db', logLevel: 'info' });
    expect(Object.isFrozen(c)).toBe(true);
    expect(loadConfig({ PORT: '9000', RATE_LIMIT_MAX: '5' })).toMatchObject({ port: 9000, rateLimitMax: 5 });
    try {
      loadConfig({ PORT: 'eighty', DATABASE_URL: 'mysql://x', LOG_LEVEL: 'loud' });
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(MingjianError);
      expect((err as MingjianError).details!.map((d) => d.path).sort()).toEqual(['DATABASE_URL', 'LOG_LEVEL', 'PORT']);
    }
  });

  it('is documented in the README: every variable with its default', () => {
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    const section = readme.slice(readme.indexOf('## Configuration'), readme.indexOf('## The CLI'));
    for (const { env, default: fallback } of configReference()) {
      const row = section.split('\n').find((line) => line.startsWith('|') && line.includes(`\`${env}\``));
      expect(row, env).toBeDefined();
      if (fallback !== undefined) expect(row, env).toContain(String(fallback));
    }
  });
});

describe('personal data encryption', () => {
  it('round-trips, names its key, and decrypts with an older key after rotation', () => {
    const old = generateKeySpec();
    const ring1 = createKeyRing(old);
    const sealed = ring1.encrypt('"13812345678"');
    expect(sealed).toMatch(new RegExp(`^enc:v1:${ring1.currentKeyId}:`));
    expect(sealed).not.toContain('13812345678');
    expect(ring1.encrypt('"x"')).not.toBe(ring1.encrypt('"x"'));
    const ring2 = createKeyRing(`${generateKeySpec()},${old}`);
    expect(ring2.currentKeyId).not.toBe(ring1.currentKeyId);
    expect(ring2.decrypt(sealed)).toBe('"13812345678"');
    expect(() => createKeyRing(generateKeySpec()).decrypt(sealed)).toThrow(/not in the key ring/);
    const tampered = sealed.slice(0, -4) + (sealed.endsWith('AAAA') ? 'BBBB' : 'AAAA');
    expect(() => ring1.decrypt(tampered)).toThrow();
  });

  it('seals values at pii paths, including inside lists, and masks them on the way out', () => {
    const ring = createKeyRing(generateKeySpec());
    const app = { phone: '13812345678', name: 'x', contacts: [{ phone: '13900001111' }, { phone: null }], nested: { idNumber: '110101199001011234' } };
    const sealed = sealPaths(app, ['phone', 'contacts[].phone', 'nested.idNumber'], ring) as any;
    expect(JSON.stringify(sealed)).not.toMatch(/13812345678|13900001111|110101199001011234/);
    expect(sealed.name).toBe('x');
    expect(sealed.contacts[1].phone).toBeNull();
    expect(openSealed(sealed, ring, 'reveal')).toEqual(app);
    expect(openSealed(sealed, ring, 'mask')).toEqual({ phone: '138****5678', name: 'x', contacts: [{ phone: '139****1111' }, { phone: null }], nested: { idNumber: '110****1234' } });
    expect(maskPaths({ phone: '13812345678' }, ['phone'])).toEqual({ phone: '138****5678' });
    expect(maskValue('ab')).toBe('****');
  });

  it('hashes the same data the same way whatever the key order', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string(), fc.jsonValue()), (obj) => {
        const reversed = Object.fromEntries(Object.entries(obj).reverse());
        expect(canonicalJson(reversed)).toBe(canonicalJson(obj));
      }),
    );
  });
});

describe('group commit queue', () => {
  it('batches concurrent pushes and resolves each only after its batch was written', async () => {
    const batches: number[][] = [];
    let committed = new Set<number>();
    const q = createCommitQueue<number, string>({
      flush: async (items) => {
        batches.push(items);
        await new Promise((r) => setTimeout(r, 5));
        committed = new Set([...committed, ...items]);
        return items.map((i) => `ok-${i}`);
      },
      delayMs: 1,
      maxBatch: 10,
      maxConcurrent: 1,
    });
    const results = await Promise.all(
      Array.from({ length: 35 }, (_, i) =>
        q.push(i).then((r) => {
          expect(committed.has(i)).toBe(true);
          return r;
        }),
      ),
    );
    expect(results).toEqual(Array.from({ length: 35 }, (_, i) => `ok-${i}`));
    expect(batches.every((b) => b.length <= 10)).toBe(true);
    expect(batches.length).toBeLessThan(35);
    expect(batches.flat()).toEqual(Array.from({ length: 35 }, (_, i) => i));
  });

  it('waits for records on their way, at most delayMs, and not at all when none is', async () => {
    const batches: number[][] = [];
    const q = createCommitQueue<number, number>({
      flush: async (items) => {
        batches.push(items);
        return items;
      },
      delayMs: 200,
      maxBatch: 100,
      maxConcurrent: 1,
      announced: true,
    });
    // Idle: a lone record goes right after the current turn of the event loop, not after 200 ms.
    let started = performance.now();
    await q.announce().push(1);
    expect(performance.now() - started).toBeLessThan(100);
    // Two writers on their way: the first record waits for the second, which arrives 20 ms later.
    const [w2, w3] = [q.announce(), q.announce()];
    const first = w2.push(2);
    await new Promise((r) => setTimeout(r, 20));
    await Promise.all([first, w3.push(3)]);
    expect(batches).toEqual([[1], [2, 3]]);
    // A writer that gives up releases the batch waiting for it; one that never comes costs at most delayMs.
    const w4 = q.announce();
    const quitter = q.announce();
    const lone = w4.push(4);
    quitter.withdraw();
    quitter.withdraw(); // a second withdraw, or one after a push, changes nothing
    w4.withdraw();
    await lone;
    q.announce(); // announced and never heard of again
    started = performance.now();
    await q.announce().push(5);
    expect(performance.now() - started).toBeGreaterThanOrEqual(150);
    expect(batches.slice(2)).toEqual([[4], [5]]);
  });

  it('rejects every writer of a failed batch and keeps serving later ones', async () => {
    let fail = true;
    const q = createCommitQueue<number, number>({ flush: async (items) => (fail ? Promise.reject(new Error('disk full')) : items), delayMs: 0, maxBatch: 100, maxConcurrent: 1 });
    const failed = await Promise.allSettled([q.push(1), q.push(2)]);
    expect(failed.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    fail = false;
    expect(await q.push(3)).toBe(3);
    await q.drain();
    expect(q.pending).toBe(0);
  });
});

describe('small helpers', () => {
  it('makes time-ordered unique ids', () => {
    const ids = Array.from({ length: 1000 }, () => newId('dec', 1_700_000_000_000));
    expect(new Set(ids).size).toBe(1000);
    expect([...ids].sort()).toEqual(ids);
  });

  it('diffs documents, matching list items by id', () => {
    const a = { nodes: [{ id: 'a', x: 1 }, { id: 'b', x: 2 }], v: 1 };
    const b = { nodes: [{ id: 'b', x: 3 }, { id: 'c', x: 4 }], v: 1, w: true };
    expect(diffJson(a, b)).toEqual([
      { path: 'nodes[id=a]', op: 'remove', before: { id: 'a', x: 1 } },
      { path: 'nodes[id=b].x', op: 'change', before: 2, after: 3 },
      { path: 'nodes[id=c]', op: 'add', after: { id: 'c', x: 4 } },
      { path: 'w', op: 'add', after: true },
    ]);
    expect(diffJson(a, a)).toEqual([]);
  });

  it('maps every error code to a status', () => {
    for (const [code, status] of Object.entries(STATUS_BY_CODE)) expect(status, code).toBeGreaterThanOrEqual(400);
    expect(STATUS_BY_CODE).toMatchObject({ VALIDATION: 400, UNAUTHORIZED: 401, FORBIDDEN: 403, NOT_FOUND: 404, CONFLICT: 409, PAYLOAD_TOO_LARGE: 413, RATE_LIMITED: 429 });
  });
});
