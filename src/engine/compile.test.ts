import { describe, expect, it } from 'vitest';
import { MingjianError, type ErrorDetail } from '../kernel/errors.ts';
import { checkFlow, compileFlow, parseFlowSource, type CompiledFlow, type Decision, type DecisionResult } from './index.ts';

function load(yaml: string, resolveFlow?: (id: string) => CompiledFlow | undefined): CompiledFlow {
  const { definition, sourceMap } = parseFlowSource(yaml, 'test.yaml');
  return compileFlow(definition, resolveFlow ? { sourceMap, resolveFlow } : { sourceMap });
}
function problems(yaml: string): ErrorDetail[] {
  const { definition, sourceMap } = parseFlowSource(yaml, 'test.yaml');
  return checkFlow(definition, { sourceMap });
}
function ok(r: DecisionResult): Decision {
  if (!r.ok) throw new Error(JSON.stringify(r.error));
  return r;
}

const head = (inputs: string) => `id: t\nversion: 1\ninputs:\n${inputs}\nnodes:\n`;

describe('rule sets', () => {
  const yaml = (policy: string) => head('  age: { type: integer }\n  income: { type: number }') + `
  - id: rules
    type: ruleset
    hitPolicy: ${policy}
    outputs: [{ name: limit, type: number, default: 1 }]
    rules:
      - { id: young, when: "age < 21", action: review, reason: R1, message: young }
      - { id: poor, when: "income < 1000", action: decline, reason: D1 }
      - { id: half, when: "age < 25", action: set, set: { limit: "0.5" } }
      - { id: watch, when: "age > 60", action: flag, reason: W1 }
    next: done
  - { id: done, type: outcome, outputs: { limit: limit } }
`;
  it('collect-all adds every firing rule in policy order and declines over review', () => {
    const r = ok(load(yaml('all')).evaluate({ age: 20, income: 500 }));
    expect(r.decision).toBe('DECLINE');
    expect(r.reasons).toEqual(['R1', 'D1']);
    expect(r.outputs.limit).toBe(0.5);
  });
  it('first-hit stops at the first rule that fires', () => {
    const r = ok(load(yaml('first')).evaluate({ age: 20, income: 500 }));
    expect(r.decision).toBe('REVIEW');
    expect(r.reasons).toEqual(['R1']);
    expect(r.outputs.limit).toBe(1);
  });
  it('flags are recorded apart from reasons and approve stays approve', () => {
    const r = ok(load(yaml('all')).evaluate({ age: 70, income: 5000 }));
    expect(r.decision).toBe('APPROVE');
    expect(r.flags).toEqual(['W1']);
    expect(r.reasonDetails).toEqual([]);
  });
  it('onDecline jumps to another node', () => {
    const f = load(head('  x: { type: integer }') + `
  - { id: ko, type: ruleset, rules: [{ when: "x > 1", action: decline, reason: K }], next: more, onDecline: stop }
  - { id: more, type: ruleset, rules: [{ when: "true", action: review, reason: M }], next: end }
  - { id: end, type: outcome }
  - { id: stop, type: outcome, decision: DECLINE, outputs: { early: "true" } }
`);
    expect(ok(f.evaluate({ x: 2 }))).toMatchObject({ decision: 'DECLINE', reasons: ['K'], outcomeNode: 'stop' });
    expect(ok(f.evaluate({ x: 0 }))).toMatchObject({ decision: 'REVIEW', reasons: ['M'], outcomeNode: 'end' });
  });
});

