// Type-checks a CEL expression against the flow's declared names and generates a JavaScript expression for it.
// Safety (after Ajv's codegen): no text from the flow reaches generated code except through `lit()` (JSON-escaped
// literals) or names handed out by the caller's scope; everything else is fixed template text.

import { parseCel, type Expr, CelSyntaxError } from './parser.ts';
import { T, typeName, isNumeric, nullable, sameType, assignable, type Type } from './types.ts';

export interface Binding {
  type: Type;
  /** JavaScript expression reading the value (a generated identifier). */
  js: string;
  kind: 'input' | 'variable' | 'output' | 'local' | 'special';
}

export interface ExprScope {
  lookup(name: string): Binding | undefined;
  names(): string[];
}

export interface CodegenContext {
  /** Hoists a constant JS expression (built only from escaped literals) and returns its identifier. */
  constant(js: string): string;
  lists: Record<string, (string | number)[]>;
  usedLists: Set<string>;
  usedWatchlists: Set<string>;
  usesNow: boolean;
  /** Counter for comprehension variables. */
  nextLocal(): string;
}

export interface CompiledExpr {
  js: string;
  type: Type;
  /** Names (inputs, variables, outputs) the expression reads. */
  reads: Set<string>;
}

export class CelTypeError extends Error {
  constructor(message: string, readonly pos: number, readonly expected?: string) {
    super(message);
  }
}

/** JSON-escaped literal: the only way flow text becomes code. */
export function lit(v: string | number | boolean | null): string {
  if (typeof v === 'number') {
    if (Number.isNaN(v)) return 'NaN';
    if (!Number.isFinite(v)) return v > 0 ? 'Infinity' : '-Infinity';
    return Object.is(v, -0) ? '-0' : String(v);
  }
  return JSON.stringify(v);
}

interface Typed {
  js: string;
  type: Type;
  /** An int literal may be read as a double next to a double (x * 12 for double x). */
  intLit?: boolean;
  constValue?: string | number | boolean | null;
}

type Narrowed = Set<string>;

class ExprCompiler {
  reads = new Set<string>();
  private locals = new Map<string, Binding>();

  constructor(private readonly scope: ExprScope, private readonly ctx: CodegenContext) {}

  compile(e: Expr, nn: Narrowed): Typed {
    switch (e.kind) {
      case 'lit': return this.literal(e);
      case 'ident': return this.ident(e, nn);
      case 'member': return this.member(e, nn);
      case 'index': return this.index(e, nn);
      case 'call': return this.call(e, nn);
      case 'unary': return this.unary(e, nn);
      case 'binary': return this.binary(e, nn);
      case 'cond': return this.cond(e, nn);
      case 'list': return this.list(e, nn);
      case 'map': return this.map(e, nn);
    }
  }

  private literal(e: Extract<Expr, { kind: 'lit' }>): Typed {
    const v = e.value;
    if (v === null) return { js: 'null', type: T.null, constValue: null };
    if (typeof v === 'boolean') return { js: lit(v), type: T.bool, constValue: v };
    if (typeof v === 'string') return { js: lit(v), type: T.string, constValue: v };
    if (e.isInt) {
      if (!Number.isSafeInteger(v)) throw new CelTypeError(`integer literal ${v} is outside the supported range (±2^53)`, e.pos);
      return { js: lit(v), type: T.int, intLit: true, constValue: v };
    }
    return { js: lit(v), type: T.double, constValue: v };
  }

  private ident(e: Extract<Expr, { kind: 'ident' }>, nn: Narrowed): Typed {
    const local = this.locals.get(e.name);
    const b = local ?? this.scope.lookup(e.name);
    if (!b) {
      const names = [...this.scope.names(), ...this.locals.keys()];
      const hint = suggest(e.name, names);
      throw new CelTypeError(`unknown name '${e.name}'${hint ? `; did you mean '${hint}'?` : ''}`, e.pos, 'a declared input, variable or output');
    }
    if (b.kind !== 'local' && b.kind !== 'special') this.reads.add(e.name);
    const type = b.type.nullable && nn.has(e.name) ? nullable(b.type, false) : b.type;
    return { js: b.js, type };
  }

