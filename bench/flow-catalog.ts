// Deterministic generator of a large flow estate for the compile benchmark: a shared catalog of derived variables
// (the way a risk team's feature store grows) and many flows, each drawing some of those variables plus rule sets,
// a decision table, a scorecard and an outcome. Same options, same catalog and flows, byte for byte.
import { seededRandom } from '../src/kernel/seeded-random.ts';
import type { FlowDefinition, InputField, NodeDefinition } from '../src/engine/index.ts';

export interface FlowCatalogOptions {
  flows?: number;
  variables?: number;
  seed?: number;
  /** Derived variables each flow draws directly from the catalog (their dependencies come along). */
  minVariablesPerFlow?: number;
  maxVariablesPerFlow?: number;
}

export interface FlowCatalog {
  /** Shared input schema every flow draws from. */
  inputs: Record<string, InputField>;
  /** Variable name -> CEL expression (over inputs and earlier catalog variables). */
  catalog: Record<string, string>;
  flows: FlowDefinition[];
  /** One application that satisfies every input of the schema (for a smoke evaluation of each flow). */
  sampleApplication: Record<string, unknown>;
}


const NUMBER_INPUTS = 80;
const BOOLEAN_INPUTS = 20;
const STRING_INPUTS = 20;
const STRING_VALUES = ['A', 'B', 'C', 'D', 'E'];

/** A number with at most two decimals, printed as a CEL double literal. */
function dbl(x: number): string {
  const v = Math.round(x * 100) / 100;
  const s = String(v);
  return /[.eE]/.test(s) ? s : `${s}.0`;
}

