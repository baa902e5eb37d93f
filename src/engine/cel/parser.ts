// A CEL (Common Expression Language) parser producing a position-annotated AST.
// Grammar follows the CEL language definition: ternary, ||, &&, relations (incl. `in`), + -, * / %, unary ! -,
// member access, calls, indexing, list/map literals. Positions are offsets into the expression text so errors
// can point at the exact column.

export type Expr =
  | { kind: 'lit'; pos: number; value: string | number | boolean | null; isInt: boolean }
  | { kind: 'ident'; pos: number; name: string }
  | { kind: 'member'; pos: number; object: Expr; field: string }
  | { kind: 'index'; pos: number; object: Expr; index: Expr }
  | { kind: 'call'; pos: number; fn: string; target: Expr | null; args: Expr[] }
  | { kind: 'unary'; pos: number; op: '!' | '-'; arg: Expr }
  | { kind: 'binary'; pos: number; op: BinaryOp; left: Expr; right: Expr }
  | { kind: 'cond'; pos: number; test: Expr; then: Expr; else: Expr }
  | { kind: 'list'; pos: number; items: Expr[] }
  | { kind: 'map'; pos: number; entries: { key: Expr; value: Expr }[] };

export type BinaryOp = '||' | '&&' | '==' | '!=' | '<' | '<=' | '>' | '>=' | 'in' | '+' | '-' | '*' | '/' | '%';

export class CelSyntaxError extends Error {
  constructor(message: string, readonly pos: number) {
    super(message);
  }
}

type TokKind = 'num' | 'str' | 'ident' | 'op' | 'eof';
interface Token {
  kind: TokKind;
  pos: number;
  text: string;
  value?: string | number;
  isInt?: boolean;
}

const RESERVED = new Set([
  'as', 'break', 'const', 'continue', 'else', 'for', 'function', 'if', 'import', 'let', 'loop', 'package',
  'namespace', 'return', 'var', 'void', 'while',
]);

const OPS = ['==', '!=', '<=', '>=', '&&', '||', '<', '>', '+', '-', '*', '/', '%', '!', '?', ':', '.', ',', '(', ')', '[', ']', '{', '}'];