  private member(e: Extract<Expr, { kind: 'member' }>, nn: Narrowed): Typed {
    const obj = this.compile(e.object, nn);
    this.requireNonNull(obj, e.object, `read field '${e.field}' of`);
    const path = pathOf(e);
    if (obj.type.k === 'object') {
      const ft = obj.type.fields[e.field];
      if (!ft) {
        const hint = suggest(e.field, Object.keys(obj.type.fields));
        throw new CelTypeError(`no field '${e.field}'${hint ? `; did you mean '${hint}'?` : ''}`, e.pos, `one of ${Object.keys(obj.type.fields).join(', ')}`);
      }
      const type = ft.nullable && path && nn.has(path) ? nullable(ft, false) : ft;
      // Optional fields may be absent (undefined): normalise to null so comparisons with null behave.
      return { js: ft.nullable ? `(${obj.js}[${lit(e.field)}] ?? null)` : `${obj.js}[${lit(e.field)}]`, type };
    }
    if (obj.type.k === 'map') return { js: `rt.mapGet(${obj.js}, ${lit(e.field)})`, type: obj.type.val };
    if (obj.type.k === 'dyn') return { js: `rt.mapGet(${obj.js}, ${lit(e.field)})`, type: T.dyn };
    throw new CelTypeError(`cannot read field '${e.field}' of a ${typeName(obj.type)}`, e.pos);
  }

  private index(e: Extract<Expr, { kind: 'index' }>, nn: Narrowed): Typed {
    const obj = this.compile(e.object, nn);
    const idx = this.compile(e.index, nn);
    this.requireNonNull(obj, e.object, 'index');
    this.requireNonNull(idx, e.index, 'use as an index');
    if (obj.type.k === 'list') {
      if (idx.type.k !== 'int' && idx.type.k !== 'dyn') throw new CelTypeError(`list index must be an int, got ${typeName(idx.type)}`, e.index.pos);
      return { js: `rt.index(${obj.js}, ${idx.js})`, type: obj.type.elem };
    }
    if (obj.type.k === 'map') return { js: `rt.mapGet(${obj.js}, ${idx.js})`, type: obj.type.val };
    if (obj.type.k === 'object') {
      if (idx.constValue !== undefined && typeof idx.constValue === 'string' && obj.type.fields[idx.constValue]) {
        return { js: `${obj.js}[${lit(idx.constValue)}]`, type: obj.type.fields[idx.constValue]! };
      }
      return { js: `rt.mapGet(${obj.js}, ${idx.js})`, type: T.dyn };
    }
    if (obj.type.k === 'dyn') return { js: `(Array.isArray(${obj.js}) ? rt.index(${obj.js}, ${idx.js}) : rt.mapGet(${obj.js}, ${idx.js}))`, type: T.dyn };
    throw new CelTypeError(`cannot index a ${typeName(obj.type)}`, e.pos);
  }

  private unary(e: Extract<Expr, { kind: 'unary' }>, nn: Narrowed): Typed {
    const a = this.compile(e.arg, nn);
    this.requireNonNull(a, e.arg, `apply '${e.op}' to`);
    if (e.op === '!') {
      this.expectType(a, T.bool, e.arg, "operand of '!'");
      return { js: `!${a.js}`, type: T.bool };
    }
    if (a.type.k === 'int') return { js: `rt.ineg(${a.js})`, type: T.int };
    if (a.type.k === 'double') return { js: `(-${a.js})`, type: T.double };
    if (a.type.k === 'dyn') return { js: `(-${a.js})`, type: T.dyn };
    throw new CelTypeError(`cannot negate a ${typeName(a.type)}`, e.pos, 'int or double');
  }

