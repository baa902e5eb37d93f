import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { KeyedHasher } from './keyed-hash.ts';

const ref = (key: Uint8Array, text: string) => createHmac('sha256', key).update(text, 'utf8').digest('hex').slice(0, 32);

describe('KeyedHasher', () => {
  it('equals node:crypto HMAC-SHA256 on block boundaries and non-ASCII text', () => {
    const key = Buffer.alloc(32, 0xab);
    const h = new KeyedHasher(key);
    for (const len of [0, 1, 54, 55, 56, 63, 64, 65, 119, 120, 200, 1000]) expect(h.hex128('x'.repeat(len))).toBe(ref(key, 'x'.repeat(len)));
    for (const s of ['北京市朝阳区建国路88号', 'é', '😀 emoji', 'address\u0000mixed ascii 和中文']) expect(h.hex128(s)).toBe(ref(key, s));
  });

  it('equals node:crypto for random keys and strings', () => {
    fc.assert(fc.property(fc.uint8Array({ minLength: 16, maxLength: 130 }), fc.string({ maxLength: 150, unit: 'grapheme' }), (key, text) => {
      expect(new KeyedHasher(key).hex128(text)).toBe(ref(key, text));
    }), { numRuns: 300 });
  });

  it('rejects short keys', () => {
    expect(() => new KeyedHasher(new Uint8Array(8))).toThrow(/at least 16 bytes/);
  });
});
