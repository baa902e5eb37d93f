// Full validation of an application against the flow's declared inputs, listing every problem by field path.
// The compiled flow checks inputs inline on its fast path and calls this only when something is wrong
// (and for nested lists/objects), so the messages cost nothing on good input.

import type { ErrorDetail } from '../kernel/errors.ts';
import { isIsoDate } from './cel/runtime.ts';
import type { InputField } from './types.ts';

const patterns = new Map<string, RegExp>();
/** Compiled once per pattern: the decision path validates before its external calls, on every application. */
function patternOf(source: string): RegExp {
  let re = patterns.get(source);
  if (!re) patterns.set(source, (re = new RegExp(source, 'u')));
  return re;
}

/** Records one problem; only called when there is one, so good input allocates nothing. */
function fail(out: ErrorDetail[], spec: InputField, path: string, message: string): void {
  out.push({ path, message, expected: describeSpec(spec) });
}

/** A value for a message: personal data never appears in messages (they reach logs and responses). */
function shown(spec: InputField, value: unknown): string {
  return spec.pii ? '(value hidden: personal data)' : showValue(value);
}

export function validateField(spec: InputField, value: unknown, path: string, out: ErrorDetail[]): void {
  if (value === undefined || value === null) {
    if (spec.required !== false) out.push({ path, message: 'is required', expected: describeSpec(spec) });
    return;
  }
  switch (spec.type) {
    case 'number':
    case 'integer': {
      if (typeof value !== 'number' || !Number.isFinite(value)) return fail(out, spec, path, `must be a ${spec.type === 'integer' ? 'whole number' : 'number'}, got ${shown(spec, value)}`);
      if (spec.type === 'integer' && !Number.isSafeInteger(value)) return fail(out, spec, path, `must be a whole number, got ${value}`);
      if (spec.min !== undefined && value < spec.min) fail(out, spec, path, `must be at least ${spec.min}, got ${value}`);
      if (spec.max !== undefined && value > spec.max) fail(out, spec, path, `must be at most ${spec.max}, got ${value}`);
      return;
    }
    case 'string': {
      if (typeof value !== 'string') return fail(out, spec, path, `must be a string, got ${shown(spec, value)}`);
      if (spec.minLength !== undefined && value.length < spec.minLength) fail(out, spec, path, `must have at least ${spec.minLength} characters`);
      if (spec.maxLength !== undefined && value.length > spec.maxLength) fail(out, spec, path, `must have at most ${spec.maxLength} characters`);
      if (spec.pattern !== undefined && !patternOf(spec.pattern).test(value)) fail(out, spec, path, `does not match the pattern ${spec.pattern}`);
      return;
    }
    case 'boolean':
      if (typeof value !== 'boolean') fail(out, spec, path, `must be true or false, got ${shown(spec, value)}`);
      return;
    case 'enum':
      if (typeof value !== 'string' || !(spec.values ?? []).includes(value)) fail(out, spec, path, `must be one of ${(spec.values ?? []).join(', ')}, got ${shown(spec, value)}`);
      return;
    case 'date':
      if (typeof value !== 'string' || !isIsoDate(value)) fail(out, spec, path, `must be a date YYYY-MM-DD, got ${shown(spec, value)}`);
      return;
    case 'timestamp':
      if (typeof value !== 'string' || Number.isNaN(Date.parse(value)) || !/^\d{4}-\d{2}-\d{2}T/.test(value)) fail(out, spec, path, `must be an ISO 8601 timestamp, got ${shown(spec, value)}`);
      return;
    case 'list': {
      if (!Array.isArray(value)) return fail(out, spec, path, `must be a list, got ${shown(spec, value)}`);
      if (spec.minLength !== undefined && value.length < spec.minLength) fail(out, spec, path, `must have at least ${spec.minLength} items`);
      if (spec.maxLength !== undefined && value.length > spec.maxLength) fail(out, spec, path, `must have at most ${spec.maxLength} items`);
      if (spec.items) {
        const item = { ...spec.items, required: true };
        for (let i = 0; i < value.length; i++) validateField(item, value[i], `${path}[${i}]`, out);
      }
      return;
    }
    case 'object': {
      if (typeof value !== 'object' || Array.isArray(value)) return fail(out, spec, path, `must be an object, got ${shown(spec, value)}`);
      for (const [k, f] of Object.entries(spec.fields ?? {})) validateField(f, (value as Record<string, unknown>)[k], `${path}.${k}`, out);
      return;
    }
  }
}

export function validateApplication(inputs: Record<string, InputField>, app: unknown): ErrorDetail[] {
  const out: ErrorDetail[] = [];
  if (app === null || typeof app !== 'object' || Array.isArray(app)) {
    out.push({ path: 'application', message: `must be an object, got ${showValue(app)}` });
    return out;
  }
  for (const k in inputs) validateField(inputs[k]!, (app as Record<string, unknown>)[k], k, out);
  return out;
}

function describeSpec(s: InputField): string {
  const range = s.min !== undefined || s.max !== undefined ? ` in [${s.min ?? '-inf'}, ${s.max ?? 'inf'}]` : '';
  if (s.type === 'enum') return `one of ${(s.values ?? []).join(', ')}`;
  return `${s.type}${range}`;
}

function showValue(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v.length > 40 ? v.slice(0, 40) + '…' : v);
  if (Array.isArray(v)) return 'a list';
  if (v === null) return 'null';
  return typeof v === 'object' ? 'an object' : String(v);
}