describe('decision tables', () => {
  const table = (policy: string, rules: string, extra = '') => head('  band: { type: enum, values: [A, B, C] }\n  income: { type: integer }') + `
  - id: t
    type: decision-table
    hitPolicy: ${policy}
    ${extra}
    inputs: [{ name: band, expr: band }, { name: income, expr: income }]
    outputs: [{ name: line, type: integer, default: -1 }]
    rules:
${rules}
    next: done
  - { id: done, type: outcome, outputs: { line: line } }
`;
  const complete = `      - { when: [A, "< 3000"], then: [10] }
      - { when: [A, ">= 3000"], then: [20] }
      - { when: ["B", "-"], then: [30] }
      - { when: [C, "[0..100]"], then: [40] }
      - { when: [C, "not([0..100])"], then: [50] }`;
  it('unique: a complete, disjoint table compiles and answers', () => {
    const f = load(table('unique', complete));
    expect(ok(f.evaluate({ band: 'A', income: 2999 })).outputs.line).toBe(10);
    expect(ok(f.evaluate({ band: 'A', income: 3000 })).outputs.line).toBe(20);
    expect(ok(f.evaluate({ band: 'C', income: 100 })).outputs.line).toBe(40);
    expect(ok(f.evaluate({ band: 'C', income: 101 })).outputs.line).toBe(50);
  });
  it('unique: overlaps and gaps are compile errors with an example', () => {
    const p = problems(table('unique', `      - { when: [A, "< 3000"], then: [10] }
      - { when: [A, "<= 3000"], then: [20] }
      - { when: [B, "-"], then: [30] }`)).map((d) => d.message);
    expect(p.some((m) => /rules 1 and 2 overlap \(both match band = "A", income/.test(m))).toBe(true);
    expect(p.some((m) => /gap: no rule matches band = "A", income > 3000/.test(m))).toBe(true);
    expect(p.some((m) => /gap: no rule matches band = "C"/.test(m))).toBe(true);
  });
  it('first: rows in order, default when none match', () => {
    const f = load(table('first', `      - { when: [A, "-"], then: [1] }
      - { when: ["-", ">= 5000"], then: [2] }`));
    expect(ok(f.evaluate({ band: 'A', income: 9000 })).outputs.line).toBe(1);
    expect(ok(f.evaluate({ band: 'B', income: 9000 })).outputs.line).toBe(2);
    expect(ok(f.evaluate({ band: 'B', income: 10 })).outputs.line).toBe(-1);
  });
  it('any: overlapping rows must agree', () => {
    expect(problems(table('any', `      - { when: [A, "-"], then: [1] }
      - { when: ["-", ">= 5000"], then: [2] }`, 'allowGaps: true')).some((d) => /overlap .* with different outputs/.test(d.message))).toBe(true);
    const f = load(table('any', `      - { when: [A, "-"], then: [1] }
      - { when: ["A", ">= 5000"], then: [1] }`, 'allowGaps: true'));
    expect(ok(f.evaluate({ band: 'A', income: 9000 })).outputs.line).toBe(1);
  });
  it('priority: the matching row with the highest-priority output wins', () => {
    const f = load(head('  x: { type: integer }') + `
  - id: t
    type: decision-table
    hitPolicy: priority
    inputs: [{ expr: x }]
    outputs: [{ name: action, type: string, default: none, priority: [decline, review, approve] }]
    rules:
      - { when: ["> 0"], then: [approve] }
      - { when: ["> 10"], then: [review] }
      - { when: ["> 100"], then: [decline] }
    next: done
  - { id: done, type: outcome, outputs: { action: action } }
`);
    expect(ok(f.evaluate({ x: 50 })).outputs.action).toBe('review');
    expect(ok(f.evaluate({ x: 500 })).outputs.action).toBe('decline');
    expect(ok(f.evaluate({ x: -1 })).outputs.action).toBe('none');
  });
  it('collect with sum, min, max, count and plain lists', () => {
    const mk = (agg: string) => load(head('  x: { type: integer }') + `
  - id: t
    type: decision-table
    hitPolicy: collect
    ${agg ? `aggregation: ${agg}` : ''}
    inputs: [{ expr: x }]
    outputs: [{ name: pts, type: integer }]
    rules:
      - { when: ["> 0"], then: [5] }
      - { when: ["> 10"], then: [7] }
      - { when: ["> 100"], then: [1] }
    next: done
  - { id: done, type: outcome, outputs: { pts: pts } }
`);
    expect(ok(mk('sum').evaluate({ x: 50 })).outputs.pts).toBe(12);
    expect(ok(mk('count').evaluate({ x: 500 })).outputs.pts).toBe(3);
    expect(ok(mk('min').evaluate({ x: 500 })).outputs.pts).toBe(1);
    expect(ok(mk('max').evaluate({ x: 500 })).outputs.pts).toBe(7);
    expect(ok(mk('max').evaluate({ x: -5 })).outputs.pts).toBe(null);
    expect(ok(mk('').evaluate({ x: 50 })).outputs.pts).toEqual([5, 7]);
  });
  it('rows can add reasons', () => {
    const f = load(head('  x: { type: integer }') + `
  - id: t
    type: decision-table
    hitPolicy: first
    inputs: [{ expr: x }]
    outputs: [{ name: y, type: integer, default: 0 }]
    rules:
      - { when: ["> 10"], then: [1], reason: T1, action: review }
    next: done
  - { id: done, type: outcome }
`);
    expect(ok(f.evaluate({ x: 11 }))).toMatchObject({ decision: 'REVIEW', reasons: ['T1'] });
  });
});

describe('scorecards', () => {
  const f = () => load(head('  bureau: { type: integer, required: false }\n  kind: { type: string }') + `
  - id: sc
    type: scorecard
    output: score
    baseScore: 100
    rating: { output: rating }
    reasons: { output: why, count: 2 }
    attributes:
      - name: bureau
        value: bureau
        reasonCode: RB
        missing: { points: 5 }
        special: [{ values: [-9], points: 1, label: no record }]
        bins: [{ max: 600, points: 10 }, { min: 600, max: 700, points: 30 }, { min: 700, points: 50 }]
      - name: kind
        value: kind
        reasonCode: RK
        bins: [{ values: [a, b], points: 20 }, { values: [c], points: 0 }]
        other: { points: 10 }
    next: done
  - { id: done, type: outcome, outputs: { score: score, rating: rating, why: why } }
`);
  it('adds the points of the matched bins, special values and the missing bin', () => {
    expect(ok(f().evaluate({ bureau: 650, kind: 'a' })).outputs).toMatchObject({ score: 150, why: ['RB'] });
    expect(ok(f().evaluate({ bureau: -9, kind: 'c' })).outputs).toMatchObject({ score: 101, why: ['RB', 'RK'] });
    expect(ok(f().evaluate({ kind: 'zzz' })).outputs).toMatchObject({ score: 115 });
  });
  it('rates 0-100 between the lowest and highest possible totals (100 = lowest risk)', () => {
    expect(ok(f().evaluate({ bureau: 800, kind: 'a' })).outputs.rating).toBe(100);
    expect(ok(f().evaluate({ bureau: -9, kind: 'c' })).outputs.rating).toBe(0);
  });
  it('traces each attribute with its bin and points', () => {
    const r = ok(f().evaluate({ bureau: -9, kind: 'b' }, { trace: true }));
    expect(r.trace!.steps[0]!.attributes).toEqual([
      { name: 'bureau', value: -9, bin: 'no record', points: 1 },
      { name: 'kind', value: 'b', bin: 'a,b', points: 20 },
    ]);
  });
  it('a nullable attribute without a missing bin is a compile error', () => {
    const p = problems(head('  x: { type: integer, required: false }') + `
  - { id: sc, type: scorecard, output: s, attributes: [{ name: x, value: x, bins: [{ points: 1 }] }], next: d }
  - { id: d, type: outcome }
`);
    expect(p.some((d) => /may be null; add missing/.test(d.message))).toBe(true);
  });
});

describe('models', () => {
  it('logistic regression from coefficients', () => {
    const f = load(head('  a: { type: number }\n  b: { type: number }') + `
  - id: m
    type: model
    output: pd
    features: { a: a, b: "b * 2" }
    model: { kind: logistic, intercept: -1, coefficients: { a: 0.5, b: 0.25 } }
    next: d
  - { id: d, type: outcome, outputs: { pd: pd } }
`);
    const pd = ok(f.evaluate({ a: 2, b: 1 })).outputs.pd as number;
    expect(pd).toBeCloseTo(1 / (1 + Math.exp(-(-1 + 0.5 * 2 + 0.25 * 2))), 12);
  });
  const lgb = {
    feature_names: ['x', 'y'], objective: 'binary sigmoid:1',
    tree_info: [
      { tree_structure: { split_feature: 0, threshold: 1.5, decision_type: '<=', default_left: true, missing_type: 'NaN', left_child: { leaf_value: -0.4 }, right_child: { split_feature: 1, threshold: 0, decision_type: '<=', default_left: false, missing_type: 'NaN', left_child: { leaf_value: 0.1 }, right_child: { leaf_value: 0.7 } } } },
      { tree_structure: { split_feature: 1, threshold: 10, decision_type: '<=', default_left: true, missing_type: 'None', left_child: { leaf_value: 0.05 }, right_child: { leaf_value: -0.05 } } },
    ],
  };
  const xgbDump = [
    { nodeid: 0, split: 'x', split_condition: 1.5, yes: 1, no: 2, missing: 1, children: [{ nodeid: 1, leaf: -0.3 }, { nodeid: 2, leaf: 0.6 }] },
  ];
  const model = (m: unknown, extraInputs = '') => load(head(`  x: { type: number, required: false }\n  y: { type: number }${extraInputs}`) + `
  - id: m
    type: model
    output: p
    features: { x: x, y: y }
    model: ${JSON.stringify(m)}
    next: d
  - { id: d, type: outcome, outputs: { p: p } }
`);
  const sig = (z: number) => 1 / (1 + Math.exp(-z));
  it('LightGBM dumps: <= splits, default direction for missing values', () => {
    const f = model({ kind: 'lightgbm', dump: lgb });
    expect(ok(f.evaluate({ x: 1.5, y: 3 })).outputs.p).toBeCloseTo(sig(-0.4 + 0.05), 12);
    expect(ok(f.evaluate({ x: 2, y: 3 })).outputs.p).toBeCloseTo(sig(0.7 + 0.05), 12);
    expect(ok(f.evaluate({ y: 30 })).outputs.p).toBeCloseTo(sig(-0.4 - 0.05), 12);
  });
  it('LightGBM missing_type Zero sends zero (and NaN) the default way; sigmoid:k scales the margin', () => {
    const zero = {
      feature_names: ['x', 'y'], objective: 'binary sigmoid:2',
      tree_info: [{ tree_structure: { split_feature: 1, threshold: -1, decision_type: '<=', default_left: true, missing_type: 'Zero', left_child: { leaf_value: 0.3 }, right_child: { leaf_value: -0.2 } } }],
    };
    const f = model({ kind: 'lightgbm', dump: zero });
    expect(ok(f.evaluate({ y: 0 })).outputs.p).toBeCloseTo(sig(2 * 0.3), 12); // zero is missing: default (left), not 0 > -1
    expect(ok(f.evaluate({ y: -2 })).outputs.p).toBeCloseTo(sig(2 * 0.3), 12);
    expect(ok(f.evaluate({ y: 0.5 })).outputs.p).toBeCloseTo(sig(2 * -0.2), 12);
  });
  it('refuses multi-class XGBoost models rather than summing their classes', () => {
    const saved = { learner: { learner_model_param: { base_score: '0.5' }, objective: { name: 'multi:softprob' }, feature_names: ['x', 'y'], gradient_booster: { model: { trees: [] } } } };
    expect(problems(head('  x: { type: number, required: false }\n  y: { type: number }') + `  - { id: m, type: model, output: p, features: { x: x, y: y }, model: ${JSON.stringify({ kind: 'xgboost', dump: saved })}, next: d }\n  - { id: d, type: outcome }\n`)
      .map((d) => d.message).join('\n')).toMatch(/multi:softprob' is not supported/);
  });
  it('XGBoost get_dump JSON: < splits and base score', () => {
    const f = model({ kind: 'xgboost', dump: xgbDump, baseScore: 0.5 });
    expect(ok(f.evaluate({ x: 1.4, y: 0 })).outputs.p).toBeCloseTo(sig(-0.3), 12);
    expect(ok(f.evaluate({ x: 1.5, y: 0 })).outputs.p).toBeCloseTo(sig(0.6), 12);
    expect(ok(f.evaluate({ y: 0 })).outputs.p).toBeCloseTo(sig(-0.3), 12);
  });
  it('XGBoost save_model JSON', () => {
    const saved = { learner: { learner_model_param: { base_score: '2.5E-1' }, objective: { name: 'binary:logistic' }, feature_names: ['x', 'y'], gradient_booster: { model: { trees: [
      { left_children: [1, -1, -1], right_children: [2, -1, -1], split_indices: [1, 0, 0], split_conditions: [0.5, 0.2, -0.2], default_left: [0, 0, 0] },
    ] } } } };
    const f = model({ kind: 'xgboost', dump: saved });
    expect(ok(f.evaluate({ x: 0, y: 0 })).outputs.p).toBeCloseTo(sig(Math.log(0.25 / 0.75) + 0.2), 12);
    expect(ok(f.evaluate({ x: 0, y: 1 })).outputs.p).toBeCloseTo(sig(Math.log(0.25 / 0.75) - 0.2), 12);
  });
});

describe('switch, split and sub-flows', () => {
  it('switch branches on conditions', () => {
    const f = load(head('  x: { type: integer }') + `
  - { id: s, type: switch, branches: [{ when: "x > 10", next: big }, { when: "x > 0", next: small }], default: none }
  - { id: big, type: outcome, decision: REVIEW }
  - { id: small, type: outcome, decision: APPROVE }
  - { id: none, type: outcome, decision: DECLINE }
`);
    expect(ok(f.evaluate({ x: 11 })).outcomeNode).toBe('big');
    expect(ok(f.evaluate({ x: 1 })).outcomeNode).toBe('small');
    expect(ok(f.evaluate({ x: 0 })).outcomeNode).toBe('none');
  });
  it('split: the same key always lands on the same arm, in proportion to the weights', () => {
    const f = load(head('  id: { type: string }') + `
  - { id: ab, type: split, key: id, arms: [{ name: champion, weight: 80, next: a }, { name: challenger, weight: 20, next: b }] }
  - { id: a, type: outcome }
  - { id: b, type: outcome }
`);
    let challengers = 0;
    for (let i = 0; i < 20000; i++) {
      const r = ok(f.evaluate({ id: `C${i}` }));
      if (r.arms.ab === 'challenger') challengers++;
      if (i < 50) expect(ok(f.evaluate({ id: `C${i}` })).arms.ab).toBe(r.arms.ab);
    }
    expect(challengers / 20000).toBeGreaterThan(0.19);
    expect(challengers / 20000).toBeLessThan(0.21);
  });
  it('sub-flow: inputs mapped, outputs and reasons merged', () => {
    const sub = load(`id: kyc\nversion: 3\ninputs:\n  age: { type: integer }\nnodes:
  - { id: r, type: ruleset, rules: [{ when: "age < 18", action: decline, reason: K1 }], next: o }
  - { id: o, type: outcome, outputs: { adult: "age >= 18" } }
`);
    const f = load(head('  years: { type: integer }') + `
  - { id: pre, type: ruleset, rules: [{ when: "years < 30", action: review, reason: P1 }], next: call }
  - { id: call, type: subflow, flow: kyc, inputs: { age: years }, outputs: { adult: adult }, next: done }
  - { id: done, type: outcome, outputs: { adult: adult } }
`, (id) => (id === 'kyc' ? sub : undefined));
    const r = ok(f.evaluate({ years: 17 }));
    expect(r).toMatchObject({ decision: 'DECLINE', reasons: ['P1', 'K1'], outputs: { adult: false } });
    // A pinned version the resolver does not have is an error, not the version it has.
    const pinned = (v: number) => head('  years: { type: integer }') + `  - { id: call, type: subflow, flow: kyc, version: ${v}, inputs: { age: years }, next: done }\n  - { id: done, type: outcome }\n`;
    expect(() => load(pinned(3), (id) => (id === 'kyc' ? sub : undefined))).not.toThrow();
    expect(problems2(pinned(7), sub)).toEqual([expect.objectContaining({ path: 'nodes[0].version', message: "sub-flow 'kyc' version 7 is not available (found version 3)" })]);
  });
});

function problems2(yaml: string, sub: CompiledFlow): ErrorDetail[] {
  const { definition, sourceMap } = parseFlowSource(yaml, 'main.yaml');
  return checkFlow(definition, { sourceMap, resolveFlow: (id) => (id === 'kyc' ? sub : undefined) }).filter((d) => d.severity !== 'warning');
}

describe('errors', () => {
  it('reports every problem at once with line and column', () => {
    const p = problems(`id: bad
version: 1
inputs:
  age: { type: integer }
variables:
  ratio: "agee / 2"
nodes:
  - { id: a, type: ruleset, rules: [{ when: "age + 'x'", action: decline, reason: A }], next: b }
  - { id: b, type: ruleset, rules: [{ when: "age > 1", action: review, reason: B }], next: a }
  - { id: c, type: outcome }
`);
    const byMsg = (re: RegExp) => p.find((d) => re.test(d.message));
    expect(byMsg(/unknown name 'agee'; did you mean 'age'/)).toMatchObject({ line: 6, path: 'variables.ratio' });
    expect(byMsg(/cycle: a -> b -> a/)).toBeDefined();
  });
  it('type mismatch, unknown target and unreachable node', () => {
    const p = problems(head('  age: { type: integer }') + `
  - { id: a, type: ruleset, rules: [{ when: "age + 1", action: decline, reason: A }], next: b }
  - { id: b, type: outcome }
  - { id: lost, type: outcome }
`);
    expect(p.find((d) => /must be bool, got int|expected bool, got int/.test(d.message))).toMatchObject({ node: 'a', line: 7 });
    expect(p.find((d) => /unreachable/.test(d.message))).toMatchObject({ node: 'lost' });
    const q = problems(head('  age: { type: integer }') + `
  - { id: a, type: ruleset, rules: [{ when: "age > 1", action: decline, reason: A }], next: bb }
  - { id: b, type: outcome }
`);
    expect(q.find((d) => /unknown node 'bb'/.test(d.message))).toMatchObject({ path: 'nodes[0].next' });
    // With a wrong target, a missing next and a cycle in one flow, the unreachable nodes are still reported.
    const r = problems(head('  age: { type: integer }') + `
  - { id: a, type: ruleset, rules: [{ when: "age > 1", action: decline, reason: A }], next: outcom }
  - { id: outcome, type: outcome }
  - { id: c, type: ruleset, rules: [{ when: "age > 2", action: review, reason: C }], next: d }
  - { id: d, type: ruleset, rules: [{ when: "age > 3", action: review, reason: D }], next: c }
  - { id: orphan, type: ruleset, rules: [{ when: "age > 4", action: review, reason: O }] }
`);
    expect(r.find((d) => /unknown node 'outcom'/.test(d.message))?.message).toMatch(/did you mean 'outcome'/);
    expect(r.find((d) => /has no 'next'/.test(d.message))).toMatchObject({ node: 'orphan' });
    expect(r.find((d) => /cycle: c -> d -> c/.test(d.message))).toBeDefined();
    expect(r.filter((d) => /unreachable/.test(d.message)).map((d) => d.node).sort()).toEqual(['c', 'd', 'orphan', 'outcome']);
  });
  it('structural errors name the field', () => {
    const p = problems(head('  age: { type: integr }') + `
  - { id: a, type: outcome, colour: blue }
`);
    expect(p.map((d) => d.path)).toEqual(expect.arrayContaining(['inputs.age.type', 'nodes[0].colour']));
  });
  it('compileFlow throws FLOW_INVALID with the details', () => {
    try {
      load(head('  a: { type: integer }') + '  - { id: x, type: ruleset, rules: [{ when: "b", action: review, reason: R }], next: y }\n  - { id: y, type: outcome }\n');
      throw new Error('compiled');
    } catch (e) {
      expect(e).toBeInstanceOf(MingjianError);
      expect((e as MingjianError).code).toBe('FLOW_INVALID');
      expect((e as MingjianError).details![0]!.message).toMatch(/unknown name 'b'/);
    }
  });
});

describe('bad input', () => {
  const f = () => load(head('  age: { type: integer, min: 18 }\n  email: { type: string, required: false }\n  phone: { type: string, pii: true }\n  kind: { type: enum, values: [a, b] }\n  born: { type: date }\n  tags: { type: list, items: { type: string } }\n  addr: { type: object, fields: { city: { type: string } } }') + '  - { id: o, type: outcome }\n');
  it('names every field that is wrong, never throws, and never echoes personal data', () => {
    const r = f().evaluate({ age: 17.5, phone: 13800000000, kind: 'z', born: '2020-02-30', tags: ['x', 3], addr: {} });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.error.code).toBe('INPUT_INVALID');
    const paths = r.error.details.map((d) => d.path);
    expect(paths).toEqual(['age', 'phone', 'kind', 'born', 'tags[1]', 'addr.city']);
    expect(JSON.stringify(r.error)).not.toContain('13800000000');
  });
  it('a non-object application is an input error', () => {
    expect(f().evaluate('nope')).toMatchObject({ ok: false, error: { code: 'INPUT_INVALID' } });
    expect(f().evaluate(null)).toMatchObject({ ok: false });
  });
  it('run-time failures are EVAL_ERROR naming the node', () => {
    const g = load(head('  a: { type: integer }\n  b: { type: integer }') + '  - { id: r, type: ruleset, rules: [{ when: "a / b > 1", action: review, reason: R }], next: o }\n  - { id: o, type: outcome }\n');
    expect(g.evaluate({ a: 1, b: 0 })).toMatchObject({ ok: false, error: { code: 'EVAL_ERROR', message: "node 'r': division by zero" } });
  });
  it('a failure computing a variable, or a bad clock, is an EVAL_ERROR naming it, never an exception', () => {
    const yaml = 'id: t\nversion: 1\ninputs:\n  a: { type: integer }\n  b: { type: integer }\nvariables:\n  ok: a + 1\n  q: a / b\nnodes:\n  - { id: r, type: ruleset, rules: [{ when: "q > 1 && ok > 0", action: review, reason: R }], next: o }\n  - { id: o, type: outcome }\n';
    const g = load(yaml);
    for (const trace of [false, true]) {
      expect(g.evaluate({ a: 1, b: 0 }, { trace })).toMatchObject({ ok: false, error: { code: 'EVAL_ERROR', message: "variable 'q': division by zero", details: [{ path: 'variables.q' }] } });
      expect(g.evaluate({ a: 4, b: 2 }, { trace })).toMatchObject({ ok: true, decision: 'REVIEW' });
    }
    const aged = load(head('  born: { type: date }') + '  - { id: o, type: outcome, outputs: { age: "ageYears(born)" } }\n');
    expect(() => aged.evaluate({ born: '2000-01-01' }, { now: 'garbage' })).not.toThrow();
    expect(aged.evaluate({ born: '2000-01-01' }, { now: 'garbage' })).toMatchObject({ ok: false, error: { code: 'EVAL_ERROR' } });
  });
});

describe('replay and trace', () => {
  const f = () => load(head('  born: { type: date }\n  x: { type: number }') + `
  - { id: r, type: ruleset, rules: [{ id: old, when: "ageYears(born) > 60 && x > 1.5", action: review, reason: OLD }], next: o }
  - { id: o, type: outcome, outputs: { age: "ageYears(born)" } }
`);
  it('same version, input and time give the same decision, bit for bit', () => {
    const input = { born: '1950-01-01', x: 2.25 };
    const a = f().evaluate(input, { now: '2026-01-01T00:00:00Z', variables: true });
    const b = f().evaluate(structuredClone(input), { now: '2026-01-01T00:00:00Z', variables: true });
    expect(JSON.stringify(a)).toBe(JSON.stringify(b));
  });
  it('the trace lists nodes, firing rules with the values that fired them, and variables', () => {
    const r = ok(f().evaluate({ born: '1950-01-01', x: 2 }, { now: '2026-01-01T00:00:00Z', trace: true }));
    expect(r.trace!.steps.map((s) => s.node)).toEqual(['r', 'o']);
    expect(r.trace!.steps[0]!.rules).toEqual([{ id: 'old', reason: 'OLD', action: 'review', values: { born: '1950-01-01', x: 2 } }]);
    expect(r.trace!.steps[0]!.micros).toBeGreaterThanOrEqual(0);
    const plain = ok(f().evaluate({ born: '1950-01-01', x: 2 }, { now: '2026-01-01T00:00:00Z' }));
    expect(plain.trace).toBeUndefined();
    expect({ ...r, trace: undefined }).toEqual({ ...plain, trace: undefined });
  });
});

describe('map literals', () => {
  it('string-keyed maps come out as JSON objects', () => {
    const f = load(head('  a: { type: integer }') + '  - { id: o, type: outcome, outputs: { m: "{\'x\': a, \'y\': a + 1}", hasX: "\'x\' in {\'x\': 1}" } }\n');
    expect(ok(f.evaluate({ a: 1 })).outputs).toEqual({ m: { x: 1, y: 2 }, hasX: true });
  });
});
