// Turns one application's identifier fields into keyed hashes, in a reusable scratch buffer (no per-application
// allocation when loading a million applications).
import { KeyedHasher } from './keyed-hash.ts';
import { ROLE_CONTACT_PHONE, ROLE_KIND, hashInput, normaliseIdentifier } from './identifiers.ts';

/** Identifier fields of an application, in clear, as they arrive from a decision or a file. */
export interface ApplicationIdentifiers {
  phone?: string | null;
  deviceId?: string | null;
  ip?: string | null;
  idNumber?: string | null;
  bankCard?: string | null;
  email?: string | null;
  address?: string | null;
  employer?: string | null;
  contactPhones?: readonly string[] | null;
}

/** Application decision status as the graph knows it. */
export const STATUSES = ['none', 'approved', 'declined', 'review', 'investigating', 'confirmed_fraud', 'cleared'] as const;
export type ApplicationStatus = (typeof STATUSES)[number];
export const STATUS_DECLINED = 2, STATUS_INVESTIGATING = 4, STATUS_CONFIRMED_FRAUD = 5;

export function statusCode(s: ApplicationStatus | undefined | null): number {
  if (!s) return 0;
  const i = (STATUSES as readonly string[]).indexOf(s);
  return i < 0 ? 0 : i;
}

/** Graph status of a decision outcome (APPROVE / DECLINE / REVIEW), for feeding decided applications. */
export function statusFromDecision(outcome: string): ApplicationStatus {
  switch (outcome) {
    case 'APPROVE': return 'approved';
    case 'DECLINE': return 'declined';
    case 'REVIEW': return 'review';
    default: return 'none';
  }
}

/** Hashed identifiers of one application: parallel arrays of (hi, lo, role), n entries, duplicates removed. */
export class HashedIdentifiers {
  n = 0;
  hi = new Int32Array(64);
  lo = new Int32Array(64);
  role = new Uint8Array(64);

  push(hi: number, lo: number, role: number): void {
    for (let i = 0; i < this.n; i++) if (this.hi[i] === hi && this.lo[i] === lo) return; // first role wins (own phone before contact)
    if (this.n === this.hi.length) {
      const grow = <T extends Int32Array | Uint8Array>(a: T): T => { const b = new (a.constructor as new (n: number) => T)(a.length * 2); b.set(a); return b; };
      this.hi = grow(this.hi); this.lo = grow(this.lo); this.role = grow(this.role);
    }
    this.hi[this.n] = hi; this.lo[this.n] = lo; this.role[this.n] = role; this.n++;
  }
}

const SINGLE_FIELDS = ['phone', 'deviceId', 'ip', 'idNumber', 'bankCard', 'email', 'address', 'employer'] as const;

export class IdentifierHasher {
  readonly keyed: KeyedHasher;
  constructor(key: Uint8Array) {
    this.keyed = new KeyedHasher(key);
  }

  /** Hashes one normalised value of a role's kind into out; ignores empty values. */
  private add(out: HashedIdentifiers, role: number, raw: string): void {
    const kind = ROLE_KIND[role]!;
    const norm = normaliseIdentifier(kind, raw);
    if (norm === '') return;
    this.keyed.hash(hashInput(kind, norm));
    out.push(this.keyed.digest[0]!, this.keyed.digest[1]!, role);
  }

  hashApplication(app: ApplicationIdentifiers, out: HashedIdentifiers = new HashedIdentifiers()): HashedIdentifiers {
    out.n = 0;
    for (let role = 0; role < SINGLE_FIELDS.length; role++) {
      const v = app[SINGLE_FIELDS[role]!];
      if (typeof v === 'string') this.add(out, role, v);
    }
    const contacts = app.contactPhones;
    if (contacts) for (const c of contacts) if (typeof c === 'string') this.add(out, ROLE_CONTACT_PHONE, c);
    return out;
  }

  /** Stored form of one identifier (16 hex, the graph's 64-bit key): same normalisation as the graph. */
  storedKey(kind: number, raw: string): string | null {
    const norm = normaliseIdentifier(kind, raw);
    if (norm === '') return null;
    return this.keyed.hex64(hashInput(kind, norm));
  }
}
