// Velocity definitions: an aggregate of an event field over a sliding window, grouped by a key.
// Declared as plain data (YAML/JSON), validated once with Ajv, then compiled into a form both stores share:
// the predicate that admits an event into the definition's stream and the value it contributes.

import { Type, type Static } from '@sinclair/typebox';
import { Ajv, type ErrorObject } from 'ajv';
import { MingjianError, type ErrorDetail } from '../kernel/errors.ts';
import { compileConditions, readPath, type FieldCondition } from './velocity-event.ts';
import type { VelocityEvent } from './velocity-event.ts';

export const VELOCITY_AGGREGATES = ['count', 'sum', 'distinctCount', 'min', 'max', 'firstSeenAge'] as const;
export type VelocityAggregate = (typeof VELOCITY_AGGREGATES)[number];

export const MIN_WINDOW_MS = 60_000;
export const MAX_WINDOW_MS = 90 * 86_400_000;

const FieldPath = Type.String({ pattern: '^[A-Za-z_][A-Za-z0-9_]*(\\.[A-Za-z_][A-Za-z0-9_]*)*$', maxLength: 200 });

const ConditionSchema = Type.Object(
  {
    field: FieldPath,
    op: Type.Union(['eq', 'ne', 'in', 'notIn', 'gt', 'gte', 'lt', 'lte', 'exists', 'missing'].map((o) => Type.Literal(o))),
    value: Type.Optional(Type.Unknown()),
  },
  { additionalProperties: false },
);

export const VelocityDefinitionSchema = Type.Object(
  {
    name: Type.String({ pattern: '^[A-Za-z_][A-Za-z0-9_]*$', maxLength: 100 }),
    description: Type.Optional(Type.String({ maxLength: 2000 })),
    aggregate: Type.Union(VELOCITY_AGGREGATES.map((a) => Type.Literal(a))),
    /** Event field aggregated by sum, min, max and distinctCount (dotted path inside `fields`). */
    field: Type.Optional(FieldPath),
    /** Event field whose value is the grouping key (device id, phone, IP, ...). */
    groupBy: FieldPath,
    /** `<n>m`, `<n>h`, `<n>d` or `<n>w`, from 1 minute to 90 days. */
    window: Type.String({ pattern: '^[1-9][0-9]{0,5}[mhdw]$' }),
    /** Event types counted; default `["application"]`. */
    eventTypes: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 100 }), { minItems: 1, uniqueItems: true })),
    /** All conditions must hold for an event to be counted. */
    where: Type.Optional(Type.Array(ConditionSchema, { maxItems: 20 })),
    /** Whether the event being decided counts in its own variable (default true). */
    includeCurrent: Type.Optional(Type.Boolean()),
    owner: Type.Optional(Type.String({ maxLength: 200 })),
    tags: Type.Optional(Type.Array(Type.String({ maxLength: 100 }))),
  },
  { additionalProperties: false },
);

export type VelocityDefinition = Static<typeof VelocityDefinitionSchema> & { where?: FieldCondition[] };

/** What an event stores in a stream: nothing (count, firstSeenAge), a finite number, or a distinct-value key. */
export type StreamValueKind = 'none' | 'number' | 'distinct';

export interface CompiledVelocity {
  name: string;
  definition: VelocityDefinition;
  aggregate: VelocityAggregate;
  windowMs: number;
  includeCurrent: boolean;
  valueKind: StreamValueKind;
  /**
   * Identity of the event stream: definitions with the same event types, conditions, key and stored value share one
   * stream (the stores keep events once per stream, whatever the windows).
   */
  streamId: string;
  /** The grouping key of an event, or undefined when the event has none (it then counts nowhere). */
  keyOf(event: VelocityEvent): string | undefined;
  /**
   * The value the event stores in the stream, or undefined when the event is not admitted (wrong type, a condition
   * fails, no key, or the aggregated field is missing or of the wrong kind). `null` for streams that store no value.
   */
  admit(event: VelocityEvent): number | string | null | undefined;
  /** `admit` for an event whose key the caller already read (saves reading it twice on the ingest path). */
  admitKeyed(event: VelocityEvent): number | string | null | undefined;
  /** Whether the event's type, conditions and predicate admit it (key and stored value not checked). */
  admitsEvent(event: VelocityEvent): boolean;
  /**
   * The value an admitted event stores, from the raw value of `fieldPath` (null for streams that store none; undefined
   * when the value is missing or of the wrong kind, the event then not admitted). With `admitsEvent` this is `admitKeyed`
   * split in two, so a store that reads each event field once can share the reads between definitions.
   */
  valueFrom(raw: unknown): number | string | null | undefined;
  /** `groupBy` and `field` split into path segments (`field`'s empty when the aggregate takes none). */
  groupPath: readonly string[];
  fieldPath: readonly string[];
  /** Value when the key has no event in the window. */
  emptyValue: number | null;
  /**
   * The event fields (first path segment) whose values decide this definition's key, admission and value; null when a
   * compiled predicate may read any field. An event still missing a field (a decision whose outcome is not known yet)
   * can count here only when this names none of them.
   */
  fieldsRead: readonly string[] | null;
}

