import { describe, expect, it } from 'vitest';
import { parseApplicationLine } from './application-record.ts';
import { MingjianError } from '../kernel/errors.ts';

function failure(line: string, n = 7): MingjianError {
  try {
    parseApplicationLine(line, n, 'apps.jsonl');
  } catch (e) {
    return e as MingjianError;
  }
  throw new Error('expected a validation error');
}

describe('parseApplicationLine', () => {
  it('accepts a full record and missing or null optional identifiers', () => {
    const r = parseApplicationLine('{"applicationId":"A1","phone":"13800000000","deviceId":null,"contactPhones":["1"],"appliedAt":"2025-01-02T03:04:05Z","status":"declined"}', 1);
    expect(r.applicationId).toBe('A1');
    expect(r.appliedAtMs).toBe(Date.UTC(2025, 0, 2, 3, 4, 5));
  });

  it('names the line and the field', () => {
    const e = failure('{"applicationId":"A1","phone":13800000000,"appliedAt":"2025-01-01T00:00:00Z"}');
    expect(e.code).toBe('VALIDATION');
    expect(e.message).toBe('line 7: invalid application (phone)');
    expect(e.details?.[0]).toMatchObject({ line: 7, file: 'apps.jsonl', path: 'phone' });
  });

  it('reports a missing field, a bad array item and a bad date', () => {
    expect(failure('{"phone":"1","appliedAt":"2025-01-01"}').message).toBe('line 7: invalid application (applicationId)');
    expect(failure('{"applicationId":"A","contactPhones":["1",2],"appliedAt":"2025-01-01"}').details?.[0]?.path).toBe('contactPhones[1]');
    const bad = failure('{"applicationId":"A","appliedAt":"yesterday-ish"}', 3);
    expect(bad.message).toBe('line 3: invalid application (appliedAt)');
    expect(bad.details?.[0]?.expected).toBe('ISO 8601 date-time');
  });

  it('reports broken JSON with its line', () => {
    const e = failure('{"applicationId": "A"', 12);
    expect(e.message).toBe('line 12: not valid JSON');
    expect(e.details?.[0]?.line).toBe(12);
  });
});