  private binary(e: Extract<Expr, { kind: 'binary' }>, nn: Narrowed): Typed {
    const op = e.op;
    if (op === '&&' || op === '||') {
      const l = this.compile(e.left, nn);
      // Facts that hold when the right side runs: `has(x) && x > 1`, `x == null || x > 1`.
      const rnn = union(nn, op === '&&' ? factsWhenTrue(e.left) : factsWhenFalse(e.left));
      const r = this.compile(e.right, rnn);
      this.requireNonNull(l, e.left, `use '${op}' on`);
      this.requireNonNull(r, e.right, `use '${op}' on`);
      this.expectType(l, T.bool, e.left, `left side of '${op}'`);
      this.expectType(r, T.bool, e.right, `right side of '${op}'`);
      return { js: `(${l.js} ${op} ${r.js})`, type: T.bool };
    }
    const l = this.compile(e.left, nn);
    const r = this.compile(e.right, nn);
    if (op === '==' || op === '!=') return this.equality(op, l, r, e);
    if (op === 'in') return this.membership(l, r, e);
    this.requireNonNull(l, e.left, `apply '${op}' to`);
    this.requireNonNull(r, e.right, `apply '${op}' to`);
    if (op === '<' || op === '<=' || op === '>' || op === '>=') {
      const ok =
        (isNumeric(l.type) && isNumeric(r.type)) ||
        (l.type.k === r.type.k && ['string', 'date', 'timestamp', 'bool'].includes(l.type.k)) ||
        l.type.k === 'dyn' || r.type.k === 'dyn';
      if (!ok) throw new CelTypeError(`cannot compare ${typeName(l.type)} ${op} ${typeName(r.type)}`, e.pos, 'two numbers, two strings, two dates or two timestamps');
      return { js: `(${l.js} ${op} ${r.js})`, type: T.bool };
    }
    // arithmetic
    const [lt, rt_] = this.promote(l, r);
    if (lt.k === 'dyn' || rt_.k === 'dyn') {
      return { js: `(${l.js} ${op} ${r.js})`, type: T.dyn };
    }
    if (op === '+' && lt.k === 'string' && rt_.k === 'string') return { js: `(${l.js} + ${r.js})`, type: T.string };
    if (op === '+' && lt.k === 'list' && rt_.k === 'list') return { js: `${l.js}.concat(${r.js})`, type: sameType(lt.elem, rt_.elem) ? lt : T.list(T.dyn) };
    if (lt.k === 'int' && rt_.k === 'int') {
      const fn = { '+': 'iadd', '-': 'isub', '*': 'imul', '/': 'idiv', '%': 'imod' }[op];
      return { js: `rt.${fn}(${l.js}, ${r.js})`, type: T.int };
    }
    if (lt.k === 'double' && rt_.k === 'double') {
      if (op === '%') throw new CelTypeError("'%' is defined on ints only", e.pos, 'int % int');
      return { js: `(${l.js} ${op} ${r.js})`, type: T.double };
    }
    if (isNumeric(lt) && isNumeric(rt_)) {
      throw new CelTypeError(`cannot mix int and double in '${op}' (${typeName(lt)} ${op} ${typeName(rt_)}); convert one side with double(...) or int(...)`, e.pos);
    }
    throw new CelTypeError(`cannot apply '${op}' to ${typeName(lt)} and ${typeName(rt_)}`, e.pos);
  }

  /** Int literals next to doubles read as doubles; everything else keeps its type. */
  private promote(l: Typed, r: Typed): [Type, Type] {
    if (l.type.k === 'int' && r.type.k === 'double' && l.intLit) return [T.double, T.double];
    if (r.type.k === 'int' && l.type.k === 'double' && r.intLit) return [T.double, T.double];
    return [l.type, r.type];
  }

  private equality(op: '==' | '!=', l: Typed, r: Typed, e: Expr): Typed {
    const neg = op === '!=';
    const prim = (t: Type) => ['int', 'double', 'string', 'bool', 'date', 'timestamp', 'null'].includes(t.k);
    if (l.type.k !== 'null' && r.type.k !== 'null' && l.type.k !== 'dyn' && r.type.k !== 'dyn') {
      const comparable = sameType(l.type, r.type) || (isNumeric(l.type) && isNumeric(r.type));
      if (!comparable) throw new CelTypeError(`comparing ${typeName(l.type)} ${op} ${typeName(r.type)} is always ${neg}; check the types`, e.pos);
    }
    if (prim(l.type) && prim(r.type)) return { js: `(${l.js} ${neg ? '!==' : '==='} ${r.js})`, type: T.bool };
    return { js: `${neg ? '!' : ''}rt.eq(${l.js}, ${r.js})`, type: T.bool };
  }

  private membership(l: Typed, r: Typed, e: Extract<Expr, { kind: 'binary' }>): Typed {
    this.requireNonNull(r, e.right, "use 'in' on");
    if (r.type.k === 'list') {
      const elem = r.type.elem;
      if (l.type.k !== 'dyn' && elem.k !== 'dyn' && !(sameType(l.type, elem) || (isNumeric(l.type) && isNumeric(elem)) || l.type.k === 'null')) {
        throw new CelTypeError(`'in' looks for a ${typeName(l.type)} in a ${typeName(r.type)}`, e.pos);
      }
      if (e.right.kind === 'list' && e.right.items.every((i) => i.kind === 'lit')) {
        const values = e.right.items.map((i) => (i as { value: string | number | boolean | null }).value);
        const set = this.ctx.constant(`new Set([${values.map(lit).join(', ')}])`);
        return { js: `${set}.has(${l.js})`, type: T.bool };
      }
      return { js: `rt.inList(${l.js}, ${r.js})`, type: T.bool };
    }
    if (r.type.k === 'map' || r.type.k === 'object' || r.type.k === 'dyn') return { js: `rt.mapHas(${r.js}, ${l.js})`, type: T.bool };
    throw new CelTypeError(`'in' needs a list or map on the right, got ${typeName(r.type)}`, e.right.pos);
  }

  private cond(e: Extract<Expr, { kind: 'cond' }>, nn: Narrowed): Typed {
    const test = this.compile(e.test, nn);
    this.requireNonNull(test, e.test, 'use as a condition');
    this.expectType(test, T.bool, e.test, 'condition of ?:');
    const a = this.compile(e.then, union(nn, factsWhenTrue(e.test)));
    const b = this.compile(e.else, union(nn, factsWhenFalse(e.test)));
    const type = unify(a, b);
    if (!type) throw new CelTypeError(`the branches of ?: have different types (${typeName(a.type)} and ${typeName(b.type)})`, e.pos);
    return { js: `(${test.js} ? ${a.js} : ${b.js})`, type };
  }

