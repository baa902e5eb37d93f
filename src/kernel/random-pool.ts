import { randomFillSync } from 'node:crypto';

// Many small randomBytes() calls each cross into native code; drawing them from one refilled buffer is several times
// cheaper on the decision path (an id and an IV per decision). Same CSPRNG, same bytes quality.
const POOL_SIZE = 16 * 1024;
const pool = Buffer.allocUnsafe(POOL_SIZE);
let offset = POOL_SIZE;

/** `size` cryptographically random bytes (a copy: callers may keep it). */
export function randomBytesPooled(size: number): Buffer {
  if (size > 1024) return randomFillSync(Buffer.allocUnsafe(size));
  if (offset + size > POOL_SIZE) {
    randomFillSync(pool);
    offset = 0;
  }
  const out = Buffer.from(pool.subarray(offset, offset + size));
  pool.fill(0, offset, offset + size);
  offset += size;
  return out;
}
