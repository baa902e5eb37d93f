// Events feed the velocity stores: every decided application is one, and `POST /v1/events` adds others
// (login, repayment, password reset). Times are epoch milliseconds and may arrive out of order.

import { Type, type Static } from '@sinclair/typebox';
import { Ajv } from 'ajv';
import { MingjianError, type ErrorDetail } from '../kernel/errors.ts';

export const VelocityEventSchema = Type.Object(
  {
    /** Unique per event; ingesting the same id twice counts it once. */
    id: Type.String({ minLength: 1, maxLength: 128, pattern: '^[\\x21-\\x7e]+$' }),
    type: Type.String({ minLength: 1, maxLength: 100, pattern: '^[A-Za-z0-9_.:-]+$' }),
    /** Epoch milliseconds (integer). */
    time: Type.Integer({ minimum: 0, maximum: 8_640_000_000_000 }),
    fields: Type.Record(Type.String(), Type.Unknown()),
  },
  { additionalProperties: false },
);

export type VelocityEvent = Static<typeof VelocityEventSchema>;

const ajv = new Ajv({ allErrors: true, strict: false });
const validateEvent = ajv.compile(VelocityEventSchema);

/** Validates events from outside (API, files); throws VALIDATION naming each bad field. */
export function validateVelocityEvents(input: unknown, prefix = 'events'): VelocityEvent[] {
  if (!Array.isArray(input)) throw new MingjianError('VALIDATION', 'events must be a list', [{ path: prefix, message: 'must be a list of events' }]);
  const problems: ErrorDetail[] = [];
  input.forEach((e, i) => {
    if (!validateEvent(e)) {
      for (const err of validateEvent.errors ?? []) {
        const extra = err.keyword === 'additionalProperties' ? ` '${(err.params as { additionalProperty: string }).additionalProperty}'` : '';
        problems.push({ path: `${prefix}[${i}]${err.instancePath.replace(/\//g, '.')}`, message: `${err.message ?? 'invalid'}${extra}` });
      }
    }
  });
  if (problems.length) throw new MingjianError('VALIDATION', `invalid events (${problems.length} problem${problems.length > 1 ? 's' : ''})`, problems);
  return input as VelocityEvent[];
}

/** Reads a dotted path already split into segments; undefined when any step is missing. */
export function readPath(fields: unknown, path: readonly string[]): unknown {
  let cur: unknown = fields;
  for (const seg of path) {
    if (cur === null || typeof cur !== 'object' || !Object.prototype.hasOwnProperty.call(cur, seg)) return undefined;
    cur = (cur as Record<string, unknown>)[seg];
  }
  return cur;
}

export type ConditionOperator = 'eq' | 'ne' | 'in' | 'notIn' | 'gt' | 'gte' | 'lt' | 'lte' | 'exists' | 'missing';

/** One condition on an event field, e.g. `{ field: "decision", op: "eq", value: "DECLINE" }`. */
export interface FieldCondition {
  field: string;
  op: ConditionOperator;
  value?: unknown;
}

function holds(actual: unknown, c: FieldCondition): boolean {
  switch (c.op) {
    case 'exists':
      return actual !== undefined && actual !== null;
    case 'missing':
      return actual === undefined || actual === null;
    case 'eq':
      return actual === c.value;
    case 'ne':
      return actual !== c.value;
    case 'in':
      return (c.value as unknown[]).includes(actual);
    case 'notIn':
      return !(c.value as unknown[]).includes(actual);
    default: {
      if (typeof actual !== 'number' || !Number.isFinite(actual)) return false;
      const v = c.value as number;
      if (c.op === 'gt') return actual > v;
      if (c.op === 'gte') return actual >= v;
      if (c.op === 'lt') return actual < v;
      return actual <= v;
    }
  }
}

/** True when every condition holds (an empty list always holds). Comparisons on a non-number are false. */
export function matchesConditions(fields: Record<string, unknown>, conditions: readonly FieldCondition[]): boolean {
  return compileConditions(conditions)(fields);
}

/** The conditions as one predicate, with field paths split once. */
export function compileConditions(conditions: readonly FieldCondition[]): (fields: Record<string, unknown>) => boolean {
  const compiled = conditions.map((c) => ({ c, path: c.field.split('.') }));
  return (fields) => {
    for (const { c, path } of compiled) {
      if (!holds(readPath(fields, path), c)) return false;
    }
    return true;
  };
}