function lex(src: string): Token[] {
  const toks: Token[] = [];
  let i = 0;
  const n = src.length;
  while (i < n) {
    const c = src[i]!;
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r') { i++; continue; }
    if (c === '/' && src[i + 1] === '/') { while (i < n && src[i] !== '\n') i++; continue; }
    const start = i;
    // numbers: decimal int, hex int, double with fraction/exponent; `u` suffix (uint) is rejected with a clear message.
    if ((c >= '0' && c <= '9') || (c === '.' && src[i + 1] !== undefined && src[i + 1]! >= '0' && src[i + 1]! <= '9')) {
      if (c === '0' && (src[i + 1] === 'x' || src[i + 1] === 'X')) {
        i += 2;
        while (i < n && /[0-9a-fA-F]/.test(src[i]!)) i++;
        const text = src.slice(start, i);
        if (src[i] === 'u' || src[i] === 'U') throw new CelSyntaxError('unsigned integers (u suffix) are not supported; use an int', i);
        toks.push({ kind: 'num', pos: start, text, value: parseInt(text, 16), isInt: true });
        continue;
      }
      while (i < n && src[i]! >= '0' && src[i]! <= '9') i++;
      let isInt = true;
      if (src[i] === '.' && src[i + 1] !== undefined && src[i + 1]! >= '0' && src[i + 1]! <= '9') {
        isInt = false;
        i++;
        while (i < n && src[i]! >= '0' && src[i]! <= '9') i++;
      }
      if (src[i] === 'e' || src[i] === 'E') {
        isInt = false;
        i++;
        if (src[i] === '+' || src[i] === '-') i++;
        if (!(src[i]! >= '0' && src[i]! <= '9')) throw new CelSyntaxError('malformed exponent in number', i);
        while (i < n && src[i]! >= '0' && src[i]! <= '9') i++;
      }
      if (src[i] === 'u' || src[i] === 'U') throw new CelSyntaxError('unsigned integers (u suffix) are not supported; use an int', i);
      const text = src.slice(start, i);
      toks.push({ kind: 'num', pos: start, text, value: Number(text), isInt });
      continue;
    }
    // strings: '...', "...", triple-quoted, raw (r"...")
    const isRaw = (c === 'r' || c === 'R') && (src[i + 1] === '"' || src[i + 1] === "'");
    if (c === '"' || c === "'" || isRaw) {
      if (isRaw) i++;
      const q = src[i]!;
      const triple = src.slice(i, i + 3) === q.repeat(3);
      const close = triple ? q.repeat(3) : q;
      i += close.length;
      let out = '';
      for (;;) {
        if (i >= n) throw new CelSyntaxError('unterminated string literal', start);
        if (src.startsWith(close, i)) { i += close.length; break; }
        const ch = src[i]!;
        if (!triple && (ch === '\n' || ch === '\r')) throw new CelSyntaxError('newline in string literal (use a triple-quoted string)', i);
        if (ch === '\\' && !isRaw) {
          const e = src[i + 1];
          i += 2;
          switch (e) {
            case 'n': out += '\n'; break;
            case 't': out += '\t'; break;
            case 'r': out += '\r'; break;
            case 'a': out += '\x07'; break;
            case 'b': out += '\b'; break;
            case 'f': out += '\f'; break;
            case 'v': out += '\v'; break;
            case '\\': out += '\\'; break;
            case '"': out += '"'; break;
            case "'": out += "'"; break;
            case '`': out += '`'; break;
            case '?': out += '?'; break;
            case 'u': case 'U': case 'x': {
              const len = e === 'u' ? 4 : e === 'U' ? 8 : 2;
              const hex = src.slice(i, i + len);
              if (!/^[0-9a-fA-F]+$/.test(hex) || hex.length !== len) throw new CelSyntaxError(`bad \\${e} escape`, i - 2);
              out += String.fromCodePoint(parseInt(hex, 16));
              i += len;
              break;
            }
            default:
              throw new CelSyntaxError(`unknown escape sequence \\${e ?? ''}`, i - 2);
          }
          continue;
        }
        out += ch;
        i++;
      }
      toks.push({ kind: 'str', pos: start, text: src.slice(start, i), value: out });
      continue;
    }
    if (c === 'b' && (src[i + 1] === '"' || src[i + 1] === "'")) throw new CelSyntaxError('bytes literals are not supported', start);
    if (/[A-Za-z_]/.test(c)) {
      while (i < n && /[A-Za-z0-9_]/.test(src[i]!)) i++;
      toks.push({ kind: 'ident', pos: start, text: src.slice(start, i) });
      continue;
    }
    const op = OPS.find((o) => src.startsWith(o, i));
    if (!op) throw new CelSyntaxError(`unexpected character '${c}'`, i);
    i += op.length;
    toks.push({ kind: 'op', pos: start, text: op });
  }
  toks.push({ kind: 'eof', pos: n, text: '' });
  return toks;
}

class Parser {
  private i = 0;
  constructor(private readonly toks: Token[]) {}

  private peek(): Token { return this.toks[this.i]!; }
  private next(): Token { return this.toks[this.i++]!; }
  private isOp(text: string): boolean { const t = this.peek(); return t.kind === 'op' && t.text === text; }
  private expectOp(text: string, what: string): Token {
    const t = this.peek();
    if (t.kind !== 'op' || t.text !== text) throw new CelSyntaxError(`expected '${text}' ${what}, found ${describe(t)}`, t.pos);
    return this.next();
  }

  parse(): Expr {
    const e = this.expr();
    const t = this.peek();
    if (t.kind !== 'eof') throw new CelSyntaxError(`unexpected ${describe(t)} after the end of the expression`, t.pos);
    return e;
  }

  private expr(): Expr {
    const test = this.or();
    if (this.isOp('?')) {
      const q = this.next();
      const then = this.or();
      this.expectOp(':', "in conditional expression 'a ? b : c'");
      const els = this.expr();
      return { kind: 'cond', pos: q.pos, test, then, else: els };
    }
    return test;
  }

  private or(): Expr {
    let left = this.and();
    while (this.isOp('||')) {
      const t = this.next();
      left = { kind: 'binary', pos: t.pos, op: '||', left, right: this.and() };
    }
    return left;
  }

  private and(): Expr {
    let left = this.relation();
    while (this.isOp('&&')) {
      const t = this.next();
      left = { kind: 'binary', pos: t.pos, op: '&&', left, right: this.relation() };
    }
    return left;
  }

  private relation(): Expr {
    let left = this.addition();
    for (;;) {
      const t = this.peek();
      const isRel = (t.kind === 'op' && ['==', '!=', '<', '<=', '>', '>='].includes(t.text)) || (t.kind === 'ident' && t.text === 'in');
      if (!isRel) return left;
      this.next();
      left = { kind: 'binary', pos: t.pos, op: t.text as BinaryOp, left, right: this.addition() };
    }
  }