  private list(e: Extract<Expr, { kind: 'list' }>, nn: Narrowed): Typed {
    const items = e.items.map((i) => this.compile(i, nn));
    let elem: Type = items.length ? items[0]!.type : T.dyn;
    let acc: Typed | undefined = items[0];
    for (const it of items.slice(1)) {
      const u = acc ? unify(acc, it) : it.type;
      elem = u ?? T.dyn;
      acc = { js: '', type: elem, intLit: acc?.intLit && it.intLit };
    }
    if (items.length && items.every((i) => i.constValue !== undefined)) {
      return { js: this.ctx.constant(`Object.freeze([${items.map((i) => lit(i.constValue!)).join(', ')}])`), type: T.list(elem) };
    }
    return { js: `[${items.map((i) => i.js).join(', ')}]`, type: T.list(elem) };
  }

  private map(e: Extract<Expr, { kind: 'map' }>, nn: Narrowed): Typed {
    const entries = e.entries.map((en) => ({ k: this.compile(en.key, nn), v: this.compile(en.value, nn) }));
    for (const en of entries) {
      if (!['string', 'int', 'bool', 'dyn'].includes(en.k.type.k)) throw new CelTypeError(`map keys must be string, int or bool, got ${typeName(en.k.type)}`, e.pos);
    }
    const kt = entries.length && entries.every((x) => sameType(x.k.type, entries[0]!.k.type)) ? entries[0]!.k.type : T.dyn;
    const vt = entries.length && entries.every((x) => sameType(x.v.type, entries[0]!.v.type)) ? entries[0]!.v.type : T.dyn;
    // String-keyed maps are plain objects, so they serialise as JSON in outputs; other keys need a Map.
    if (kt.k === 'string') return { js: `{ ${entries.map((x) => `[${x.k.js}]: ${x.v.js}`).join(', ')} }`, type: T.map(kt, vt) };
    return { js: `new Map([${entries.map((x) => `[${x.k.js}, ${x.v.js}]`).join(', ')}])`, type: T.map(kt, vt) };
  }

  // ------------------------------------------------------------- calls

