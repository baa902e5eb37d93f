import { describe, expect, it } from 'vitest';
import { MingjianError } from '../kernel/errors.ts';
import { compileVelocity, parseWindow, validateVelocityDefinitions } from './velocity-definition.ts';
import { validateVelocityEvents } from './velocity-event.ts';

function problems(fn: () => unknown): string[] {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(MingjianError);
    expect((err as MingjianError).code).toBe('VALIDATION');
    return (err as MingjianError).details!.map((d) => `${d.path}: ${d.message}${d.expected ? ` (expected ${d.expected})` : ''}`);
  }
  throw new Error('expected a validation error');
}

describe('velocity definitions', () => {
  it('parses windows from one minute to 90 days', () => {
    expect(parseWindow('1m')).toBe(60_000);
    expect(parseWindow('24h')).toBe(86_400_000);
    expect(parseWindow('12w')).toBe(12 * 7 * 86_400_000);
    expect(problems(() => parseWindow('91d'))).toEqual(["window: window '91d' is out of range (expected from 1m to 90d)"]);
    expect(problems(() => parseWindow('30s'))).toEqual(["window: invalid window '30s' (expected a number followed by m, h, d or w, e.g. 24h)"]);
  });

  it('names every problem of every definition', () => {
    const found = problems(() =>
      validateVelocityDefinitions([
        { name: 'a', aggregate: 'count', groupBy: 'deviceId', window: '1h' },
        { name: 'a', aggregate: 'sum', groupBy: 'deviceId', window: '1h' },
        { name: 'b', aggregate: 'median', groupBy: 'deviceId', window: '1h' },
        { name: 'c', aggregate: 'count', field: 'x', groupBy: 'device id', window: '1h', colour: 'red' },
        { name: 'd', aggregate: 'count', groupBy: 'ip', window: '2h', where: [{ field: 'amount', op: 'gt', value: 'big' }, { field: 'status', op: 'in', value: 'DECLINE' }, { field: 'x', op: 'exists', value: 1 }] },
      ]),
    );
    expect(found).toEqual(expect.arrayContaining([
      "velocity[1].name: duplicate velocity variable 'a'",
      "velocity[1].field: aggregate 'sum' needs a field",
      "velocity[3]: must NOT have additional properties 'colour'",
      "velocity[4].where[0].value: operator 'gt' needs a finite number",
      "velocity[4].where[1].value: operator 'in' needs a list of strings, numbers or booleans",
      "velocity[4].where[2].value: operator 'exists' takes no value",
    ]));
    expect(found.some((p) => p.startsWith('velocity[2].aggregate'))).toBe(true);
    expect(found.some((p) => p.startsWith('velocity[3].groupBy'))).toBe(true);
  });

  it('admits events by type, key, condition, value kind, and an optional compiled predicate', () => {
    const base = { id: 'e', type: 'application', time: 1, fields: { deviceId: 'd1', amount: 5, status: 'DECLINE' } };
    const sum = compileVelocity({ name: 's', aggregate: 'sum', field: 'amount', groupBy: 'deviceId', window: '1h', where: [{ field: 'status', op: 'eq', value: 'DECLINE' }] });
    expect(sum.admit(base)).toBe(5);
    expect(sum.admit({ ...base, type: 'login' })).toBeUndefined();
    expect(sum.admit({ ...base, fields: { ...base.fields, status: 'APPROVE' } })).toBeUndefined();
    expect(sum.admit({ ...base, fields: { ...base.fields, amount: '5' } })).toBeUndefined();
    expect(sum.admit({ ...base, fields: { amount: 5, status: 'DECLINE' } })).toBeUndefined();
    const big = compileVelocity({ name: 'big', aggregate: 'count', groupBy: 'deviceId', window: '1h' }, { predicate: (e) => (e.fields.amount as number) > 3 });
    expect(big.admit(base)).toBeNull();
    expect(big.admit({ ...base, fields: { ...base.fields, amount: 1 } })).toBeUndefined();
    expect(big.streamId).not.toBe(compileVelocity({ name: 'c', aggregate: 'count', groupBy: 'deviceId', window: '1h' }).streamId);
  });

  it('validates incoming events with the field named', () => {
    expect(problems(() => validateVelocityEvents([{ id: 'a', type: 'login', time: 1.5, fields: {} }, { id: 'b', type: 'bad type!', time: 1, fields: [] }]))).toEqual(
      expect.arrayContaining(['events[0].time: must be integer', expect.stringMatching(/^events\[1\]\.type: /), expect.stringMatching(/^events\[1\]\.fields: /)]),
    );
  });
});
