// A parser for GoRules ZEN expressions (standard mode and unary-test mode), used by the JDM importer to
// translate a decision graph into CEL. It builds a small immutable AST; translation lives in import-jdm.ts.
// Precedence follows zen-expression: ternary < ?? < or < and < comparison/in < + - < * / % < ^ < unary < postfix.

export type ZenNode =
  | { kind: 'number'; value: number; raw: string }
  | { kind: 'string'; value: string }
  | { kind: 'bool'; value: boolean }
  | { kind: 'null' }
  | { kind: 'ident'; name: string } // includes `$` (current column / current node) and `#` (closure item)
  | { kind: 'member'; object: ZenNode; property: string }
  | { kind: 'index'; object: ZenNode; index: ZenNode }
  | { kind: 'array'; items: ZenNode[] }
  | { kind: 'interval'; low: ZenNode; high: ZenNode; lowInclusive: boolean; highInclusive: boolean }
  | { kind: 'unary'; op: 'not' | '-'; operand: ZenNode }
  | { kind: 'binary'; op: BinaryOp; left: ZenNode; right: ZenNode }
  | { kind: 'conditional'; test: ZenNode; then: ZenNode; otherwise: ZenNode }
  | { kind: 'call'; name: string; args: ZenNode[] }
  | { kind: 'unsupported'; what: string };

export type BinaryOp = 'or' | 'and' | '==' | '!=' | '<' | '<=' | '>' | '>=' | 'in' | 'not in' | '+' | '-' | '*' | '/' | '%' | '^' | '??';

export class ZenSyntaxError extends Error {
  constructor(message: string, readonly source: string, readonly offset: number) {
    super(`${message} at column ${offset + 1} of ${JSON.stringify(source)}`);
    this.name = 'ZenSyntaxError';
  }
}

type Token =
  | { t: 'num'; v: number; raw: string; at: number }
  | { t: 'str'; v: string; at: number }
  | { t: 'tmpl'; at: number }
  | { t: 'id'; v: string; at: number }
  | { t: 'op'; v: string; at: number }
  | { t: 'end'; at: number };

const KEYWORD_OPS = new Set(['and', 'or', 'not', 'in']);
const PUNCT = ['..', '==', '!=', '<=', '>=', '&&', '||', '??', '<', '>', '+', '-', '*', '/', '%', '^', '!', '?', ':', '(', ')', '[', ']', '{', '}', ',', '.'];

function tokenize(src: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i]!;
    if (/\s/.test(c)) { i++; continue; }
    const at = i;
    if (/[0-9]/.test(c)) {
      let j = i;
      while (j < src.length && /[0-9_]/.test(src[j]!)) j++;
      // `1..5` is an interval: a dot followed by a dot is not a decimal point.
      if (src[j] === '.' && src[j + 1] !== '.' && /[0-9]/.test(src[j + 1] ?? '')) {
        j++;
        while (j < src.length && /[0-9_]/.test(src[j]!)) j++;
      }
      if (/[eE]/.test(src[j] ?? '') && /[-+0-9]/.test(src[j + 1] ?? '')) {
        j++;
        if (/[-+]/.test(src[j]!)) j++;
        while (j < src.length && /[0-9]/.test(src[j]!)) j++;
      }
      const raw = src.slice(i, j).replace(/_/g, '');
      out.push({ t: 'num', v: Number(raw), raw, at });
      i = j;
      continue;
    }
    if (c === '"' || c === "'") {
      let j = i + 1;
      let s = '';
      while (j < src.length && src[j] !== c) {
        if (src[j] === '\\' && j + 1 < src.length) {
          const e = src[j + 1]!;
          s += e === 'n' ? '\n' : e === 't' ? '\t' : e === 'r' ? '\r' : e;
          j += 2;
        } else s += src[j++];
      }
      if (j >= src.length) throw new ZenSyntaxError('unterminated string', src, at);
      out.push({ t: 'str', v: s, at });
      i = j + 1;
      continue;
    }
    if (c === '`') {
      out.push({ t: 'tmpl', at });
      const end = src.indexOf('`', i + 1);
      if (end < 0) throw new ZenSyntaxError('unterminated template string', src, at);
      i = end + 1;
      continue;
    }
    if (/[A-Za-z_$#]/.test(c)) {
      let j = i + 1;
      while (j < src.length && /[A-Za-z0-9_]/.test(src[j]!)) j++;
      out.push({ t: 'id', v: src.slice(i, j), at });
      i = j;
      continue;
    }
    const p = PUNCT.find((op) => src.startsWith(op, i));
    if (!p) throw new ZenSyntaxError(`unexpected character '${c}'`, src, at);
    out.push({ t: 'op', v: p, at });
    i += p.length;
  }
  out.push({ t: 'end', at: src.length });
  return out;
}

