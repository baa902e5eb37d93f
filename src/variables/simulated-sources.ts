// SIMULATED external sources for the demo and the tests: a credit bureau and an identity-verification service.
// They are not real data providers. Answers are deterministic functions of the request (a SHA-256 of the ID number),
// so the same application always gets the same bureau file, and they are served over real HTTP by Mingjian itself
// (mounted on a local route) so the external-source client is exercised end to end.

import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ExternalSourceConfig } from './external-source.ts';

export const SIMULATED_CREDIT_BUREAU_PATH = '/simulated/credit-bureau/v1/report';
export const SIMULATED_IDENTITY_PATH = '/simulated/identity-verification/v1/check';

function digest(...parts: string[]): Buffer {
  return createHash('sha256').update(parts.join('\u0000')).digest();
}

/** GB 11643-1999 check digit of an 18-character PRC resident ID number. */
export function isValidPrcIdNumber(id: string): boolean {
  if (!/^\d{17}[\dX]$/.test(id)) return false;
  const weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
  const checks = '10X98765432';
  let sum = 0;
  for (let i = 0; i < 17; i++) sum += Number(id[i]) * weights[i]!;
  return checks[sum % 11] === id[17];
}

export interface CreditBureauReport {
  simulation: true;
  provider: string;
  /** False when the bureau holds no file for the person (thin-file applicants). */
  hit: boolean;
  /** `ok` or `no_record` (the same fact as `hit`, in the words flows use). */
  status: 'ok' | 'no_record';
  score: number | null;
  delinquencies12m: number | null;
  inquiries6m: number | null;
  openAccounts: number | null;
  /** Outstanding debt in minor units (fen). */
  totalDebtMinor: number | null;
  oldestAccountMonths: number | null;
}

/** The simulated bureau file for an ID number. */
export function simulatedCreditReport(request: { idNumber?: unknown }): CreditBureauReport | { error: string } {
  if (typeof request.idNumber !== 'string' || !request.idNumber) return { error: 'idNumber is required' };
  const h = digest('bureau', request.idNumber);
  const provider = 'Mingjian SIMULATED credit bureau (not real data)';
  if (h[0]! < 15) {
    return { simulation: true, provider, hit: false, status: 'no_record', score: null, delinquencies12m: null, inquiries6m: null, openAccounts: null, totalDebtMinor: null, oldestAccountMonths: null };
  }
  // Skewed: most files clean, a tail with several delinquencies; the score follows the file with some noise.
  const delinquencies12m = h[1]! < 180 ? 0 : h[1]! < 225 ? 1 : h[1]! < 245 ? 2 : 3 + (h[2]! % 4);
  const inquiries6m = h[3]! % 9 === 0 ? 6 + (h[4]! % 7) : h[3]! % 5;
  const openAccounts = 1 + (h[5]! % 12);
  const oldestAccountMonths = 3 + ((h[6]! << 8) | h[7]!) % 240;
  const totalDebtMinor = (((h[8]! << 16) | (h[9]! << 8) | h[10]!) % 50_000_000) * openAccounts;
  const noise = (h[11]! % 61) - 30;
  const score = Math.max(300, Math.min(850, 700 - 45 * delinquencies12m - 7 * inquiries6m + Math.min(60, oldestAccountMonths / 4) + noise));
  return { simulation: true, provider, hit: true, status: 'ok', score: Math.round(score), delinquencies12m, inquiries6m, openAccounts, totalDebtMinor, oldestAccountMonths };
}

export interface IdentityCheck {
  simulation: true;
  provider: string;
  /** The ID number is well formed with a correct check digit. */
  idValid: boolean;
  /** The name matches the register for this ID number. */
  nameMatch: boolean;
  /** The phone is registered to the same person. */
  phoneMatch: boolean | null;
  phoneTenureMonths: number | null;
}

/** The simulated identity check of a name, ID number and phone. */
export function simulatedIdentityCheck(request: { idNumber?: unknown; name?: unknown; phone?: unknown }): IdentityCheck | { error: string } {
  if (typeof request.idNumber !== 'string' || !request.idNumber) return { error: 'idNumber is required' };
  if (typeof request.name !== 'string' || !request.name) return { error: 'name is required' };
  const provider = 'Mingjian SIMULATED identity verification (not real data)';
  const idValid = isValidPrcIdNumber(request.idNumber);
  const h = digest('identity', request.idNumber, request.name);
  const nameMatch = idValid && h[0]! >= 10;
  let phoneMatch: boolean | null = null;
  let phoneTenureMonths: number | null = null;
  if (typeof request.phone === 'string' && request.phone) {
    const p = digest('phone', request.idNumber, request.phone);
    phoneMatch = nameMatch && p[0]! >= 20;
    phoneTenureMonths = p[1]! < 30 ? p[2]! % 3 : 3 + (((p[2]! << 8) | p[3]!) % 120);
  }
  return { simulation: true, provider, idValid, nameMatch, phoneMatch, phoneTenureMonths };
}

