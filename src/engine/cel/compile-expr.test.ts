// Compiled CEL must agree with a reference CEL evaluator (@marcbachmann/cel-js) on generated expressions and inputs.
import fc from 'fast-check';
import { evaluate as celEvaluate } from '@marcbachmann/cel-js';
import { describe, expect, it } from 'vitest';
import { compileExpr, type CodegenContext, type ExprScope } from './compile-expr.ts';
import * as rt from './runtime.ts';
import { T, type Type } from './types.ts';

const VARS: Record<string, Type> = { a: T.int, b: T.int, x: T.double, y: T.double, p: T.bool, q: T.bool, s: T.string, t: T.string };

function context(): CodegenContext {
  const consts: string[] = [];
  return {
    constant: (js) => { consts.push(js); return `K[${consts.length - 1}]`; },
    lists: {},
    usedLists: new Set(),
    usedWatchlists: new Set(),
    usesNow: false,
    nextLocal: (() => { let i = 0; return () => `c${i++}`; })(),
    // expose for the runner
    ...({ consts } as object),
  } as CodegenContext;
}

const scope: ExprScope = {
  lookup: (n) => (VARS[n] ? { type: VARS[n]!, js: `env.${n}`, kind: 'input' } : undefined),
  names: () => Object.keys(VARS),
};

function run(src: string, env: Record<string, unknown>): unknown {
  const ctx = context();
  const c = compileExpr(src, scope, ctx);
  const consts = (ctx as unknown as { consts: string[] }).consts;
  const K = consts.map((js) => new Function(`return ${js}`)());
  return new Function('rt', 'env', 'K', `return ${c.js};`)(rt, env, K);
}

// ---- generators of well-typed CEL over the variables above
const intLit = fc.integer({ min: -50, max: 50 }).map((n) => (n < 0 ? `(${n})` : String(n)));
const dblLit = fc.double({ min: -100, max: 100, noNaN: true, noDefaultInfinity: true }).map((d) => { const s = d.toFixed(3); return s.includes('.') ? (d < 0 ? `(${s})` : s) : s + '.0'; });
const strLit = fc.constantFrom('""', '"a"', '"ab"', '"héllo"', '"b"', '"A"');

const { int: intExpr, dbl: dblExpr, bool: boolExpr, str: strExpr } = fc.letrec<{ int: string; dbl: string; bool: string; str: string }>((tie) => ({
  int: fc.oneof({ depthSize: 'small', withCrossShrink: true },
    fc.constantFrom('a', 'b'), intLit,
    fc.tuple(tie('int'), fc.constantFrom('+', '-', '*'), tie('int')).map(([l, o, r]) => `(${l} ${o} ${r})`),
    fc.tuple(tie('bool'), tie('int'), tie('int')).map(([c, l, r]) => `(${c} ? ${l} : ${r})`),
    tie('str').map((s) => `size(${s})`)),
  dbl: fc.oneof({ depthSize: 'small', withCrossShrink: true },
    fc.constantFrom('x', 'y'), dblLit,
    fc.tuple(tie('dbl'), fc.constantFrom('+', '-', '*', '/'), tie('dbl')).map(([l, o, r]) => `(${l} ${o} ${r})`),
    tie('int').map((i) => `double(${i})`),
    fc.tuple(tie('bool'), tie('dbl'), tie('dbl')).map(([c, l, r]) => `(${c} ? ${l} : ${r})`)),
  bool: fc.oneof({ depthSize: 'small', withCrossShrink: true },
    fc.constantFrom('p', 'q', 'true', 'false'),
    fc.tuple(tie('int'), fc.constantFrom('<', '<=', '>', '>=', '==', '!='), tie('int')).map(([l, o, r]) => `(${l} ${o} ${r})`),
    fc.tuple(tie('dbl'), fc.constantFrom('<', '<=', '>', '>='), tie('dbl')).map(([l, o, r]) => `(${l} ${o} ${r})`),
    fc.tuple(tie('int'), fc.constantFrom('<', '>='), tie('dbl')).map(([l, o, r]) => `(${l} ${o} ${r})`),
    fc.tuple(tie('bool'), fc.constantFrom('&&', '||'), tie('bool')).map(([l, o, r]) => `(${l} ${o} ${r})`),
    tie('bool').map((b) => `!${b}`),
    fc.tuple(tie('str'), fc.constantFrom('==', '!=', '<', '>'), tie('str')).map(([l, o, r]) => `(${l} ${o} ${r})`),
    fc.tuple(tie('str'), fc.constantFrom('startsWith', 'endsWith', 'contains'), tie('str')).map(([l, m, r]) => `${l}.${m}(${r})`),
    fc.tuple(tie('int'), fc.array(intLit, { minLength: 0, maxLength: 4 })).map(([v, xs]) => `(${v} in [${xs.join(', ')}])`),
    fc.tuple(tie('str'), fc.array(strLit, { minLength: 1, maxLength: 3 })).map(([v, xs]) => `(${v} in [${xs.join(', ')}])`)),
  str: fc.oneof({ depthSize: 'small', withCrossShrink: true },
    fc.constantFrom('s', 't'), strLit,
    fc.tuple(tie('str'), tie('str')).map(([l, r]) => `(${l} + ${r})`)),
}));