const BINARY_PRECEDENCE: Record<string, number> = {
  '??': 1, or: 2, '||': 2, and: 3, '&&': 3,
  '==': 4, '!=': 4, '<': 4, '<=': 4, '>': 4, '>=': 4, in: 4, 'not in': 4,
  '+': 5, '-': 5, '*': 6, '/': 6, '%': 6, '^': 7,
};
const COMPARISON = new Set(['==', '!=', '<', '<=', '>', '>=']);

class Parser {
  private pos = 0;
  private readonly toks: Token[];
  /** In unary-test mode a comparison operator in operand position has `$` as its implicit left side. */
  private readonly unary: boolean;

  constructor(private readonly src: string, unary: boolean) {
    this.toks = tokenize(src);
    this.unary = unary;
  }

  private peek(offset = 0): Token {
    return this.toks[Math.min(this.pos + offset, this.toks.length - 1)]!;
  }
  private isOp(v: string, offset = 0): boolean {
    const t = this.peek(offset);
    return (t.t === 'op' && t.v === v) || (t.t === 'id' && KEYWORD_OPS.has(v) && t.v === v);
  }
  private expect(v: string): void {
    if (!this.isOp(v)) this.fail(`expected '${v}'`);
    this.pos++;
  }
  private fail(msg: string): never {
    throw new ZenSyntaxError(msg, this.src, this.peek().at);
  }

  parseAll(): ZenNode {
    const node = this.parseExpression();
    if (this.peek().t !== 'end') this.fail('unexpected input');
    return node;
  }

  /** Unary test: comma-separated alternatives, each either a condition on `$` or a value `$` must equal. */
  parseUnaryTest(): ZenNode[] {
    const parts: ZenNode[] = [];
    for (;;) {
      parts.push(this.parseExpression());
      if (this.isOp(',')) { this.pos++; continue; }
      break;
    }
    if (this.peek().t !== 'end') this.fail('unexpected input');
    return parts;
  }

  parseExpression(): ZenNode {
    const test = this.parseBinary(1);
    if (this.isOp('?')) {
      this.pos++;
      const then = this.parseExpression();
      this.expect(':');
      const otherwise = this.parseExpression();
      return { kind: 'conditional', test, then, otherwise };
    }
    return test;
  }

  private binaryOpAhead(): string | undefined {
    const t = this.peek();
    if (t.t === 'id' && t.v === 'not' && this.peek(1).t === 'id' && (this.peek(1) as { v: string }).v === 'in') return 'not in';
    if (t.t === 'id' && (t.v === 'and' || t.v === 'or' || t.v === 'in')) return t.v;
    if (t.t === 'op' && BINARY_PRECEDENCE[t.v] !== undefined) return t.v;
    return undefined;
  }

  private parseBinary(minPrec: number): ZenNode {
    let left = this.parseUnaryOp();
    for (;;) {
      const op = this.binaryOpAhead();
      if (!op) break;
      const prec = BINARY_PRECEDENCE[op]!;
      if (prec < minPrec) break;
      this.pos += op === 'not in' ? 2 : 1;
      const right = op === '^' ? this.parseBinary(prec) : this.parseBinary(prec + 1);
      const norm = (op === '&&' ? 'and' : op === '||' ? 'or' : op) as BinaryOp;
      left = { kind: 'binary', op: norm, left, right };
    }
    return left;
  }

  private parseUnaryOp(): ZenNode {
    const t = this.peek();
    if (this.unary && t.t === 'op' && COMPARISON.has(t.v)) {
      this.pos++;
      const right = this.parseBinary(BINARY_PRECEDENCE['+']!);
      return { kind: 'binary', op: t.v as BinaryOp, left: { kind: 'ident', name: '$' }, right };
    }
    if ((t.t === 'id' && t.v === 'not') || (t.t === 'op' && t.v === '!')) {
      this.pos++;
      return { kind: 'unary', op: 'not', operand: this.parseUnaryOp() };
    }
    if (t.t === 'op' && t.v === '-') {
      this.pos++;
      const operand = this.parseUnaryOp();
      if (operand.kind === 'number') return { kind: 'number', value: -operand.value, raw: `-${operand.raw}` };
      return { kind: 'unary', op: '-', operand };
    }
    if (t.t === 'op' && t.v === '+') {
      this.pos++;
      return this.parseUnaryOp();
    }
    return this.parsePostfix(this.parsePrimary());
  }

  private parsePostfix(node: ZenNode): ZenNode {
    for (;;) {
      if (this.isOp('.')) {
        this.pos++;
        const t = this.peek();
        if (t.t !== 'id') this.fail('expected a field name after "."');
        this.pos++;
        node = { kind: 'member', object: node, property: t.v };
      } else if (this.isOp('[')) {
        this.pos++;
        const index = this.parseExpression();
        this.expect(']');
        node = index.kind === 'string' ? { kind: 'member', object: node, property: index.value } : { kind: 'index', object: node, index };
      } else return node;
    }
  }