  private call(e: Extract<Expr, { kind: 'call' }>, nn: Narrowed): Typed {
    const { fn, target, args } = e;
    const argc = args.length + (target ? 1 : 0);
    // macros first: their arguments are not plain expressions
    if (fn === 'has' && !target) {
      if (args.length !== 1) throw new CelTypeError('has() takes one argument', e.pos);
      const a = args[0]!;
      if (a.kind === 'ident') {
        const b = this.scope.lookup(a.name) ?? this.locals.get(a.name);
        if (!b) this.compile(a, nn); // reports the unknown name
        this.reads.add(a.name);
        return { js: `(${b!.js} !== null)`, type: T.bool };
      }
      if (a.kind === 'member') {
        const obj = this.compile(a.object, nn);
        this.requireNonNull(obj, a.object, 'test a field of');
        if (obj.type.k === 'object' && !obj.type.fields[a.field]) throw new CelTypeError(`no field '${a.field}'`, a.pos);
        return { js: `rt.mapHas(${obj.js}, ${lit(a.field)}) && ${obj.js}[${lit(a.field)}] != null`, type: T.bool };
      }
      throw new CelTypeError('has() takes a name or a field selection such as has(applicant.email)', e.pos);
    }
    if (target && ['all', 'exists', 'exists_one', 'map', 'filter'].includes(fn)) return this.comprehension(e, nn);

    const t = target ? this.compile(target, nn) : undefined;
    const a = args.map((x) => this.compile(x, nn));
    const all = t ? [t, ...a] : a;
    const allExprs = target ? [target, ...args] : args;
    const need = (n: number) => {
      if (argc !== n) throw new CelTypeError(`${fn}() takes ${n} argument${n === 1 ? '' : 's'}, got ${argc}`, e.pos);
    };
    const nonNull = () => all.forEach((x, i) => this.requireNonNull(x, allExprs[i]!, `pass to ${fn}()`));
    const num = (x: Typed, i: number) => {
      if (!isNumeric(x.type) && x.type.k !== 'dyn') throw new CelTypeError(`${fn}() needs a number, got ${typeName(x.type)}`, allExprs[i]!.pos, 'int or double');
    };
    const str = (x: Typed, i: number) => {
      if (x.type.k !== 'string' && x.type.k !== 'dyn') throw new CelTypeError(`${fn}() needs a string, got ${typeName(x.type)}`, allExprs[i]!.pos, 'string');
    };
    const dateLike = (x: Typed, i: number) => {
      if (x.type.k !== 'date' && x.type.k !== 'timestamp' && x.type.k !== 'dyn') throw new CelTypeError(`${fn}() needs a date or timestamp, got ${typeName(x.type)}`, allExprs[i]!.pos, 'date or timestamp');
    };
    const strLiteral = (i: number): string => {
      const x = all[i]!;
      if (typeof x.constValue !== 'string') throw new CelTypeError(`${fn}() needs a string literal naming the list`, allExprs[i]!.pos);
      return x.constValue;
    };
    const nowJs = () => { this.ctx.usesNow = true; return 'NOW'; };

    switch (fn) {
      case 'size': {
        need(1); nonNull();
        const x = all[0]!;
        if (x.type.k === 'string') return { js: `rt.strSize(${x.js})`, type: T.int };
        if (x.type.k === 'list') return { js: `${x.js}.length`, type: T.int };
        if (x.type.k === 'map' || x.type.k === 'dyn' || x.type.k === 'object') return { js: `rt.size(${x.js})`, type: T.int };
        throw new CelTypeError(`size() needs a string, list or map, got ${typeName(x.type)}`, e.pos);
      }
      case 'contains': case 'startsWith': case 'endsWith': {
        if (!target) throw new CelTypeError(`${fn}() is a method: write s.${fn}(x)`, e.pos);
        need(2); nonNull(); str(all[0]!, 0); str(all[1]!, 1);
        const m = fn === 'contains' ? 'includes' : fn;
        return { js: `${all[0]!.js}.${m}(${all[1]!.js})`, type: T.bool };
      }
      case 'matches': {
        need(2); nonNull(); str(all[0]!, 0); str(all[1]!, 1);
        const p = all[1]!;
        if (typeof p.constValue === 'string') {
          try { new RegExp(p.constValue, 'u'); } catch { throw new CelTypeError(`invalid regular expression ${JSON.stringify(p.constValue)}`, allExprs[1]!.pos); }
          const re = this.ctx.constant(`new RegExp(${lit(p.constValue)}, "u")`);
          return { js: `${re}.test(${all[0]!.js})`, type: T.bool };
        }
        const cache = this.ctx.constant('new Map()');
        return { js: `rt.regex(${cache}, ${p.js}).test(${all[0]!.js})`, type: T.bool };
      }
      case 'lowerAscii': case 'upperAscii': case 'trim': {
        need(1); nonNull(); str(all[0]!, 0);
        const m = fn === 'lowerAscii' ? 'toLowerCase' : fn === 'upperAscii' ? 'toUpperCase' : 'trim';
        return { js: `${all[0]!.js}.${m}()`, type: T.string };
      }
      case 'int': {
        need(1); nonNull();
        if (all[0]!.type.k === 'int') return all[0]!;
        if (all[0]!.type.k === 'timestamp') return { js: `Math.floor(${all[0]!.js} / 1000)`, type: T.int };
        return { js: `rt.toInt(${all[0]!.js})`, type: T.int };
      }
      case 'double': {
        need(1); nonNull();
        if (all[0]!.type.k === 'int' || all[0]!.type.k === 'double') return { js: all[0]!.js, type: T.double };
        return { js: `rt.toDouble(${all[0]!.js})`, type: T.double };
      }
      case 'string': {
        need(1); nonNull();
        if (all[0]!.type.k === 'string' || all[0]!.type.k === 'date') return { js: all[0]!.js, type: T.string };
        return { js: `rt.toStr(${all[0]!.js}, ${all[0]!.type.k === 'int'})`, type: T.string };
      }
      case 'min': case 'max': {
        if (argc === 0) throw new CelTypeError(`${fn}() needs at least one argument`, e.pos);
        nonNull();
        if (argc === 1 && all[0]!.type.k === 'list') {
          const el = (all[0]!.type as { elem: Type }).elem;
          if (!isNumeric(el) && el.k !== 'dyn') throw new CelTypeError(`${fn}() of a list needs numbers`, e.pos);
          return { js: `rt.${fn}Of(${all[0]!.js})`, type: el.k === 'dyn' ? T.double : el };
        }
        all.forEach(num);
        const type = all.every((x) => x.type.k === 'int') ? T.int : all.every((x) => x.type.k === 'double' || x.intLit) ? T.double : undefined;
        if (!type) throw new CelTypeError(`${fn}() cannot mix int and double arguments; convert with double(...)`, e.pos);
        return { js: `Math.${fn}(${all.map((x) => x.js).join(', ')})`, type };
      }
      case 'abs': {
        need(1); nonNull(); num(all[0]!, 0);
        return { js: `Math.abs(${all[0]!.js})`, type: all[0]!.type };
      }
      case 'floor': case 'ceil': {
        need(1); nonNull(); num(all[0]!, 0);
        return { js: `Math.${fn}(${all[0]!.js})`, type: T.double };
      }
      case 'round': {
        if (argc !== 1 && argc !== 2) throw new CelTypeError('round() takes a number and optional decimals', e.pos);
        nonNull(); num(all[0]!, 0);
        if (argc === 2 && all[1]!.type.k !== 'int') throw new CelTypeError('round() decimals must be an int', allExprs[1]!.pos);
        return { js: `rt.round(${all.map((x) => x.js).join(', ')})`, type: T.double };
      }
      case 'pow': {
        need(2); nonNull(); all.forEach(num);
        return { js: `Math.pow(${all[0]!.js}, ${all[1]!.js})`, type: T.double };
      }
      case 'clamp': {
        need(3); nonNull(); all.forEach(num);
        const type = all.every((x) => x.type.k === 'int') ? T.int : T.double;
        return { js: `Math.min(Math.max(${all[0]!.js}, ${all[1]!.js}), ${all[2]!.js})`, type };
      }
      case 'sum': {
        need(1); nonNull();
        const x = all[0]!;
        if (x.type.k !== 'list' || !(isNumeric(x.type.elem) || x.type.elem.k === 'dyn')) throw new CelTypeError('sum() needs a list of numbers', e.pos);
        return { js: `rt.sum(${x.js})`, type: x.type.elem.k === 'int' ? T.int : T.double };
      }
      case 'orDefault': {
        need(2);
        const [x, d] = all as [Typed, Typed];
        this.requireNonNull(d, allExprs[1]!, 'use as a default');
        const base = nullable(x.type, false);
        const type = unify({ ...x, type: base }, d);
        if (!type) throw new CelTypeError(`orDefault(): default ${typeName(d.type)} does not match ${typeName(base)}`, allExprs[1]!.pos);
        return { js: `(${x.js} ?? ${d.js})`, type };
      }
      case 'inList': {
        need(2);
        const name = strLiteral(0);
        const values = this.ctx.lists[name];
        if (!values) throw new CelTypeError(`unknown list '${name}'`, allExprs[0]!.pos, `one of the flow's lists: ${Object.keys(this.ctx.lists).join(', ') || '(none declared)'}`);
        this.ctx.usedLists.add(name);
        const set = this.ctx.constant(`new Set([${values.map(lit).join(', ')}])`);
        return { js: `${set}.has(${all[1]!.js})`, type: T.bool };
      }
      case 'inWatchlist': {
        need(2);
        const name = strLiteral(0);
        this.ctx.usedWatchlists.add(name);
        return { js: `WL(${lit(name)}, ${all[1]!.js})`, type: T.bool };
      }
      case 'today': need(0); return { js: `rt.epochMsToDate(${nowJs()})`, type: T.date };
      case 'now': need(0); return { js: nowJs(), type: T.timestamp };
      case 'date': {
        need(1); nonNull(); str(all[0]!, 0);
        if (typeof all[0]!.constValue === 'string') {
          const s = all[0]!.constValue;
          if (!/^\d{4}-\d{2}-\d{2}$/.test(s) || Number.isNaN(Date.parse(s))) throw new CelTypeError(`'${s}' is not a date (YYYY-MM-DD)`, allExprs[0]!.pos);
          return { js: lit(s), type: T.date };
        }
        return { js: `rt.parseDate(${all[0]!.js})`, type: T.date };
      }
      case 'timestamp': {
        need(1); nonNull(); str(all[0]!, 0);
        return { js: `rt.parseTimestamp(${all[0]!.js})`, type: T.timestamp };
      }
      case 'ageYears': {
        if (argc !== 1 && argc !== 2) throw new CelTypeError('ageYears(birthDate) or ageYears(birthDate, asOf)', e.pos);
        nonNull(); all.forEach(dateLike);
        return { js: `rt.ageYears(${all[0]!.js}, ${argc === 2 ? all[1]!.js : nowJs()})`, type: T.int };
      }
      case 'daysSince': {
        need(1); nonNull(); dateLike(all[0]!, 0);
        return { js: `rt.daysBetween(${all[0]!.js}, ${nowJs()})`, type: T.int };
      }
      case 'daysBetween': case 'monthsBetween': {
        need(2); nonNull(); all.forEach(dateLike);
        return { js: `rt.${fn}(${all[0]!.js}, ${all[1]!.js})`, type: T.int };
      }
      case 'addDays': {
        need(2); nonNull(); dateLike(all[0]!, 0);
        if (all[1]!.type.k !== 'int') throw new CelTypeError('addDays() needs an int number of days', allExprs[1]!.pos);
        return { js: `rt.addDays(${all[0]!.js}, ${all[1]!.js})`, type: T.date };
      }
      case 'dayOfWeek': need(1); nonNull(); dateLike(all[0]!, 0); return { js: `rt.dayOfWeek(${all[0]!.js})`, type: T.int };
      case 'hourOf': {
        need(1); nonNull();
        if (all[0]!.type.k !== 'timestamp') throw new CelTypeError('hourOf() needs a timestamp', allExprs[0]!.pos);
        return { js: `rt.hourOf(${all[0]!.js})`, type: T.int };
      }
      default: {
        const known = ['size', 'contains', 'startsWith', 'endsWith', 'matches', 'lowerAscii', 'upperAscii', 'trim', 'int', 'double', 'string', 'min', 'max', 'abs', 'floor', 'ceil', 'round', 'clamp', 'pow', 'sum', 'orDefault', 'has', 'inList', 'inWatchlist', 'today', 'now', 'date', 'timestamp', 'ageYears', 'daysSince', 'daysBetween', 'monthsBetween', 'addDays', 'dayOfWeek', 'hourOf', 'all', 'exists', 'exists_one', 'map', 'filter'];
        const hint = suggest(fn, known);
        throw new CelTypeError(`unknown function '${fn}'${hint ? `; did you mean '${hint}'?` : ''}`, e.pos);
      }
    }
  }

