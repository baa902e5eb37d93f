// The identifier vocabulary of the identity graph: which fields of an application link it to others, how each
// value is normalised before hashing, and which kinds are strong enough to join applications into a cluster.

/** Roles an identifier plays on an application (one edge per role). Index = role code in typed arrays. */
export const ROLES = ['phone', 'deviceId', 'ip', 'idNumber', 'bankCard', 'email', 'address', 'employer', 'contactPhones'] as const;
export type Role = (typeof ROLES)[number];
export const ROLE_COUNT = ROLES.length;
export const ROLE_CONTACT_PHONE = 8;

/** Identifier namespaces. An applicant's phone and an emergency contact's phone share the `phone` namespace, so a
 * contact phone pointing at another applicant's own phone is a link. */
export const KINDS = ['phone', 'device', 'ip', 'idNumber', 'bankCard', 'email', 'address', 'employer'] as const;
export type Kind = (typeof KINDS)[number];
export const KIND_PHONE = 0, KIND_DEVICE = 1, KIND_IP = 2, KIND_ID_NUMBER = 3, KIND_BANK_CARD = 4, KIND_EMAIL = 5, KIND_ADDRESS = 6, KIND_EMPLOYER = 7;

/** Kind of each role (role index -> kind index). */
export const ROLE_KIND = new Uint8Array([KIND_PHONE, KIND_DEVICE, KIND_IP, KIND_ID_NUMBER, KIND_BANK_CARD, KIND_EMAIL, KIND_ADDRESS, KIND_EMPLOYER, KIND_PHONE]);

/** Kinds that join applications into one cluster. An IP or an employer shared by two applications is weak evidence
 * (office networks, large employers, mobile NAT): they count in graph variables and in a ring's score but do not
 * connect clusters on their own. */
export const LINKING_KIND = new Uint8Array([1, 1, 0, 1, 1, 1, 1, 0]);

/** Weight of a shared identifier of each kind in ring scoring and community detection. */
export const KIND_WEIGHT = new Float64Array([2, 3, 0.5, 4, 3, 3, 1, 0.3]);

/** Kinds whose sharing is strong evidence of one actor behind several applications. */
export const STRONG_KIND = new Uint8Array([0, 1, 0, 1, 1, 1, 0, 0]);

export function roleIndex(name: string): number {
  return (ROLES as readonly string[]).indexOf(name);
}

/** Canonical text of an identifier value before hashing, so trivially different spellings link. Empty = absent. */
function onlyDigits(s: string): boolean {
  for (let i = 0; i < s.length; i++) { const c = s.charCodeAt(i); if (c < 48 || c > 57) return false; }
  return true;
}

function isAscii(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) > 0x7f) return false;
  return true;
}

const SEPARATORS = /[\s,.;:#\-_/\\()'"，。、；：（）]+/g;

/** Canonical text of an identifier value before hashing, so trivially different spellings link. Empty = absent.
 * Values already in canonical form (the common case) skip the regular expressions. */
export function normaliseIdentifier(kind: number, raw: string): string {
  switch (kind) {
    case KIND_PHONE: {
      let d = onlyDigits(raw) ? raw : raw.replace(/\D+/g, '');
      if (d.length === 13 && d.startsWith('86')) d = d.slice(2);
      return d;
    }
    case KIND_BANK_CARD:
      return onlyDigits(raw) ? raw : raw.replace(/\D+/g, '');
    case KIND_ID_NUMBER:
      return raw.replace(/\s+/g, '').toUpperCase();
    case KIND_EMAIL:
    case KIND_IP:
    case KIND_DEVICE:
      return raw.trim().toLowerCase();
    case KIND_ADDRESS:
    case KIND_EMPLOYER:
      // Case, punctuation and spacing differences are noise; the words and numbers carry the identity.
      return (isAscii(raw) ? raw : raw.normalize('NFKC')).toLowerCase().replace(SEPARATORS, ' ').trim();
    default:
      return raw;
  }
}

/** Prefix of the text fed to the keyed hash: the kind is part of it so equal strings of different kinds never collide. */
export const HASH_PREFIX: readonly string[] = KINDS.map((k) => k + '\u0000');

export function hashInput(kind: number, normalised: string): string {
  return HASH_PREFIX[kind]! + normalised;
}