  private parsePrimary(): ZenNode {
    const t = this.peek();
    switch (t.t) {
      case 'num': this.pos++; return { kind: 'number', value: t.v, raw: t.raw };
      case 'str': this.pos++; return { kind: 'string', value: t.v };
      case 'tmpl': this.pos++; return { kind: 'unsupported', what: 'template strings' };
      case 'end': return this.fail('unexpected end of expression');
      case 'id': {
        this.pos++;
        if (t.v === 'true' || t.v === 'false') return { kind: 'bool', value: t.v === 'true' };
        if (t.v === 'null') return { kind: 'null' };
        if (this.isOp('(')) {
          this.pos++;
          const args: ZenNode[] = [];
          if (!this.isOp(')')) {
            for (;;) {
              args.push(this.parseExpression());
              if (this.isOp(',')) { this.pos++; continue; }
              break;
            }
          }
          this.expect(')');
          return { kind: 'call', name: t.v, args };
        }
        return { kind: 'ident', name: t.v };
      }
      case 'op': {
        if (t.v === '(' || t.v === '[') {
          this.pos++;
          if (t.v === '[' && this.isOp(']')) { this.pos++; return { kind: 'array', items: [] }; }
          const first = this.parseExpression();
          if (this.isOp('..')) {
            this.pos++;
            const high = this.parseExpression();
            const close = this.peek();
            if (close.t !== 'op' || (close.v !== ']' && close.v !== ')')) this.fail("expected ']' or ')' closing the interval");
            this.pos++;
            return { kind: 'interval', low: first, high, lowInclusive: t.v === '[', highInclusive: close.v === ']' };
          }
          if (t.v === '(') {
            this.expect(')');
            return first;
          }
          const items = [first];
          while (this.isOp(',')) {
            this.pos++;
            items.push(this.parseExpression());
          }
          this.expect(']');
          return { kind: 'array', items };
        }
        if (t.v === '{') {
          // Object literals are parsed only far enough to report them as unsupported.
          let depth = 0;
          do {
            const k = this.peek();
            if (k.t === 'end') this.fail('unterminated object literal');
            if (k.t === 'op' && k.v === '{') depth++;
            if (k.t === 'op' && k.v === '}') depth--;
            this.pos++;
          } while (depth > 0);
          return { kind: 'unsupported', what: 'object literals' };
        }
        return this.fail(`unexpected '${t.v}'`);
      }
    }
  }
}

/** Parses a ZEN standard-mode expression (expression nodes, output cells, switch conditions). */
export function parseZenExpression(src: string): ZenNode {
  return new Parser(src, false).parseAll();
}

/**
 * Parses a ZEN unary test (a decision-table input cell with a column field) into one boolean expression over `$`.
 * Empty text means "any" and gives `true`. Comma-separated parts are alternatives; a part that is a plain value
 * means `$ == value` (or `$ in value` for lists and intervals), as zen-engine evaluates them.
 */
export function parseZenUnaryTest(src: string): ZenNode {
  if (src.trim() === '' || src.trim() === '-') return { kind: 'bool', value: true };
  const parts = new Parser(src, true).parseUnaryTest();
  const tests = parts.map((p): ZenNode => {
    if (mentionsDollar(p)) return p;
    if (p.kind === 'interval' || p.kind === 'array') return { kind: 'binary', op: 'in', left: { kind: 'ident', name: '$' }, right: p };
    return { kind: 'binary', op: '==', left: { kind: 'ident', name: '$' }, right: p };
  });
  return tests.reduce((a, b) => ({ kind: 'binary', op: 'or', left: a, right: b }));
}

export function mentionsDollar(n: ZenNode): boolean {
  switch (n.kind) {
    case 'ident': return n.name === '$';
    case 'member': return mentionsDollar(n.object);
    case 'index': return mentionsDollar(n.object) || mentionsDollar(n.index);
    case 'array': return n.items.some(mentionsDollar);
    case 'interval': return mentionsDollar(n.low) || mentionsDollar(n.high);
    case 'unary': return mentionsDollar(n.operand);
    case 'binary': return mentionsDollar(n.left) || mentionsDollar(n.right);
    case 'conditional': return mentionsDollar(n.test) || mentionsDollar(n.then) || mentionsDollar(n.otherwise);
    case 'call': return n.args.some(mentionsDollar);
    default: return false;
  }
}

/** The dotted path of a plain field reference (`a`, `a.b`, `$.x`), or undefined for anything else. */
export function fieldPath(n: ZenNode): string[] | undefined {
  if (n.kind === 'ident') return [n.name];
  if (n.kind === 'member') {
    const base = fieldPath(n.object);
    return base ? [...base, n.property] : undefined;
  }
  return undefined;
}
