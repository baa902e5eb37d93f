// Stable assignment of a key to a split arm: same salt and key, same arm, on every machine and every version of Node.
// FNV-1a over UTF-16 code units, then a murmur3 finaliser for an even spread of the low bits.

export function stableHash(salt: string, key: string): number {
  let h = 0x811c9dc5;
  const s = salt + '\u0000' + key;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** Bucket in [0, 10000): arms take consecutive ranges of buckets in proportion to their weights. */
export function splitBucket(salt: string, key: string): number {
  return stableHash(salt, key) % 10000;
}

/** Cumulative bucket bounds for weights (any positive numbers, normalised to 10000 buckets). */
export function armBounds(weights: number[]): number[] {
  const total = weights.reduce((a, b) => a + b, 0);
  let acc = 0;
  return weights.map((w, i) => {
    acc += w;
    return i === weights.length - 1 ? 10000 : Math.round((acc / total) * 10000);
  });
}
