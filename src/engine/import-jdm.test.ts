import { readFileSync } from 'node:fs';
import { evaluateExpressionSync, evaluateUnaryExpressionSync, ZenEngine } from '@gorules/zen-engine';
import { evaluate as celEvaluate } from '@marcbachmann/cel-js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MingjianError } from '../kernel/errors.ts';
import { importJdm, zenToCel, type JdmDocument, type JdmNode } from './import-jdm.ts';
import { compileFlow } from './compile.ts';
import type { DecisionTableNode, OutcomeNode, RuleSetNode, ScorecardNode, SwitchNode } from './types.ts';

const REFERENCE = '/work/shared/bench/reference-policy';
const referenceJdm = (): JdmDocument => JSON.parse(readFileSync(`${REFERENCE}/artifacts/credit-policy.jdm.json`, 'utf8'));

/** input -> nodes (in order) -> output, as the JDM editor saves a straight graph. */
function chain(...nodes: JdmNode[]): JdmDocument {
  const all: JdmNode[] = [{ id: 'in', name: 'request', type: 'inputNode' }, ...nodes, { id: 'out', name: 'response', type: 'outputNode' }];
  return { nodes: all, edges: all.slice(1).map((n, i) => ({ id: `e${i}`, sourceId: all[i]!.id, targetId: n.id })) };
}

function expressionNode(id: string, expressions: Record<string, string>, passThrough = true): JdmNode {
  return { id, name: id, type: 'expressionNode', content: { expressions: Object.entries(expressions).map(([key, value], i) => ({ id: `${id}-${i}`, key, value })), passThrough } };
}

function table(id: string, hitPolicy: 'first' | 'collect', inputs: { field?: string }[], outputs: string[], rows: { when: string[]; then: string[]; id?: string }[], outputPath?: string): JdmNode {
  return {
    id, name: id, type: 'decisionTableNode',
    content: {
      hitPolicy,
      inputs: inputs.map((inp, i) => ({ id: `${id}-i${i}`, name: `in${i}`, ...(inp.field ? { field: inp.field } : {}) })),
      outputs: outputs.map((field, i) => ({ id: `${id}-o${i}`, name: field, field })),
      rules: rows.map((r, ri) => ({
        _id: r.id ?? `${id}-r${ri + 1}`,
        ...Object.fromEntries(r.when.map((c, i) => [`${id}-i${i}`, c])),
        ...Object.fromEntries(r.then.map((c, i) => [`${id}-o${i}`, c])),
      })),
      passThrough: true,
      outputPath: outputPath ?? null,
      inputField: null,
      executionMode: 'single',
    },
  };
}

function importError(doc: JdmDocument, options = {}): MingjianError {
  try {
    importJdm(doc, options);
  } catch (err) {
    expect(err).toBeInstanceOf(MingjianError);
    return err as MingjianError;
  }
  throw new Error('expected the import to fail');
}