  private comprehension(e: Extract<Expr, { kind: 'call' }>, nn: Narrowed): Typed {
    const { fn, args } = e;
    const range = this.compile(e.target!, nn);
    this.requireNonNull(range, e.target!, `use .${fn}() on`);
    const arity = fn === 'map' ? [2, 3] : [2];
    if (!arity.includes(args.length)) throw new CelTypeError(`.${fn}() takes ${arity.join(' or ')} arguments`, e.pos);
    const v = args[0]!;
    if (v.kind !== 'ident') throw new CelTypeError(`the first argument of .${fn}() must be a variable name`, v.pos);
    let elem: Type;
    if (range.type.k === 'list') elem = range.type.elem;
    else if (range.type.k === 'map') elem = range.type.key;
    else if (range.type.k === 'dyn') elem = T.dyn;
    else throw new CelTypeError(`.${fn}() needs a list or map, got ${typeName(range.type)}`, e.pos);
    const js = this.ctx.nextLocal();
    const prev = this.locals.get(v.name);
    this.locals.set(v.name, { type: elem, js, kind: 'local' });
    try {
      const items = range.type.k === 'list' ? range.js : `[...${range.js}.keys()]`;
      if (fn === 'map') {
        if (args.length === 3) {
          const p = this.compile(args[1]!, nn);
          this.expectType(p, T.bool, args[1]!, 'filter of .map()');
          const m = this.compile(args[2]!, nn);
          return { js: `${items}.filter((${js}) => ${p.js}).map((${js}) => ${m.js})`, type: T.list(m.type) };
        }
        const m = this.compile(args[1]!, nn);
        return { js: `${items}.map((${js}) => ${m.js})`, type: T.list(m.type) };
      }
      const p = this.compile(args[1]!, nn);
      this.requireNonNull(p, args[1]!, `use in .${fn}()`);
      this.expectType(p, T.bool, args[1]!, `predicate of .${fn}()`);
      const f = `(${js}) => ${p.js}`;
      switch (fn) {
        case 'all': return { js: `${items}.every(${f})`, type: T.bool };
        case 'exists': return { js: `${items}.some(${f})`, type: T.bool };
        case 'exists_one': return { js: `(${items}.filter(${f}).length === 1)`, type: T.bool };
        default: return { js: `${items}.filter(${f})`, type: range.type.k === 'list' ? range.type : T.list(elem) };
      }
    } finally {
      if (prev) this.locals.set(v.name, prev);
      else this.locals.delete(v.name);
    }
  }