export type VelocityValue = number | null;

const ajv = new Ajv({ allErrors: true, strict: false });
const validateSchema = ajv.compile(VelocityDefinitionSchema);

function ajvDetails(errors: ErrorObject[] | null | undefined, prefix: string): ErrorDetail[] {
  return (errors ?? []).map((e) => {
    const path = prefix + e.instancePath.replace(/\//g, '.');
    const extra = e.keyword === 'additionalProperties' ? ` '${(e.params as { additionalProperty: string }).additionalProperty}'` : '';
    const allowed = e.keyword === 'enum' || e.keyword === 'const' ? ` (${JSON.stringify(e.params)})` : '';
    return { path: path || prefix || '(root)', message: `${e.message ?? 'invalid'}${extra}${allowed}` };
  });
}

const UNIT_MS: Record<string, number> = { m: 60_000, h: 3_600_000, d: 86_400_000, w: 7 * 86_400_000 };

/** `15m` -> 900000. Throws VALIDATION for anything outside 1 minute .. 90 days. */
export function parseWindow(window: string, path = 'window'): number {
  const m = /^([1-9][0-9]{0,5})([mhdw])$/.exec(window);
  if (!m) throw new MingjianError('VALIDATION', `invalid window '${window}'`, [{ path, message: `invalid window '${window}'`, expected: 'a number followed by m, h, d or w, e.g. 24h' }]);
  const ms = Number(m[1]) * UNIT_MS[m[2]!]!;
  if (ms < MIN_WINDOW_MS || ms > MAX_WINDOW_MS) {
    throw new MingjianError('VALIDATION', `window '${window}' out of range`, [{ path, message: `window '${window}' is out of range`, expected: 'from 1m to 90d' }]);
  }
  return ms;
}

const NEEDS_FIELD: ReadonlySet<VelocityAggregate> = new Set(['sum', 'min', 'max', 'distinctCount']);

/** Checks one definition beyond its schema; returns every problem found. */
function semanticProblems(def: VelocityDefinition, prefix: string): ErrorDetail[] {
  const problems: ErrorDetail[] = [];
  if (NEEDS_FIELD.has(def.aggregate) && !def.field) problems.push({ path: `${prefix}.field`, message: `aggregate '${def.aggregate}' needs a field` });
  if (!NEEDS_FIELD.has(def.aggregate) && def.field) problems.push({ path: `${prefix}.field`, message: `aggregate '${def.aggregate}' takes no field` });
  try {
    parseWindow(def.window, `${prefix}.window`);
  } catch (err) {
    problems.push(...((err as MingjianError).details ?? []));
  }
  (def.where ?? []).forEach((c, i) => {
    const p = `${prefix}.where[${i}]`;
    const hasValue = c.value !== undefined;
    if (c.op === 'exists' || c.op === 'missing') {
      if (hasValue) problems.push({ path: `${p}.value`, message: `operator '${c.op}' takes no value` });
    } else if (c.op === 'in' || c.op === 'notIn') {
      if (!Array.isArray(c.value) || c.value.some((v) => !isPrimitive(v))) problems.push({ path: `${p}.value`, message: `operator '${c.op}' needs a list of strings, numbers or booleans` });
    } else if (c.op === 'eq' || c.op === 'ne') {
      if (!isPrimitive(c.value)) problems.push({ path: `${p}.value`, message: `operator '${c.op}' needs a string, number or boolean` });
    } else if (typeof c.value !== 'number' || !Number.isFinite(c.value)) {
      problems.push({ path: `${p}.value`, message: `operator '${c.op}' needs a finite number` });
    }
  });
  return problems;
}

function isPrimitive(v: unknown): v is string | number | boolean {
  return typeof v === 'string' || typeof v === 'boolean' || (typeof v === 'number' && Number.isFinite(v));
}

/** Validates a list of definitions (names unique) and throws one VALIDATION error listing every problem. */
export function validateVelocityDefinitions(input: unknown, prefix = 'velocity'): VelocityDefinition[] {
  if (!Array.isArray(input)) throw new MingjianError('VALIDATION', 'velocity definitions must be a list', [{ path: prefix, message: 'must be a list of definitions' }]);
  const problems: ErrorDetail[] = [];
  const seen = new Set<string>();
  input.forEach((raw, i) => {
    const p = `${prefix}[${i}]`;
    if (!validateSchema(raw)) {
      problems.push(...ajvDetails(validateSchema.errors, p));
      return;
    }
    const def = raw as VelocityDefinition;
    if (seen.has(def.name)) problems.push({ path: `${p}.name`, message: `duplicate velocity variable '${def.name}'` });
    seen.add(def.name);
    problems.push(...semanticProblems(def, p));
  });
  if (problems.length) throw new MingjianError('VALIDATION', `invalid velocity definitions (${problems.length} problem${problems.length > 1 ? 's' : ''})`, problems);
  return input as VelocityDefinition[];
}

/** The string a value is counted under by distinctCount: `7` and `"7"` are the same value. */
export function distinctKeyOf(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  if (typeof v === 'number') return Number.isFinite(v) ? String(v) : undefined;
  if (typeof v === 'boolean') return String(v);
  return undefined;
}

function valueKindOf(aggregate: VelocityAggregate): StreamValueKind {
  if (aggregate === 'distinctCount') return 'distinct';
  if (aggregate === 'sum' || aggregate === 'min' || aggregate === 'max') return 'number';
  return 'none';
}

export interface CompileVelocityOptions {
  /**
   * A compiled predicate used instead of (in addition to) `where`, e.g. from a CEL expression. Its stream is then never
   * shared with another definition, since two functions cannot be compared.
   */
  predicate?: (event: VelocityEvent) => boolean;
}

/** Compiles one validated definition. */
export function compileVelocity(def: VelocityDefinition, options: CompileVelocityOptions = {}): CompiledVelocity {
  const [checked] = validateVelocityDefinitions([def]);
  const d = checked!;
  const windowMs = parseWindow(d.window);
  const valueKind = valueKindOf(d.aggregate);
  const eventTypes = [...(d.eventTypes ?? ['application'])].sort();
  const typeSet = new Set(eventTypes);
  const where = d.where ?? [];
  const whereHolds = compileConditions(where);
  const predicate = options.predicate;
  const groupPath = d.groupBy.split('.');
  const fieldPath = d.field ? d.field.split('.') : [];
  const streamId = JSON.stringify({ t: eventTypes, w: where, g: d.groupBy, f: d.field ?? null, k: valueKind, p: predicate ? d.name : null });
  const keyOf = (event: VelocityEvent) => distinctKeyOf(readPath(event.fields, groupPath));
  const admit = (event: VelocityEvent): number | string | null | undefined => (keyOf(event) === undefined ? undefined : admitKeyed(event));
  const admitsEvent = (event: VelocityEvent): boolean =>
    typeSet.has(event.type) && (!where.length || whereHolds(event.fields)) && (!predicate || predicate(event));
  const valueFrom = (raw: unknown): number | string | null | undefined => {
    if (valueKind === 'none') return null;
    if (valueKind === 'number') return typeof raw === 'number' && Number.isFinite(raw) ? raw : undefined;
    return distinctKeyOf(raw);
  };
  const admitKeyed = (event: VelocityEvent): number | string | null | undefined => {
    if (!admitsEvent(event)) return undefined;
    return valueKind === 'none' ? null : valueFrom(readPath(event.fields, fieldPath));
  };
  const emptyValue = d.aggregate === 'count' || d.aggregate === 'sum' || d.aggregate === 'distinctCount' ? 0 : null;
  return {
    name: d.name,
    definition: d,
    aggregate: d.aggregate,
    windowMs,
    includeCurrent: d.includeCurrent ?? true,
    valueKind,
    streamId,
    keyOf,
    admit,
    admitKeyed,
    admitsEvent,
    valueFrom,
    groupPath,
    fieldPath,
    emptyValue,
    fieldsRead: predicate ? null : [...new Set([groupPath[0]!, ...(fieldPath.length ? [fieldPath[0]!] : []), ...where.map((c) => c.field.split('.')[0]!)])],
  };
}

/** Compiles a list of definitions, validating all of them first (one error listing every problem). */
export function compileVelocities(defs: unknown): CompiledVelocity[] {
  return validateVelocityDefinitions(defs).map((d) => compileVelocity(d));
}