describe('importJdm on the reference credit policy', () => {
  const { flow, warnings } = importJdm(referenceJdm(), { id: 'credit-policy' });
  const node = <T>(id: string): T => flow.nodes.find((n) => n.id === id) as T;

  it('types every input from how the graph uses it', () => {
    expect(Object.keys(flow.inputs)).toHaveLength(29);
    expect(flow.inputs.bureauScore).toEqual({ type: 'number' });
    expect(flow.inputs.idDocVerified).toEqual({ type: 'boolean' });
    expect(flow.inputs.country).toEqual({ type: 'string' });
    // only ever compared with another field, typed through it
    expect(flow.inputs.ipCountry).toEqual({ type: 'string' });
    expect(flow.variables).toEqual({ dti: 'monthlyDebtPayments / monthlyIncome' });
  });

  it('turns the collect table of code/action rows into a rule set in policy order', () => {
    const ko = node<RuleSetNode>('knockouts');
    expect(ko.type).toBe('ruleset');
    expect(ko.hitPolicy).toBe('all');
    expect(ko.rules.map((r) => r.reason)).toEqual([
      'A01', 'A02', 'A03', 'A04', 'A05', 'A06', 'F01', 'F02', 'F03', 'F04', 'F05', 'F06', 'F07', 'F08',
      'P01', 'P02', 'P03', 'P04', 'P05', 'P06', 'P07', 'P08', 'P09', 'P10', 'P11', 'P12', 'P13', 'P14', 'P15', 'P16',
    ]);
    expect(ko.rules[2]).toMatchObject({ when: 'selfieMatchScore >= 0.6 && selfieMatchScore < 0.8', action: 'review', message: 'Biometric match low confidence' });
    expect(ko.rules[16]!.when).toBe('!(country in ["US", "CA", "GB"])');
    expect(ko.rules[27]!.when).toBe('requestedTermMonths < 6.0 || requestedTermMonths > 60.0');
    expect(node<RuleSetNode>('postScore').rules).toEqual([{ id: 'S01', when: 'scoreBand == "E"', action: 'decline', reason: 'S01' }]);
  });

  it('turns the summed points table into a scorecard with [min, max) bins', () => {
    const card = node<ScorecardNode>('scorecard');
    expect(card).toMatchObject({ type: 'scorecard', output: 'score', next: 'band' });
    expect(card.attributes!.map((a) => a.name)).toEqual(['bureau', 'dti', 'tenure', 'utilization', 'history', 'relationship']);
    expect(card.attributes![0]!.bins).toEqual([
      { max: 580, points: 0 }, { min: 580, max: 650, points: 20 }, { min: 650, max: 700, points: 40 }, { min: 700, max: 750, points: 60 }, { min: 750, points: 80 },
    ]);
    expect(card.attributes![5]).toEqual({ name: 'relationship', value: 'existingCustomer', bins: [{ values: [true], points: 15 }, { values: [false], points: 0 }] });
    // the expression node that only summed the points adds no node of its own
    expect(flow.nodes.map((n) => n.id)).toEqual(['knockouts', 'scorecard', 'band', 'creditLine', 'postScore', 'final']);
  });

  it('turns first-hit tables into decision tables with DMN cells', () => {
    const band = node<DecisionTableNode>('band');
    expect(band.hitPolicy).toBe('first');
    expect(band.inputs).toEqual([{ name: 'Score', expr: 'score' }]);
    expect(band.rules.map((r) => [r.when, r.then])).toEqual([[['>= 150'], ['A']], [['>= 120'], ['B']], [['>= 90'], ['C']], [['>= 60'], ['D']], [['-'], ['E']]]);
    const line = node<DecisionTableNode>('creditLine');
    expect(line.outputs).toEqual([{ name: 'baseLine', type: 'number', default: null }]);
    expect(line.rules[1]).toMatchObject({ when: ['"A"', '[3000..6000)'], then: [10000] });
  });

  it('turns the final expression node into the outcome', () => {
    const out = node<OutcomeNode>('final');
    expect(out).toEqual({
      id: 'final', type: 'outcome', decision: 'auto',
      creditLine: 'decision == "DECLINE" ? 0.0 : requestedAmount <= baseLine ? requestedAmount : baseLine',
      outputs: { score: 'score', scoreBand: 'scoreBand' },
    });
    expect(warnings.map((w) => w.message).join('\n')).toMatch(/output 'all'/);
  });
});