  // ------------------------------------------------------------- checks

  private requireNonNull(x: Typed, e: Expr, what: string): void {
    if (x.type.k === 'null') throw new CelTypeError(`cannot ${what} null`, e.pos);
    if (x.type.nullable) {
      const p = pathOf(e);
      throw new CelTypeError(
        `cannot ${what} '${p ?? 'this value'}': it may be null (optional without a default); use orDefault(${p ?? 'x'}, ...) or check has(${p ?? 'x'}) first`,
        e.pos,
      );
    }
  }

  private expectType(x: Typed, t: Type, e: Expr, what: string): void {
    if (x.type.k === 'dyn') return;
    if (!assignable(x.type, t)) throw new CelTypeError(`${what} must be ${typeName(t)}, got ${typeName(x.type)}`, e.pos, typeName(t));
  }
}

function unify(a: Typed, b: Typed): Type | undefined {
  const ta = a.type, tb = b.type;
  if (ta.k === 'null') return tb.k === 'null' ? T.null : nullable(tb);
  if (tb.k === 'null') return nullable(ta);
  const n = (ta.nullable || tb.nullable) ?? false;
  if (ta.k === 'dyn' || tb.k === 'dyn') return T.dyn;
  if (sameType(ta, tb)) return nullable(ta, n);
  if (ta.k === 'int' && tb.k === 'double' && a.intLit) return nullable(T.double, n);
  if (tb.k === 'int' && ta.k === 'double' && b.intLit) return nullable(T.double, n);
  if (ta.k === 'list' && tb.k === 'list') return nullable(T.list(T.dyn), n);
  return undefined;
}

