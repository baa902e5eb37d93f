// Personal data at rest and API key secrets. AES-256-GCM with a key ring: the first key encrypts, every key decrypts,
// and each ciphertext names its key id, so keys can rotate without re-encrypting old records at once.
import { createCipheriv, createDecipheriv, createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { MingjianError } from './errors.ts';
import { randomBytesPooled } from './random-pool.ts';

const PREFIX = 'enc:v1:';

export interface KeyRing {
  /** Id of the key new values are encrypted with. */
  readonly currentKeyId: string;
  encrypt(plain: string): string;
  decrypt(sealed: string): string;
  /** Keyed hash for values where only equality is needed (lookups without decrypting). */
  keyedHash(value: string): string;
}

/** Stable short id of a key (not secret: a hash of a hash). */
export function keyIdOf(key: Buffer): string {
  return createHash('sha256').update(createHash('sha256').update(key).digest()).digest('hex').slice(0, 8);
}

function decodeKey(text: string): Buffer {
  const t = text.trim();
  const buf = /^[0-9a-fA-F]{64}$/.test(t) ? Buffer.from(t, 'hex') : Buffer.from(t, 'base64');
  if (buf.length !== 32) throw new MingjianError('VALIDATION', 'master key must be 32 bytes (64 hex characters or base64)', [{ path: 'MINGJIAN_MASTER_KEY', message: `decoded to ${buf.length} bytes` }]);
  return buf;
}

/** Parses `kid:key,kid:key` or a single bare key (its id is derived from the key). */
export function parseKeyRing(spec: string): { id: string; key: Buffer }[] {
  const parts = spec.split(',').map((s) => s.trim()).filter(Boolean);
  if (parts.length === 0) throw new MingjianError('VALIDATION', 'empty master key', [{ path: 'MINGJIAN_MASTER_KEY', message: 'no key given' }]);
  return parts.map((p) => {
    const m = /^([A-Za-z0-9_-]{1,32}):(.+)$/.exec(p);
    if (m && m[2]!.length >= 32) return { id: m[1]!, key: decodeKey(m[2]!) };
    const key = decodeKey(p);
    return { id: keyIdOf(key), key };
  });
}

export function generateKeySpec(): string {
  const key = randomBytes(32);
  return `${keyIdOf(key)}:${key.toString('base64')}`;
}

export function createKeyRing(spec: string): KeyRing {
  const keys = parseKeyRing(spec);
  const byId = new Map(keys.map((k) => [k.id, k.key]));
  if (byId.size !== keys.length) throw new MingjianError('VALIDATION', 'duplicate key id in master key ring', [{ path: 'MINGJIAN_MASTER_KEY', message: 'key ids must be unique' }]);
  const current = keys[0]!;
  const hashKey = createHash('sha256').update('mingjian-keyed-hash').update(current.key).digest();
  return {
    currentKeyId: current.id,
    encrypt(plain: string): string {
      const iv = randomBytesPooled(12);
      const cipher = createCipheriv('aes-256-gcm', current.key, iv);
      const ct = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
      return `${PREFIX}${current.id}:${iv.toString('base64')}:${cipher.getAuthTag().toString('base64')}:${ct.toString('base64')}`;
    },
    decrypt(sealed: string): string {
      if (!sealed.startsWith(PREFIX)) throw new MingjianError('INTERNAL', 'not an encrypted value');
      const [kid, iv, tag, ct] = sealed.slice(PREFIX.length).split(':');
      const key = byId.get(kid ?? '');
      if (!key || iv === undefined || tag === undefined || ct === undefined) throw new MingjianError('INTERNAL', `cannot decrypt: key '${kid}' is not in the key ring`);
      const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64'));
      decipher.setAuthTag(Buffer.from(tag, 'base64'));
      return Buffer.concat([decipher.update(Buffer.from(ct, 'base64')), decipher.final()]).toString('utf8');
    },
    keyedHash(value: string): string {
      return createHmac('sha256', hashKey).update(value).digest('hex');
    },
  };
}

export function isSealed(value: unknown): value is string {
  return typeof value === 'string' && value.startsWith(PREFIX);
}

/** `13812345678` -> `138****5678`; short values keep less so that masking never reveals most of them. */
export function maskValue(value: unknown): string {
  const s = typeof value === 'string' ? value : JSON.stringify(value) ?? '';
  if (s.length >= 11) return `${s.slice(0, 3)}****${s.slice(-4)}`;
  if (s.length >= 7) return `${s.slice(0, 2)}****${s.slice(-2)}`;
  if (s.length >= 3) return `${s.slice(0, 1)}****`;
  return '****';
}

/** API keys: high-entropy secrets, so one SHA-256 is enough (no password stretching needed) and allows an indexed lookup. */
export function hashApiKey(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

export function generateApiKey(): string {
  return `mj_${randomBytes(24).toString('base64url')}`;
}

export function sha256Hex(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

export function safeEqualHex(a: string, b: string): boolean {
  return a.length === b.length && timingSafeEqual(Buffer.from(a, 'hex'), Buffer.from(b, 'hex'));
}

/** JSON with object keys sorted, so the same data always hashes the same. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map((v) => canonicalJson(v === undefined ? null : v)).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
}