describe('ZEN to CEL translation agrees with zen-engine (evaluated by cel-js)', () => {
  const types = { a: 'number', b: 'number', s: 'string', t: 'string', f: 'boolean', g: 'boolean', xs: 'list' } as const;
  const context = fc.record({
    a: fc.integer({ min: -50, max: 50 }).map((x) => x / 4),
    b: fc.integer({ min: 1, max: 40 }),
    s: fc.constantFrom('US', 'CA', 'GB', 'MX', 'usd'),
    t: fc.constantFrom('US', 'CA', 'xx'),
    f: fc.boolean(),
    g: fc.boolean(),
    xs: fc.array(fc.integer({ min: 0, max: 9 }), { maxLength: 5 }),
  });
  const expressions = [
    'a < 3 and b >= 10', 'a > 1 or not f', 'not (s in ["US", "CA"])', 's not in ["GB"]', 'a in [1..5)', 'a in (-2..2]',
    'f == true and g == false', 's != t', 'f ? a : b', 'a > 0 ? "pos" : a < 0 ? "neg" : "zero"', 'a * 2 + b / 4 - 1',
    '-a + 3', 'min([a, b, 3])', 'max([a, b])', 'abs(a)', 'len(s) > 2', 'contains(s, "S")', 'startsWith(s, "U")',
    'endsWith(s, "A")', 's + "-" + t', 'some(xs, # > 5)', 'all(xs, # < 8)', 'none(xs, # == 3)', 'count(xs, # > 2)',
    'filter(xs, # > 4)', 'map(xs, # * 2)', 'contains(xs, 3)', 'a == 2.5', '(a + b) * 2 >= 10 and (s == "US" or f)',
  ];
  for (const zen of expressions) {
    it(zen, () => {
      const cel = zenToCel(zen, types);
      fc.assert(fc.property(context, (ctx) => {
        const expected = evaluateExpressionSync(zen, ctx);
        const actual = celEvaluate(cel, ctx);
        expect(normalise(actual)).toEqual(normalise(expected));
      }), { numRuns: 60 });
    });
  }

  const cells: [string, string][] = [
    ['< 3', 'a'], ['>= 1 and < 5', 'a'], ['[1..5]', 'a'], ['(1..5)', 'a'], ['> 2, < -2', 'a'], ['2.5', 'a'], ['1, 2, 3', 'b'],
    ['"US"', 's'], ['"US", "CA"', 's'], ["'GB'", 's'], ['!= "US"', 's'], ['true', 'f'], ['false', 'f'], ['', 'a'], ['> b', 'a'],
    ['$ > 1 and $ < b', 'a'], ['startsWith($, "U")', 's'], ['t', 's'], ['[1, 2]', 'b'],
  ];
  for (const [cell, field] of cells) {
    it(`cell ${JSON.stringify(cell)} on ${field}`, () => {
      const cel = zenToCel(cell, types, field);
      fc.assert(fc.property(context, (ctx) => {
        // An empty cell means "any" in a decision table; zen-engine's standalone unary evaluator rejects it.
        const expected = cell === '' ? true : evaluateUnaryExpressionSync(cell, { ...ctx, $: ctx[field as keyof typeof ctx] });
        expect(celEvaluate(cel, ctx)).toBe(expected);
      }), { numRuns: 40 });
    });
  }
});

function normalise(v: unknown): unknown {
  if (typeof v === 'bigint') return Number(v);
  if (Array.isArray(v)) return v.map(normalise);
  return v;
}