const ROUTES: Record<string, (body: Record<string, unknown>) => object> = {
  [SIMULATED_CREDIT_BUREAU_PATH]: simulatedCreditReport,
  [SIMULATED_IDENTITY_PATH]: simulatedIdentityCheck,
};

const MAX_BODY_BYTES = 64 * 1024;

/**
 * A node:http handler for both simulations (POST with a JSON body). Returns false when the path is not one of
 * theirs, so it can sit in front of other handlers. A Fastify route can call the two pure functions above instead.
 */
export function handleSimulatedSource(req: IncomingMessage, res: ServerResponse): boolean {
  const path = (req.url ?? '').split('?')[0]!;
  const answer = ROUTES[path];
  if (!answer) return false;
  const send = (status: number, body: object) => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  };
  if (req.method !== 'POST') {
    send(405, { error: 'use POST' });
    return true;
  }
  const chunks: Buffer[] = [];
  let size = 0;
  req.on('data', (c: Buffer) => {
    size += c.length;
    if (size > MAX_BODY_BYTES) {
      send(413, { error: 'body too large' });
      req.destroy();
      return;
    }
    chunks.push(c);
  });
  req.on('end', () => {
    if (res.writableEnded) return;
    let body: unknown;
    try {
      body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    } catch {
      send(400, { error: 'body must be JSON' });
      return;
    }
    if (!body || typeof body !== 'object' || Array.isArray(body)) {
      send(400, { error: 'body must be a JSON object' });
      return;
    }
    const out = answer(body as Record<string, unknown>);
    send('error' in out ? 400 : 200, out);
  });
  return true;
}

/**
 * Source declarations for the two simulations served at `baseUrl` (e.g. http://127.0.0.1:8080), reading the
 * application fields `idNumber`, `fullName` and `phone` (those of examples/flows/consumer-loan.yaml). A failed
 * bureau call reads `bureauStatus = unavailable` with the reason code in `bureauReason`.
 */
export function simulatedSourceConfigs(baseUrl: string): ExternalSourceConfig[] {
  const base = baseUrl.replace(/\/$/, '');
  return [
    {
      name: 'creditBureau',
      description: 'SIMULATED credit bureau served by Mingjian (deterministic, not real data)',
      method: 'POST',
      url: base + SIMULATED_CREDIT_BUREAU_PATH,
      body: { idNumber: '{{input.idNumber}}' },
      response: {
        bureauStatus: 'status',
        bureauScore: 'score',
        bureauDelinquencies12m: 'delinquencies12m',
        bureauInquiries6m: 'inquiries6m',
        bureauOpenAccounts: 'openAccounts',
        bureauTotalDebtMinor: 'totalDebtMinor',
      },
      statusVariable: 'bureauReason',
      timeoutMs: 1000,
      retries: { count: 1, backoffMs: 50 },
      circuitBreaker: { failureThreshold: 5, openMs: 30_000 },
      cache: { ttlMs: 86_400_000, maxEntries: 100_000 },
      fallback: { bureauStatus: 'unavailable', bureauInquiries6m: 0, bureauDelinquencies12m: 0 },
    },
    {
      name: 'identityVerification',
      description: 'SIMULATED identity verification served by Mingjian (deterministic, not real data)',
      method: 'POST',
      url: base + SIMULATED_IDENTITY_PATH,
      body: { idNumber: '{{input.idNumber}}', name: '{{input.fullName}}', phone: '{{input.phone}}' },
      response: { idValid: 'idValid', idNameMatch: 'nameMatch', idPhoneMatch: 'phoneMatch', phoneTenureMonths: 'phoneTenureMonths' },
      statusVariable: 'identityStatus',
      timeoutMs: 1000,
      retries: { count: 1, backoffMs: 50 },
      circuitBreaker: { failureThreshold: 5, openMs: 30_000 },
      cache: { ttlMs: 86_400_000, maxEntries: 100_000 },
    },
  ];
}