  private addition(): Expr {
    let left = this.multiplication();
    while (this.isOp('+') || this.isOp('-')) {
      const t = this.next();
      left = { kind: 'binary', pos: t.pos, op: t.text as BinaryOp, left, right: this.multiplication() };
    }
    return left;
  }

  private multiplication(): Expr {
    let left = this.unary();
    while (this.isOp('*') || this.isOp('/') || this.isOp('%')) {
      const t = this.next();
      left = { kind: 'binary', pos: t.pos, op: t.text as BinaryOp, left, right: this.unary() };
    }
    return left;
  }

  private unary(): Expr {
    if (this.isOp('!') || this.isOp('-')) {
      const t = this.next();
      const arg = this.unary();
      // Fold negative numeric literals so `-9` is a literal (matters for int range and special values).
      if (t.text === '-' && arg.kind === 'lit' && typeof arg.value === 'number') return { ...arg, pos: t.pos, value: -arg.value };
      return { kind: 'unary', pos: t.pos, op: t.text as '!' | '-', arg };
    }
    return this.member();
  }

  private member(): Expr {
    let e = this.primary();
    for (;;) {
      if (this.isOp('.')) {
        this.next();
        const id = this.next();
        if (id.kind !== 'ident') throw new CelSyntaxError(`expected a field or method name after '.', found ${describe(id)}`, id.pos);
        if (this.isOp('(')) {
          this.next();
          const args = this.args(')');
          e = { kind: 'call', pos: id.pos, fn: id.text, target: e, args };
        } else {
          e = { kind: 'member', pos: id.pos, object: e, field: id.text };
        }
      } else if (this.isOp('[')) {
        const t = this.next();
        const index = this.expr();
        this.expectOp(']', 'to close the index');
        e = { kind: 'index', pos: t.pos, object: e, index };
      } else {
        return e;
      }
    }
  }

  private args(close: string): Expr[] {
    const args: Expr[] = [];
    if (this.isOp(close)) { this.next(); return args; }
    for (;;) {
      args.push(this.expr());
      if (this.isOp(',')) { this.next(); if (this.isOp(close)) { this.next(); return args; } continue; }
      this.expectOp(close, 'to close the argument list');
      return args;
    }
  }

  private primary(): Expr {
    const t = this.next();
    switch (t.kind) {
      case 'num':
        return { kind: 'lit', pos: t.pos, value: t.value as number, isInt: t.isInt === true };
      case 'str':
        return { kind: 'lit', pos: t.pos, value: t.value as string, isInt: false };
      case 'ident': {
        if (t.text === 'true' || t.text === 'false') return { kind: 'lit', pos: t.pos, value: t.text === 'true', isInt: false };
        if (t.text === 'null') return { kind: 'lit', pos: t.pos, value: null, isInt: false };
        if (t.text === 'in') throw new CelSyntaxError("unexpected 'in'", t.pos);
        if (RESERVED.has(t.text)) throw new CelSyntaxError(`'${t.text}' is a reserved word in CEL`, t.pos);
        if (this.isOp('(')) {
          this.next();
          return { kind: 'call', pos: t.pos, fn: t.text, target: null, args: this.args(')') };
        }
        return { kind: 'ident', pos: t.pos, name: t.text };
      }
      case 'op': {
        if (t.text === '(') {
          const e = this.expr();
          this.expectOp(')', 'to close the parenthesis');
          return e;
        }
        if (t.text === '[') return { kind: 'list', pos: t.pos, items: this.args(']') };
        if (t.text === '{') {
          const entries: { key: Expr; value: Expr }[] = [];
          if (!this.isOp('}')) {
            for (;;) {
              const key = this.expr();
              this.expectOp(':', 'between map key and value');
              entries.push({ key, value: this.expr() });
              if (this.isOp(',')) { this.next(); if (this.isOp('}')) break; continue; }
              break;
            }
          }
          this.expectOp('}', 'to close the map literal');
          return { kind: 'map', pos: t.pos, entries };
        }
        if (t.text === '.') throw new CelSyntaxError('leading-dot names are not supported', t.pos);
        throw new CelSyntaxError(`unexpected ${describe(t)}`, t.pos);
      }
      case 'eof':
        throw new CelSyntaxError('unexpected end of expression', t.pos);
    }
  }
}

function describe(t: Token): string {
  if (t.kind === 'eof') return 'end of expression';
  return `'${t.text}'`;
}

/** Parses a CEL expression; throws CelSyntaxError with the offset of the problem. */
export function parseCel(src: string): Expr {
  return new Parser(lex(src)).parse();
}