describe('importJdm idioms and fallbacks', () => {
  it('keeps a first-hit table whose cells compare with other fields as a first-hit rule set of set actions', () => {
    const { flow } = importJdm(chain(
      table('limit', 'first', [{ field: 'income' }, { field: 'segment' }], ['limit'], [
        { when: ['> threshold', '"A"'], then: ['income * 3'] },
        { when: ['', ''], then: ['0'] },
      ]),
    ), { sample: { income: 1, threshold: 2, segment: 'A' } });
    const rs = flow.nodes[0] as RuleSetNode;
    expect(rs).toMatchObject({ type: 'ruleset', hitPolicy: 'first' });
    expect(rs.rules.map((r) => [r.when, r.action, r.set])).toEqual([
      ['income > threshold && segment == "A"', 'set', { limit: 'income * 3.0' }],
      ['true', 'set', { limit: '0.0' }],
    ]);
    expect(rs.outputs).toEqual([{ name: 'limit', type: 'number', default: null }]);
    expect((flow.nodes[1] as OutcomeNode).outputs).toEqual({ limit: 'limit' });
  });

  it('turns points rows that test several columns into yes/no scorecard attributes', () => {
    const { flow, warnings } = importJdm(chain(
      table('points', 'collect', [{ field: 'age' }, { field: 'income' }], ['points'], [
        { when: ['< 30', '> 1000'], then: ['10'] },
        { when: ['>= 30', ''], then: ['20'] },
      ], 'items'),
      expressionNode('total', { score: 'sum(map(items, #.points))' }, false),
    ));
    const card = flow.nodes[0] as ScorecardNode;
    expect(card.output).toBe('score');
    expect(card.attributes!).toEqual([
      { name: 'points-r1', value: 'age < 30.0 && income > 1000.0', bins: [{ values: [true], points: 10 }, { values: [false], points: 0 }] },
      { name: 'points-r2', value: 'age >= 30.0', bins: [{ values: [true], points: 20 }, { values: [false], points: 0 }] },
    ]);
    expect(warnings.some((w) => /yes\/no/.test(w.message))).toBe(true);
    expect((flow.nodes[1] as OutcomeNode).outputs).toEqual({ score: 'score' });
  });

  it('gives scorecard attributes with uncovered values zero points through `other`', () => {
    const { flow } = importJdm(chain(
      table('points', 'collect', [{ field: 'segment' }], ['points'], [{ when: ['"A", "B"'], then: ['10'] }, { when: ['"C"'], then: ['5'] }], 'items'),
      expressionNode('total', { score: 'sum(map(items, #.points)) + 1' }, false),
    ));
    const card = flow.nodes[0] as ScorecardNode;
    expect(card.attributes!).toEqual([{ name: 'in0', value: 'segment', bins: [{ values: ['A', 'B'], points: 10 }, { values: ['C'], points: 5 }], other: { points: 0 } }]);
    expect(card.output).toBe('itemsTotal');
    expect((flow.nodes[1] as OutcomeNode).outputs).toEqual({ score: 'itemsTotal + 1.0' });
  });

  it('turns a first-hit switch into a switch, repeating the nodes after it on each branch', () => {
    const doc: JdmDocument = {
      nodes: [
        { id: 'in', type: 'inputNode', name: 'request' },
        { id: 'sw', type: 'switchNode', name: 'route', content: { hitPolicy: 'first', statements: [{ id: 's1', condition: 'amount > 5000' }, { id: 's2', condition: '' }] } },
        expressionNode('big', { line: 'amount / 2' }),
        expressionNode('small', { line: 'amount' }),
        expressionNode('final', { decision: 'line > 4000 ? "REVIEW" : "APPROVE"', line: 'line' }, false),
        { id: 'out', type: 'outputNode', name: 'response' },
      ],
      edges: [
        { sourceId: 'in', targetId: 'sw' },
        { sourceId: 'sw', targetId: 'big', sourceHandle: 's1' },
        { sourceId: 'sw', targetId: 'small', sourceHandle: 's2' },
        { sourceId: 'big', targetId: 'final' },
        { sourceId: 'small', targetId: 'final' },
        { sourceId: 'final', targetId: 'out' },
      ],
    };
    const { flow } = importJdm(doc);
    const sw = flow.nodes.find((n) => n.type === 'switch') as SwitchNode;
    expect(sw.branches).toEqual([{ when: 'amount > 5000.0', next: 'final.1' }]);
    expect(sw.default).toBe('final.2');
    expect(flow.variables).toEqual({ line: 'amount / 2.0', line_2: 'amount' });
    const outcomes = flow.nodes.filter((n) => n.type === 'outcome') as OutcomeNode[];
    expect(outcomes.map((o) => [o.id, o.decision, o.outputs])).toEqual([
      ['final.1', 'line > 4000.0 ? "REVIEW" : "APPROVE"', { line: 'line' }],
      ['final.2', 'line_2 > 4000.0 ? "REVIEW" : "APPROVE"', { line: 'line_2' }],
    ]);
  });

  it('ends a switch path where no condition holds in an outcome without outputs, as zen-engine returns nothing', () => {
    const doc: JdmDocument = {
      nodes: [
        { id: 'in', type: 'inputNode', name: 'request' },
        { id: 'sw', type: 'switchNode', name: 'route', content: { hitPolicy: 'first', statements: [{ id: 's1', condition: 'amount > 5000' }, { id: 's2', condition: 'amount > 100', isDefault: true }] } },
        expressionNode('big', { size: '"big"' }, false),
        expressionNode('mid', { size: '"mid"' }, false),
        { id: 'out', type: 'outputNode', name: 'response' },
      ],
      edges: [
        { sourceId: 'in', targetId: 'sw' },
        { sourceId: 'sw', targetId: 'big', sourceHandle: 's1' },
        { sourceId: 'sw', targetId: 'mid', sourceHandle: 's2' },
        { sourceId: 'big', targetId: 'out' },
        { sourceId: 'mid', targetId: 'out' },
      ],
    };
    const { flow, warnings } = importJdm(doc);
    expect(flow.nodes.map((n) => n.id)).toEqual(['route', 'big.1', 'mid.2', 'no-result.none']);
    expect(flow.nodes[0]).toMatchObject({ branches: [{ when: 'amount > 5000.0', next: 'big.1' }, { when: 'amount > 100.0', next: 'mid.2' }], default: 'no-result.none' });
    expect(flow.nodes[3]).toEqual({ id: 'no-result.none', type: 'outcome', decision: 'auto' });
    expect(warnings.map((w) => w.message).join()).toMatch(/no statement with an empty condition/);
  });

  it('computes values that read earlier results with a rule set of set actions', () => {
    const { flow } = importJdm(chain(
      table('band', 'first', [{ field: 'score' }], ['band'], [{ when: ['>= 600'], then: ['"A"'] }, { when: [''], then: ['"B"'] }]),
      expressionNode('derive', { premium: 'band == "A" ? 0.05 : 0.1', rate: '$.premium + base' }),
      expressionNode('final', { rate: 'rate' }, false),
    ), { sample: { score: 1, base: 0.02 } });
    expect((flow.nodes[2] as OutcomeNode).outputs).toEqual({ rate: 'rate' });
    const rs = flow.nodes[1] as RuleSetNode;
    expect(rs.rules.map((r) => r.set)).toEqual([{ premium: 'band == "A" ? 0.05 : 0.1' }, { rate: 'premium + base' }]);
    expect(rs.outputs).toEqual([{ name: 'premium', type: 'number', default: 0 }, { name: 'rate', type: 'number', default: 0 }]);
  });

  it('declares the sample\'s unread fields as optional inputs and types nested fields', () => {
    const { flow } = importJdm(chain(expressionNode('x', { adult: 'applicant.age >= 18' })), { sample: { applicant: { age: 30, name: 'x' }, channel: 'web' } });
    expect(flow.inputs).toEqual({ applicant: { type: 'object', fields: { age: { type: 'number' } } }, channel: { type: 'string', required: false } });
  });
});