export function generateFlowCatalog(options: FlowCatalogOptions = {}): FlowCatalog {
  const flowCount = options.flows ?? 400;
  const variableCount = options.variables ?? 11_000;
  const minPerFlow = options.minVariablesPerFlow ?? 30;
  const maxPerFlow = options.maxVariablesPerFlow ?? 60;
  const r = seededRandom(options.seed ?? 7);
  const int = (lo: number, hi: number): number => lo + Math.floor(r() * (hi - lo + 1));
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;

  const inputs: Record<string, InputField> = {};
  const sampleApplication: Record<string, unknown> = {};
  const numberInputs: string[] = [];
  const booleanInputs: string[] = [];
  const stringInputs: string[] = [];
  for (let i = 0; i < NUMBER_INPUTS; i++) {
    const name = `n${i}`;
    numberInputs.push(name);
    inputs[name] = { type: 'number', min: 0, max: 1_000_000 };
    sampleApplication[name] = int(1, 5000);
  }
  for (let i = 0; i < BOOLEAN_INPUTS; i++) {
    const name = `b${i}`;
    booleanInputs.push(name);
    inputs[name] = { type: 'boolean' };
    sampleApplication[name] = r() < 0.5;
  }
  for (let i = 0; i < STRING_INPUTS; i++) {
    const name = `s${i}`;
    stringInputs.push(name);
    inputs[name] = { type: 'string', maxLength: 16 };
    sampleApplication[name] = pick(STRING_VALUES);
  }

  // Three layers keep dependency closures small, as in real feature stores (raw -> ratio -> composite):
  // layer 0 reads inputs only, layer 1 reads inputs and layer 0, layer 2 reads layer 0 and 1.
  const catalog: Record<string, string> = {};
  const deps: string[][] = [];
  const inputsOf: string[][] = [];
  const layer0 = Math.floor(variableCount * 0.55);
  const layer1 = Math.floor(variableCount * 0.85);
  for (let i = 0; i < variableCount; i++) {
    const name = `v${i}`;
    const usedVars: string[] = [];
    const usedInputs: string[] = [];
    const num = (): string => {
      const x = pick(numberInputs);
      usedInputs.push(x);
      return x;
    };
    const earlier = (hi: number): string => {
      const v = `v${int(0, hi - 1)}`;
      usedVars.push(v);
      return v;
    };
    let expr: string;
    const kind = int(0, 5);
    if (i < layer0) {
      if (kind === 0) expr = `${num()} / (${num()} + 1.0)`;
      else if (kind === 1) expr = `${num()} * ${dbl(0.1 + r() * 3)} - ${num()}`;
      else if (kind === 2) {
        const b = pick(booleanInputs);
        usedInputs.push(b);
        expr = `${b} ? ${num()} : ${num()} * ${dbl(0.5 + r())}`;
      } else if (kind === 3) {
        const s = pick(stringInputs);
        usedInputs.push(s);
        expr = `${s} == "${pick(STRING_VALUES)}" ? ${dbl(r() * 10)} : ${num()} / 100.0`;
      } else if (kind === 4) {
        const s = pick(stringInputs);
        usedInputs.push(s);
        expr = `${s} in ["${pick(STRING_VALUES)}", "${pick(STRING_VALUES)}"] ? 1.0 : 0.0`;
      } else expr = `(${num()} + ${num()} + ${num()}) / 3.0`;
    } else if (i < layer1) {
      if (kind <= 2) expr = `${earlier(layer0)} * ${dbl(0.2 + r() * 2)} + ${num()} / 10.0`;
      else if (kind === 3) expr = `${earlier(layer0)} > ${dbl(r() * 50)} ? ${earlier(layer0)} : ${num()}`;
      else expr = `${earlier(layer0)} - ${earlier(layer0)}`;
    } else {
      if (kind <= 2) expr = `${earlier(layer1)} / (${earlier(layer0)} + 1.0)`;
      else expr = `(${earlier(layer1)} > ${dbl(r() * 100)} && ${num()} < ${dbl(r() * 3000)}) ? ${dbl(r() * 5)} : 0.0`;
    }
    catalog[name] = expr;
    deps.push(usedVars);
    inputsOf.push(usedInputs);
  }

  const flows: FlowDefinition[] = [];
  for (let f = 0; f < flowCount; f++) {
    const direct = new Set<number>();
    const want = int(minPerFlow, maxPerFlow);
    while (direct.size < want) direct.add(int(0, variableCount - 1));
    // Close over dependencies, keeping catalog order so each variable follows the ones it reads.
    const closure = new Set<number>();
    const visit = (i: number): void => {
      if (closure.has(i)) return;
      closure.add(i);
      for (const d of deps[i]!) visit(Number(d.slice(1)));
    };
    for (const i of direct) visit(i);
    const ordered = [...closure].sort((a, b) => a - b);
    const variables: Record<string, string> = {};
    const flowInputs = new Set<string>();
    for (const i of ordered) {
      variables[`v${i}`] = catalog[`v${i}`]!;
      for (const x of inputsOf[i]!) flowInputs.add(x);
    }
    const drawn = [...direct].map((i) => `v${i}`);
    const useInput = (name: string): string => {
      flowInputs.add(name);
      return name;
    };

    const knockouts = Array.from({ length: int(8, 15) }, (_, k) => {
      const v = pick(drawn);
      const decline = r() < 0.5;
      const twoPart = r() < 0.4;
      const when = twoPart
        ? `${v} > ${dbl(r() * 500)} && ${useInput(pick(booleanInputs))}`
        : `${v} ${pick(['<', '>', '>=', '<='])} ${dbl(r() * 1000)}`;
      return { id: `F${f}-K${k + 1}`, when, action: decline ? 'decline' as const : 'review' as const, reason: `K${String(k + 1).padStart(2, '0')}`, message: `Knockout ${k + 1} of flow ${f}` };
    });
    const checks = Array.from({ length: int(3, 5) }, (_, k) => ({
      id: `F${f}-C${k + 1}`,
      when: `${useInput(pick(stringInputs))} == "${pick(STRING_VALUES)}" && ${pick(drawn)} > ${dbl(r() * 100)}`,
      action: 'review' as const,
      reason: `C${String(k + 1).padStart(2, '0')}`,
    }));
    const [colA, colB] = [pick(drawn), pick(drawn)];
    const cutsA = [int(10, 100), int(200, 400), int(500, 900)];
    const tableRules = [];
    for (let a = 0; a <= cutsA.length; a++) {
      for (const flag of [true, false]) {
        const cell = a === 0 ? `< ${cutsA[0]}` : a === cutsA.length ? `>= ${cutsA[a - 1]}` : `[${cutsA[a - 1]}..${cutsA[a]})`;
        tableRules.push({ id: `F${f}-T${tableRules.length + 1}`, when: [cell, flag ? `> ${int(0, 50)}` : '-'], then: [pick(['T1', 'T2', 'T3', 'T4']), int(1, 40) * 500] });
      }
    }
    const attributes = Array.from({ length: int(4, 6) }, (_, k) => {
      const cuts = Array.from({ length: int(2, 4) }, () => Math.round(r() * 1000)).sort((x, y) => x - y);
      const bounds = [...new Set(cuts)];
      const bins = bounds.map((c, bi) => ({ ...(bi > 0 ? { min: bounds[bi - 1]! } : {}), max: c, points: int(0, 40) }));
      bins.push({ min: bounds[bounds.length - 1]!, points: int(0, 40) } as never);
      return { name: `attr${k + 1}`, value: pick(drawn), bins };
    });
    const nodes: NodeDefinition[] = [
      { id: 'knockouts', type: 'ruleset', hitPolicy: 'all', rules: knockouts, next: 'checks' },
      { id: 'checks', type: 'ruleset', hitPolicy: 'first', rules: checks, next: 'tier' },
      {
        id: 'tier', type: 'decision-table', hitPolicy: 'first',
        inputs: [{ name: 'a', expr: colA }, { name: 'b', expr: colB }],
        outputs: [{ name: 'tier', type: 'string', default: 'T4' }, { name: 'baseLimit', type: 'number', default: 0 }],
        rules: tableRules, allowGaps: true, next: 'score',
      },
      { id: 'score', type: 'scorecard', output: 'score', attributes, next: 'decide' },
      {
        id: 'decide', type: 'outcome', decision: 'auto',
        creditLine: `decision == "DECLINE" ? 0.0 : (score > ${int(60, 120)}.0 ? baseLimit : baseLimit / 2.0)`,
        outputs: { score: 'score', tier: 'tier' },
      },
    ];
    const declared: Record<string, InputField> = {};
    for (const name of Object.keys(inputs)) if (flowInputs.has(name)) declared[name] = inputs[name]!;
    flows.push({ id: `catalog-flow-${f}`, version: 1, inputs: declared, variables, nodes });
  }
  return { inputs, catalog, flows, sampleApplication };
}
