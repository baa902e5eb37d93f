import { describe, expect, it } from 'vitest';
import { parseZenExpression, parseZenUnaryTest, ZenSyntaxError, type ZenNode } from './zen-expression.ts';

/** Compact rendering of a ZEN tree, fully parenthesised, to check structure and precedence. */
function show(n: ZenNode): string {
  switch (n.kind) {
    case 'number': return String(n.value);
    case 'string': return JSON.stringify(n.value);
    case 'bool': return String(n.value);
    case 'null': return 'null';
    case 'ident': return n.name;
    case 'member': return `${show(n.object)}.${n.property}`;
    case 'index': return `${show(n.object)}[${show(n.index)}]`;
    case 'array': return `[${n.items.map(show).join(', ')}]`;
    case 'interval': return `${n.lowInclusive ? '[' : '('}${show(n.low)}..${show(n.high)}${n.highInclusive ? ']' : ')'}`;
    case 'unary': return `(${n.op} ${show(n.operand)})`;
    case 'binary': return `(${show(n.left)} ${n.op} ${show(n.right)})`;
    case 'conditional': return `(${show(n.test)} ? ${show(n.then)} : ${show(n.otherwise)})`;
    case 'call': return `${n.name}(${n.args.map(show).join(', ')})`;
    case 'unsupported': return `<${n.what}>`;
  }
}

describe('parseZenExpression', () => {
  it.each([
    ['a and b or c', '((a and b) or c)'],
    ['not a and b', '((not a) and b)'],
    ['!a || b && c', '((not a) or (b and c))'],
    ['1 + 2 * 3 == 7', '((1 + (2 * 3)) == 7)'],
    ['2 ^ 3 ^ 2', '(2 ^ (3 ^ 2))'],
    ['-2 ^ 2', '(-2 ^ 2)'],
    ['x not in [1, 2]', '(x not in [1, 2])'],
    ['x in [1..5)', '(x in [1..5))'],
    ['x in (0..1_000]', '(x in (0..1000])'],
    ['a ? b : c ? d : e', '(a ? b : (c ? d : e))'],
    ['a.b["c"].d[0]', 'a.b.c.d[0]'],
    ['$.total + #.points', '($.total + #.points)'],
  ])('%s', (src, tree) => {
    expect(show(parseZenExpression(src))).toBe(tree);
  });

  it('reads numbers with exponents and underscores, strings with escapes and both quotes', () => {
    expect(parseZenExpression('1e6')).toEqual({ kind: 'number', value: 1e6, raw: '1e6' });
    expect(parseZenExpression('1_000.5')).toMatchObject({ kind: 'number', value: 1000.5 });
    expect(parseZenExpression(String.raw`"a\"b\n"`)).toEqual({ kind: 'string', value: 'a"b\n' });
    expect(parseZenExpression("'x'")).toEqual({ kind: 'string', value: 'x' });
    expect(show(parseZenExpression('some(xs, #.action == "DECLINE")'))).toBe('some(xs, (#.action == "DECLINE"))');
  });

  it('marks template strings and object literals as unsupported instead of misreading them', () => {
    expect(parseZenExpression('`a ${b}`')).toEqual({ kind: 'unsupported', what: 'template strings' });
    expect(parseZenExpression('{ a: 1 }')).toEqual({ kind: 'unsupported', what: 'object literals' });
  });

  it('reports syntax errors with the column', () => {
    expect(() => parseZenExpression('a > > 1')).toThrow(ZenSyntaxError);
    expect(() => parseZenExpression('a > > 1')).toThrow(/unexpected '>' at column 5/);
    expect(() => parseZenExpression('"open')).toThrow(/unterminated string at column 1/);
    expect(() => parseZenExpression('(a + 1')).toThrow(/expected '\)'/);
    expect(() => parseZenExpression('a b')).toThrow(/unexpected input at column 3/);
  });
});

describe('parseZenUnaryTest', () => {
  it.each([
    ['', 'true'],
    ['-', 'true'],
    ['< 5', '($ < 5)'],
    ['>= 580 and < 650', '(($ >= 580) and ($ < 650))'],
    ['[1..5]', '($ in [1..5])'],
    ['"A", "B"', '(($ == "A") or ($ == "B"))'],
    ['> 2, < -2', '(($ > 2) or ($ < -2))'],
    ['true', '($ == true)'],
    ['[1, 2]', '($ in [1, 2])'],
    ['other', '($ == other)'],
    ['> limit * 2', '($ > (limit * 2))'],
    ['startsWith($, "U")', 'startsWith($, "U")'],
    ['$ > 1 and $ < 5', '(($ > 1) and ($ < 5))'],
  ])('%s', (src, tree) => {
    expect(show(parseZenUnaryTest(src))).toBe(tree);
  });
});