describe('importJdm refuses what it cannot convert exactly', () => {
  it('names function and custom nodes, all at once', () => {
    const doc = chain({ id: 'fn', name: 'score-fn', type: 'functionNode', content: 'export const handler = () => ({})' }, { id: 'c', name: 'lookup', type: 'customNode' });
    const err = importError(doc);
    expect(err.message).toMatch(/'score-fn' \(functionNode\) cannot be converted/);
    expect(err.message).toMatch(/'lookup' \(customNode\) cannot be converted/);
    expect(err.details).toHaveLength(2);
  });

  it('names the node and key of a ZEN function without a CEL counterpart', () => {
    const err = importError(chain(expressionNode('norm', { since: 'dateString(openedAt)' })));
    expect(err.message).toMatch(/JDM node 'norm' \(expressionNode\): expressions\[0\] 'since': the ZEN function dateString\(\)/);
  });

  it('refuses fractional powers, modulo and number-to-string', () => {
    expect(importError(chain(expressionNode('x', { v: 'a ^ 0.5' }))).message).toMatch(/power/);
    expect(importError(chain(expressionNode('x', { v: 'a % 2' }))).message).toMatch(/modulo/);
    expect(importError(chain(expressionNode('x', { v: 'string(a * 2)' }))).message).toMatch(/written decimals/);
  });

  it('refuses a collect table that is neither reason rows nor summed points', () => {
    const err = importError(chain(table('offers', 'collect', [{ field: 'amount' }], ['offer'], [{ when: ['> 1'], then: ['"x"'] }], 'offers')), { sample: { amount: 1 } });
    expect(err.message).toMatch(/JDM node 'offers' \(decisionTableNode\): a collect table converts only as a rule set/);
  });

  it('refuses reason rows with actions other than DECLINE and REVIEW', () => {
    const err = importError(chain(table('ko', 'collect', [{}], ['code', 'action'], [{ when: ['age < 18'], then: ['"P01"', '"FLAG"'] }], 'reasons')));
    expect(err.message).toMatch(/action "FLAG" is not DECLINE or REVIEW/);
  });

  it('refuses reason rows joined out of policy order', () => {
    const doc = chain(
      table('ko1', 'collect', [{}], ['code', 'action'], [{ when: ['age < 18'], then: ['"P01"', '"DECLINE"'] }], 'r1'),
      table('ko2', 'collect', [{}], ['code', 'action'], [{ when: ['age > 75'], then: ['"P02"', '"DECLINE"'] }], 'r2'),
      expressionNode('final', { all: 'flatten([r2, r1])', reasons: 'map($.all, #.code)' }, false),
    );
    expect(importError(doc).message).toMatch(/different from the order of their tables/);
  });

  it('refuses a decision that ignores some reason tables', () => {
    const doc = chain(
      table('ko1', 'collect', [{}], ['code', 'action'], [{ when: ['age < 18'], then: ['"P01"', '"DECLINE"'] }], 'r1'),
      table('ko2', 'collect', [{}], ['code', 'action'], [{ when: ['age > 75'], then: ['"P02"', '"REVIEW"'] }], 'r2'),
      expressionNode('final', { decision: 'some(r1, #.action == "DECLINE") ? "DECLINE" : (some(r1, #.action == "REVIEW") ? "REVIEW" : "APPROVE")' }, false),
    );
    expect(importError(doc).message).toMatch(/not of 'ko2'/);
  });

  it('refuses switches that run several branches', () => {
    const doc = chain({ id: 'sw', name: 'fanout', type: 'switchNode', content: { hitPolicy: 'collect', statements: [{ id: 's1', condition: 'a > 1' }] } });
    expect(importError(doc).message).toMatch(/'fanout' \(switchNode\): switch hit policy 'collect'/);
  });

  it('asks for a sample when an input type cannot be inferred', () => {
    const err = importError(chain(expressionNode('x', { same: 'left == right' })));
    expect(err.message).toMatch(/cannot tell the type of input field\(s\) left, right/);
    expect(importJdm(chain(expressionNode('x', { same: 'left == right' })), { sample: { left: 'a', right: 'b' } }).flow.inputs)
      .toEqual({ left: { type: 'string' }, right: { type: 'string' } });
  });

  it('refuses reads of values ZEN does not pass on (passThrough off)', () => {
    const doc = chain(expressionNode('derive', { ratio: 'debt / income' }, false), expressionNode('check', { high: 'ratio > 0.5 and income > 1000' }));
    expect(importError(doc).message).toMatch(/JDM node 'check' \(expressionNode\): expressions\[0\] 'high': reads the application field 'income', which ZEN does not pass on/);
    const ok = importJdm(chain(
      expressionNode('derive', { ratio: 'debt / income' }, false),
      table('band', 'first', [{ field: 'ratio' }], ['band'], [{ when: ['> 0.5'], then: ['"high"'] }, { when: [''], then: ['"low"'] }]),
    ));
    // the output node receives the band and, through the table's pass-through, the ratio
    expect((ok.flow.nodes.at(-1) as OutcomeNode).outputs).toEqual({ ratio: 'ratio', band: 'band' });
  });

  it('takes a leaf expression node as the result of a graph saved without an output node', () => {
    const doc = chain(expressionNode('final', { decision: 'age < 18 ? "DECLINE" : "APPROVE"' }, false));
    doc.nodes.pop();
    doc.edges.pop();
    expect(importJdm(doc).flow.nodes).toEqual([{ id: 'final', type: 'outcome', decision: 'age < 18.0 ? "DECLINE" : "APPROVE"' }]);
  });

  it('reads field types from the input node\'s JSON Schema', () => {
    const doc = chain(expressionNode('x', { same: 'left == right', n: 'applicant.kids' }));
    doc.nodes[0]!.content = { schema: JSON.stringify({ type: 'object', properties: { left: { type: 'string' }, right: { type: ['string', 'null'] }, applicant: { type: 'object', properties: { kids: { type: 'integer' } } } } }) };
    expect(importJdm(doc).flow.inputs).toEqual({ left: { type: 'string' }, right: { type: 'string' }, applicant: { type: 'object', fields: { kids: { type: 'number' } } } });
  });

  it('reports ZEN syntax errors with the node, the key and the column', () => {
    expect(importError(chain(expressionNode('x', { v: 'a > > 1' }))).message).toMatch(/JDM node 'x' \(expressionNode\): expressions\[0\] 'v': unexpected '>' at column 5/);
  });

  it('rejects documents that are not decision graphs', () => {
    expect(importError({ foo: 1 } as unknown as JdmDocument).message).toMatch(/expected a JDM decision graph/);
  });
});

