// One application as the fraud capability reads it from a file or a decision: identifiers in clear (hashed on
// entry), the time it was made, and optionally what was decided about it.
import { Type, type Static } from '@sinclair/typebox';
import { Ajv } from 'ajv';
import { MingjianError, type ErrorDetail } from '../kernel/errors.ts';
import { STATUSES } from './application-identifiers.ts';

const OptionalText = Type.Optional(Type.Union([Type.String({ maxLength: 512 }), Type.Null()]));

export const ApplicationRecordSchema = Type.Object({
  applicationId: Type.String({ minLength: 1, maxLength: 128 }),
  phone: OptionalText,
  deviceId: OptionalText,
  ip: OptionalText,
  idNumber: OptionalText,
  bankCard: OptionalText,
  email: OptionalText,
  address: OptionalText,
  employer: OptionalText,
  contactPhones: Type.Optional(Type.Union([Type.Array(Type.String({ maxLength: 64 }), { maxItems: 20 }), Type.Null()])),
  appliedAt: Type.String({ minLength: 10, maxLength: 40 }),
  status: Type.Optional(Type.Union([...STATUSES.map((s) => Type.Literal(s)), Type.Null()])),
});

export type ApplicationRecord = Static<typeof ApplicationRecordSchema>;

const ajv = new Ajv({ allErrors: true, strict: false });
const validateRecord = ajv.compile<ApplicationRecord>(ApplicationRecordSchema);

/** Parses and validates one JSONL line; the error names the line and every offending field. */
export function parseApplicationLine(line: string, lineNumber: number, file?: string): ApplicationRecord & { appliedAtMs: number } {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch (err) {
    throw new MingjianError('VALIDATION', `line ${lineNumber}: not valid JSON`, [{ file, line: lineNumber, message: (err as Error).message }]);
  }
  if (!validateRecord(value)) {
    const details: ErrorDetail[] = (validateRecord.errors ?? []).map((e) => {
      const missing = e.keyword === 'required' ? `/${(e.params as { missingProperty: string }).missingProperty}` : '';
      const path = (e.instancePath + missing).replace(/^\//, '').replace(/\/(\d+)/g, '[$1]').replace(/\//g, '.') || '(record)';
      return { file, line: lineNumber, path, message: e.message ?? 'invalid' };
    });
    const fields = [...new Set(details.map((d) => d.path))].join(', ');
    throw new MingjianError('VALIDATION', `line ${lineNumber}: invalid application (${fields})`, details);
  }
  const appliedAtMs = Date.parse(value.appliedAt);
  if (!Number.isFinite(appliedAtMs)) {
    throw new MingjianError('VALIDATION', `line ${lineNumber}: invalid application (appliedAt)`, [
      { file, line: lineNumber, path: 'appliedAt', message: `'${value.appliedAt}' is not a date-time`, expected: 'ISO 8601 date-time' },
    ]);
  }
  return { ...value, appliedAtMs };
}