const env = fc.record({
  a: fc.integer({ min: -1000, max: 1000 }),
  b: fc.integer({ min: -1000, max: 1000 }),
  x: fc.double({ min: -1e4, max: 1e4, noNaN: true, noDefaultInfinity: true }),
  y: fc.double({ min: -1e4, max: 1e4, noNaN: true, noDefaultInfinity: true }),
  p: fc.boolean(),
  q: fc.boolean(),
  s: fc.constantFrom('', 'a', 'ab', 'abc', 'b', 'héllo', 'A'),
  t: fc.constantFrom('', 'a', 'ab', 'b', 'lo'),
});

function reference(src: string, e: Record<string, unknown>): unknown {
  const ctx = { ...e, a: BigInt(e.a as number), b: BigInt(e.b as number) };
  const v = celEvaluate(src, ctx);
  return typeof v === 'bigint' ? Number(v) : v;
}

function same(a: unknown, b: unknown): boolean {
  if (typeof a === 'number' && typeof b === 'number') return Object.is(a, b) || a === b || (Number.isNaN(a) && Number.isNaN(b));
  return a === b;
}

describe('compiled CEL agrees with the reference evaluator', () => {
  for (const [name, gen] of [['int', intExpr], ['double', dblExpr], ['bool', boolExpr], ['string', strExpr]] as const) {
    it(`${name} expressions`, () => {
      fc.assert(
        fc.property(gen, env, (src, e) => {
          const ours = run(src, e);
          const ref = reference(src, e);
          if (!same(ours, ref)) throw new Error(`${src} with ${JSON.stringify(e)}: ours ${String(ours)}, reference ${String(ref)}`);
        }),
        { numRuns: 400, seed: 20261128 },
      );
    });
  }
});

describe('type checking', () => {
  const fails = (src: string, msg: RegExp) => expect(() => compileExpr(src, scope, context())).toThrow(msg);
  it('reports unknown names with a suggestion', () => fails('aa + 1', /unknown name 'aa'; did you mean 'a'\?/));
  it('refuses int/double arithmetic without conversion', () => fails('a * x', /cannot mix int and double/));
  it('accepts an int literal next to a double', () => expect(run('x * 2', { x: 1.5 })).toBe(3));
  it('refuses comparing a string with a number', () => fails('s < 3', /cannot compare string < int/));
  it('reports syntax errors with the offset', () => {
    try { compileExpr('a + * b', scope, context()); throw new Error('no error'); } catch (e) { expect((e as { pos: number }).pos).toBe(4); }
  });
  it('integer division truncates and division by zero is an error', () => {
    expect(run('a / b', { a: -7, b: 2 })).toBe(-3);
    expect(() => run('a / b', { a: 1, b: 0 })).toThrow(/division by zero/);
  });
});

describe('null safety', () => {
  const nscope: ExprScope = {
    lookup: (n) => (n === 'opt' ? { type: { k: 'int', nullable: true }, js: 'env.opt', kind: 'input' } : scope.lookup(n)),
    names: () => ['opt', ...scope.names()],
  };
  const compile = (src: string) => compileExpr(src, nscope, context());
  it('refuses an optional value in an operator', () => expect(() => compile('opt > 5')).toThrow(/may be null.*orDefault\(opt/));
  it('accepts it after has() or a null check', () => {
    expect(compile('has(opt) && opt > 5').type.k).toBe('bool');
    expect(compile('opt == null || opt > 5').type.k).toBe('bool');
    expect(compile('has(opt) ? opt : 0').type).toMatchObject({ k: 'int' });
    expect(compile('has(opt) ? opt : 0').type.nullable ?? false).toBe(false);
  });
  it('orDefault gives a non-null value', () => expect(compile('orDefault(opt, 3) + 1').type).toMatchObject({ k: 'int' }));
});

describe('credit functions', () => {
  const dscope: ExprScope = {
    lookup: (n) => (n === 'birth' ? { type: T.date, js: 'env.birth', kind: 'input' } : undefined),
    names: () => ['birth'],
  };
  const run2 = (src: string, birth: string, now: string) => {
    const ctx = context();
    const c = compileExpr(src, dscope, ctx);
    return new Function('rt', 'env', 'NOW', `return ${c.js};`)(rt, { birth }, Date.parse(now));
  };
  it('ageYears counts whole years at the decision time', () => {
    expect(run2('ageYears(birth)', '1990-06-15', '2026-06-14T23:59:59Z')).toBe(35);
    expect(run2('ageYears(birth)', '1990-06-15', '2026-06-15T00:00:00Z')).toBe(36);
    expect(run2('ageYears(birth)', '2000-02-29', '2021-02-28T12:00:00Z')).toBe(20);
  });
  it('daysSince and monthsBetween', () => {
    expect(run2('daysSince(birth)', '2026-01-01', '2026-01-31T10:00:00Z')).toBe(30);
    expect(run2('monthsBetween(birth, date("2026-03-14"))', '2026-01-15', '2026-01-01T00:00:00Z')).toBe(1);
  });
  it('round is half away from zero', () => {
    expect(rt.round(2.5)).toBe(3);
    expect(rt.round(-2.5)).toBe(-3);
    expect(rt.round(1.005, 2)).toBe(1.01);
  });
});