describe('imported flows decide exactly as the JDM graph', () => {
  it('the reference policy equals baseline.mjs on all 100,000 generated applications', async () => {
    const { generateApplications } = (await import(`${REFERENCE}/data.mjs`)) as { generateApplications(n: number, seed: number): Record<string, unknown>[] };
    const { canonical } = (await import(`${REFERENCE}/policy.mjs`)) as { canonical(o: unknown): string };
    const { decide } = (await import(`${REFERENCE}/baseline.mjs`)) as { decide(a: unknown): unknown };
    const compiled = compileFlow(importJdm(referenceJdm(), { id: 'credit-policy' }).flow);
    const apps = generateApplications(100_000, 42);
    const mismatches: string[] = [];
    for (const app of apps) {
      const r = compiled.evaluate(app);
      const got = r.ok
        ? canonical({ decision: r.decision, creditLine: r.creditLine, score: r.outputs.score, scoreBand: r.outputs.scoreBand, reasons: r.reasons })
        : `error: ${r.error.message}`;
      const expected = canonical(decide(app));
      if (got !== expected && mismatches.length < 5) mismatches.push(`${app.applicationId}: ${got} != ${expected}`);
    }
    expect(mismatches).toEqual([]);
  });

  // Small graphs exercising the fallbacks, decided by zen-engine itself and by the compiled import on random inputs.
  const engine = new ZenEngine();
  const applicant = fc.record({
    amount: fc.integer({ min: 0, max: 20_000 }),
    income: fc.integer({ min: 0, max: 12_000 }).map((x) => x / 2),
    age: fc.integer({ min: 16, max: 80 }),
    segment: fc.constantFrom('A', 'B', 'C', 'D'),
    verified: fc.boolean(),
  });
  const sample = { amount: 1, income: 1, age: 1, segment: 'A', verified: true };

  async function agreeWithZen(doc: JdmDocument, project: (zen: any) => unknown, mine: (d: any) => unknown): Promise<void> {
    const decision = engine.createDecision(doc);
    const compiled = compileFlow(importJdm(doc, { sample }).flow);
    await fc.assert(fc.asyncProperty(applicant, async (app) => {
      const zen = (await decision.evaluate(app)).result;
      const r = compiled.evaluate(app);
      if (!r.ok) throw new Error(r.error.message);
      expect(normalise(mine(r))).toEqual(normalise(project(zen)));
    }), { numRuns: 150 });
  }

  it('string and rounding functions, powers, and `??` over a field that may be absent', async () => {
    const doc = chain(expressionNode('calc', {
      label: 'upper(segment) + "-" + lower(trim("  X "))',
      monthly: 'round(income / 3, 2)',
      low: 'floor(income / 7) + ceil(income / 7)',
      whole: 'round(income / 4)',
      sq: '(age - 10) ^ 2',
      bonus: 'extra ?? 5',
      total: 'sum([age, income, extra ?? 0])',
    }, false));
    const decision = engine.createDecision(doc);
    const { flow } = importJdm(doc, { sample });
    expect(flow.inputs.extra).toEqual({ type: 'number', required: false });
    const compiled = compileFlow(flow);
    await fc.assert(fc.asyncProperty(applicant, fc.option(fc.integer({ min: -100, max: 100 }).map((x) => x / 8)), async (app, extra) => {
      const input: Record<string, unknown> = { ...app, ...(extra === null ? {} : { extra }) };
      const zen = (await decision.evaluate(input)).result;
      const r = compiled.evaluate(input);
      if (!r.ok) throw new Error(r.error.message);
      expect(r.outputs).toEqual(zen);
    }), { numRuns: 150 });
  });

  it('scorecards from points tables whose bins leave gaps', async () => {
    await agreeWithZen(chain(
      table('points', 'collect', [{ field: 'age' }, { field: 'segment' }, { field: 'verified' }], ['characteristic', 'points'], [
        { when: ['< 25', '', ''], then: ['"age"', '5'] },
        { when: ['>= 40 and < 60', '', ''], then: ['"age"', '15'] },
        { when: ['', '"A"', ''], then: ['"segment"', '20'] },
        { when: ['', '"B", "C"', ''], then: ['"segment"', '7'] },
        { when: ['', '', 'true'], then: ['"verified"', '3'] },
        { when: ['', '', ''], then: ['"base"', '100'] },
      ], 'items'),
      expressionNode('final', { score: 'sum(map(items, #.points))' }, false),
    ), (z) => z.score, (d) => d.outputs.score);
  });

  it('switch branches with the nodes after them repeated', async () => {
    await agreeWithZen({
      nodes: [
        { id: 'in', type: 'inputNode', name: 'request' },
        { id: 'sw', type: 'switchNode', name: 'route', content: { hitPolicy: 'first', statements: [{ id: 's1', condition: 'amount > 5000 and verified' }, { id: 's2', condition: 'segment in ["A", "B"]' }, { id: 's3', condition: '' }] } },
        expressionNode('big', { line: 'min([amount, income * 4])' }),
        expressionNode('mid', { line: 'amount / 2' }),
        expressionNode('rest', { line: '0' }),
        expressionNode('final', { decision: 'line > 3000 ? "REVIEW" : (line == 0 ? "DECLINE" : "APPROVE")', line: 'line' }, false),
        { id: 'out', type: 'outputNode', name: 'response' },
      ],
      edges: [
        { id: 'e1', sourceId: 'in', targetId: 'sw' },
        { id: 'e2', sourceId: 'sw', targetId: 'big', sourceHandle: 's1' },
        { id: 'e3', sourceId: 'sw', targetId: 'mid', sourceHandle: 's2' },
        { id: 'e4', sourceId: 'sw', targetId: 'rest', sourceHandle: 's3' },
        { id: 'e5', sourceId: 'big', targetId: 'final' },
        { id: 'e6', sourceId: 'mid', targetId: 'final' },
        { id: 'e7', sourceId: 'rest', targetId: 'final' },
        { id: 'e8', sourceId: 'final', targetId: 'out' },
      ],
    }, (z) => [z.decision, z.line], (d) => [d.decision, d.outputs.line]);
  });

  it('first-hit tables (as decision tables and as rule sets), points rows over several columns, reason rows', async () => {
    await agreeWithZen(chain(
      table('ko', 'collect', [{ field: 'age' }, {}], ['code', 'action'], [
        { when: ['< 18', ''], then: ['"P01"', '"DECLINE"'] },
        { when: ['', 'verified == false and amount > 10000'], then: ['"F01"', '"REVIEW"'] },
        { when: ['> 70', ''], then: ['"P02"', '"REVIEW"'] },
      ], 'reasons'),
      table('points', 'collect', [{ field: 'age' }, { field: 'income' }, { field: 'segment' }], ['points'], [
        { when: ['< 30', '> 3000', ''], then: ['10'] },
        { when: ['[30..50)', '', '"A", "B"'], then: ['25'] },
        { when: ['', '<= 1500', ''], then: ['-5'] },
        { when: ['', '', ''], then: ['40'] },
      ], 'items'),
      expressionNode('sum', { score: 'sum(map(items, #.points))' }),
      table('band', 'first', [{ field: 'score' }, { field: 'segment' }], ['band', 'factor'], [
        { when: ['>= 60', ''], then: ['"X"', '3'] },
        { when: ['>= 40', '"A", "B", "C"'], then: ['"Y"', '2'] },
        { when: ['', ''], then: ['"Z"', '1'] },
      ]),
      table('cap', 'first', [{ field: 'amount' }], ['cap'], [
        { when: ['> income * factor'], then: ['income * factor'] },
        { when: [''], then: ['amount'] },
      ]),
      expressionNode('final', {
        decision: 'some(reasons, #.action == "DECLINE") ? "DECLINE" : (some(reasons, #.action == "REVIEW") ? "REVIEW" : "APPROVE")',
        creditLine: '$.decision == "DECLINE" ? 0 : cap',
        band: 'band',
        score: 'score',
        reasons: 'map(reasons, #.code)',
      }, false),
    ), (z) => [z.decision, z.creditLine, z.band, z.score, z.reasons], (d) => [d.decision, d.creditLine, d.outputs.band, d.outputs.score, d.reasons]);
  });
});