function pathOf(e: Expr): string | undefined {
  if (e.kind === 'ident') return e.name;
  if (e.kind === 'member') {
    const p = pathOf(e.object);
    return p ? `${p}.${e.field}` : undefined;
  }
  return undefined;
}

function nullCheckedPath(e: Extract<Expr, { kind: 'binary' }>): string | undefined {
  if (e.right.kind === 'lit' && e.right.value === null) return pathOf(e.left);
  if (e.left.kind === 'lit' && e.left.value === null) return pathOf(e.right);
  return undefined;
}

/** Paths known non-null when `e` evaluated to true. */
function factsWhenTrue(e: Expr): Set<string> {
  const out = new Set<string>();
  if (e.kind === 'call' && e.fn === 'has' && !e.target && e.args.length === 1) {
    const p = pathOf(e.args[0]!);
    if (p) out.add(p);
  } else if (e.kind === 'binary' && e.op === '!=') {
    const p = nullCheckedPath(e);
    if (p) out.add(p);
  } else if (e.kind === 'binary' && e.op === '&&') {
    for (const p of factsWhenTrue(e.left)) out.add(p);
    for (const p of factsWhenTrue(e.right)) out.add(p);
  } else if (e.kind === 'unary' && e.op === '!') {
    return factsWhenFalse(e.arg);
  }
  return out;
}

/** Paths known non-null when `e` evaluated to false. */
function factsWhenFalse(e: Expr): Set<string> {
  const out = new Set<string>();
  if (e.kind === 'binary' && e.op === '==') {
    const p = nullCheckedPath(e);
    if (p) out.add(p);
  } else if (e.kind === 'binary' && e.op === '||') {
    for (const p of factsWhenFalse(e.left)) out.add(p);
    for (const p of factsWhenFalse(e.right)) out.add(p);
  } else if (e.kind === 'unary' && e.op === '!') {
    return factsWhenTrue(e.arg);
  }
  return out;
}

function union(a: Set<string>, b: Set<string>): Set<string> {
  if (b.size === 0) return a;
  const s = new Set(a);
  for (const x of b) s.add(x);
  return s;
}

/** The closest name by edit distance, when close enough to be a likely typo. */
export function suggest(name: string, names: string[]): string | undefined {
  let best: string | undefined;
  let bestD = Infinity;
  for (const n of names) {
    const d = editDistance(name.toLowerCase(), n.toLowerCase());
    if (d < bestD) { bestD = d; best = n; }
  }
  return best !== undefined && bestD <= Math.max(2, Math.floor(name.length / 3)) ? best : undefined;
}

function editDistance(a: string, b: string): number {
  const dp = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = dp[0]!;
    dp[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = dp[j]!;
      dp[j] = Math.min(dp[j]! + 1, dp[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return dp[b.length]!;
}

/**
 * Compiles one CEL expression. `expected`, when given, is the type the context needs (e.g. bool for a condition).
 * Throws CelSyntaxError or CelTypeError with the offset of the problem.
 */
export function compileExpr(src: string, scope: ExprScope, ctx: CodegenContext, expected?: Type): CompiledExpr {
  const ast = parseCel(src);
  const c = new ExprCompiler(scope, ctx);
  const r = c.compile(ast, new Set());
  if (expected) {
    const exp = expected;
    const ok = r.type.k === 'dyn' || assignable(r.type, exp) || (exp.k === 'double' && (r.type.k === 'int') && !r.type.nullable) ||
      (exp.k === 'double' && r.type.k === 'int' && exp.nullable);
    if (!ok) {
      if (r.type.nullable && !exp.nullable) {
        throw new CelTypeError(`the expression may be null (it reads an optional value); wrap it in orDefault(..., value)`, ast.pos, typeName(exp));
      }
      throw new CelTypeError(`expected ${typeName(exp)}, got ${typeName(r.type)}`, ast.pos, typeName(exp));
    }
  }
  return { js: r.js, type: r.type, reads: c.reads };
}

export { CelSyntaxError };
