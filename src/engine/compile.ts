// compileFlow: checks a flow completely (structure, names, types, graph, tables) and turns it into one JavaScript
// function, built once. Evaluation is then a single synchronous call with no interpretation overhead.
//
// Code generation rules (see ../../../shared/STYLE.md, Ajv): flow text enters generated code only as JSON-escaped
// literals (`lit`) or through identifiers this file hands out (i0, v0, o0, ...); functions (sub-flows, tree
// predictors, validators) are passed in by reference through the `X` array, never printed. `new Function` is called
// in exactly one place (`instantiate`), which reports the source if it fails.

import { Ajv, type ErrorObject } from 'ajv';
import { MingjianError, type ErrorDetail } from '../kernel/errors.ts';
import flowSchema from '../../schemas/flow.schema.json' with { type: 'json' };
import { compileExpr, lit, suggest, CelTypeError, type Binding, type CodegenContext, type ExprScope, type CompiledExpr } from './cel/compile-expr.ts';
import { CelSyntaxError } from './cel/parser.ts';
import * as rt from './cel/runtime.ts';
import { T, nullable, typeName, type Type } from './cel/types.ts';
import { analyseTable, cellCode, cellKinds, CellSyntaxError, describeTest, parseCell, type CellTest, type ColumnDomain } from './decision-table.ts';
import { validateApplication, validateField } from './input-validate.ts';
import { armBounds, splitBucket } from './split-hash.ts';
import { importLightGbm, importXgboost, ModelImportError, treePredictor } from './tree-models.ts';
import type {
  CompiledFlow, CompileOptions, DecisionFailure, DecisionResult, DecisionTableNode, EvaluateOptions, FlowDefinition,
  FlowDependencies, InputField, ModelNode, NodeDefinition, OutcomeNode, OutputDeclaration, RuleSetNode, ScorecardNode,
  SplitNode, SubflowNode, SwitchNode, TreeEnsembleModel,
} from './types.ts';

type Path = (string | number)[];

let ajvValidate: ReturnType<Ajv['compile']> | undefined;
function structuralValidator() {
  if (!ajvValidate) {
    const ajv = new Ajv({ allErrors: true, strict: false });
    ajvValidate = ajv.compile(flowSchema);
  }
  return ajvValidate;
}

class Diagnostics {
  readonly list: ErrorDetail[] = [];
  private readonly seen = new Set<string>();
  constructor(private readonly options: CompileOptions) {}
  add(path: Path, message: string, extra: { node?: string; expected?: string; offset?: number; severity?: 'error' | 'warning' } = {}): void {
    const lookupPath = extra.offset !== undefined ? [...path, `@${extra.offset}`] : path;
    const pos = this.options.sourceMap?.lookup(lookupPath);
    const d: ErrorDetail = { path: formatPath(path), message, severity: extra.severity ?? 'error' };
    const file = this.options.file ?? this.options.sourceMap?.file;
    if (file) d.file = file;
    if (pos) { d.line = pos.line; d.column = pos.column; }
    if (extra.node) d.node = extra.node;
    if (extra.expected) d.expected = extra.expected;
    const key = `${d.path}|${d.message}`;
    if (this.seen.has(key)) return;
    this.seen.add(key);
    this.list.push(d);
  }
  get errors(): ErrorDetail[] { return this.list.filter((d) => d.severity !== 'warning'); }
  get warnings(): ErrorDetail[] { return this.list.filter((d) => d.severity === 'warning'); }
}

function formatPath(p: Path): string {
  return p.map((k, i) => (typeof k === 'number' ? `[${k}]` : i === 0 ? k : `.${k}`)).join('');
}

function ajvPath(e: ErrorObject): Path {
  const parts = e.instancePath.split('/').slice(1).map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
  const path: Path = parts.map((s) => (/^\d+$/.test(s) ? Number(s) : s));
  if (e.keyword === 'required') path.push((e.params as { missingProperty: string }).missingProperty);
  if (e.keyword === 'additionalProperties') path.push((e.params as { additionalProperty: string }).additionalProperty);
  return path;
}

function ajvMessage(e: ErrorObject): { message: string; expected?: string } {
  switch (e.keyword) {
    case 'required': return { message: 'is required' };
    case 'additionalProperties': return { message: `unknown field '${(e.params as { additionalProperty: string }).additionalProperty}'` };
    case 'enum': return { message: 'has a value that is not allowed', expected: `one of ${(e.params as { allowedValues: unknown[] }).allowedValues.join(', ')}` };
    case 'type': return { message: `must be ${(e.params as { type: string }).type}` };
    case 'pattern': return { message: 'has characters that are not allowed', expected: `to match ${(e.params as { pattern: string }).pattern}` };
    case 'minItems': return { message: `needs at least ${(e.params as { limit: number }).limit} item(s)` };
    default: return { message: e.message ?? e.keyword };
  }
}

// ------------------------------------------------------------------ types of declared things

function inputType(f: InputField): Type {
  let t: Type;
  switch (f.type) {
    case 'number': t = T.double; break;
    case 'integer': t = T.int; break;
    case 'string': case 'enum': t = T.string; break;
    case 'boolean': t = T.bool; break;
    case 'date': t = T.date; break;
    case 'timestamp': t = T.timestamp; break;
    case 'list': t = T.list(f.items ? { ...inputType({ ...f.items, required: true }) } : T.dyn); break;
    case 'object': {
      const fields: Record<string, Type> = {};
      for (const [k, sub] of Object.entries(f.fields ?? {})) fields[k] = inputType(sub);
      t = { k: 'object', fields };
      break;
    }
  }
  return f.required === false && f.default === undefined ? nullable(t) : t;
}

function outputType(o: Pick<OutputDeclaration, 'type'>): Type {
  switch (o.type) {
    case 'number': return T.double;
    case 'integer': return T.int;
    case 'string': return T.string;
    case 'boolean': return T.bool;
    case 'list': return T.list(T.dyn);
    default: return T.dyn;
  }
}

function literalFits(v: unknown, t: Type): boolean {
  if (v === null) return true;
  switch (t.k) {
    case 'double': return typeof v === 'number';
    case 'int': return Number.isSafeInteger(v);
    case 'string': return typeof v === 'string';
    case 'bool': return typeof v === 'boolean';
    case 'list': return Array.isArray(v);
    default: return true;
  }
}

/** JS literal for a JSON value (output defaults, table outputs): escaped, never raw text. */
function jsonLit(v: unknown): string {
  if (v === undefined) return 'null';
  if (v === null || typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') return lit(v);
  return `JSON.parse(${lit(JSON.stringify(v))})`;
}

// ------------------------------------------------------------------ compile

interface OutputInfo {
  name: string;
  type: Type;
  hasDefault: boolean;
  defaultJs: string;
  js: string;
  producers: Set<string>;
  /** Producers after which the output is certainly non-null. */
  certain: Set<string>;
}

interface Built {
  flow?: CompiledFlow;
  diagnostics: Diagnostics;
}

const DECISIONS = new Set(['APPROVE', 'DECLINE', 'REVIEW']);

export function compileFlow(definition: FlowDefinition, options: CompileOptions = {}): CompiledFlow {
  const { flow, diagnostics } = build(definition, options);
  const errors = diagnostics.errors;
  if (!flow || errors.length) {
    const id = (definition as { id?: unknown })?.id;
    throw new MingjianError('FLOW_INVALID', `flow ${typeof id === 'string' ? `'${id}' ` : ''}has ${errors.length} error${errors.length === 1 ? '' : 's'}`, errors);
  }
  return flow;
}

/** Checks a flow and returns every problem (errors and warnings) without throwing. */
export function checkFlow(definition: unknown, options: CompileOptions = {}): ErrorDetail[] {
  return build(definition as FlowDefinition, options).diagnostics.list;
}

function build(def: FlowDefinition, options: CompileOptions): Built {
  const diag = new Diagnostics(options);
  const validate = structuralValidator();
  if (!validate(def)) {
    // if/then chains repeat the same problem; keep the most specific one per path
    const seen = new Set<string>();
    for (const e of validate.errors ?? []) {
      if (e.keyword === 'if') continue;
      const path = ajvPath(e);
      const { message, expected } = ajvMessage(e);
      const key = `${formatPath(path)}|${message}`;
      if (seen.has(key)) continue;
      seen.add(key);
      diag.add(path, message, expected ? { expected } : {});
    }
    return { diagnostics: diag };
  }
  return new FlowCompiler(def, options, diag).run();
}

class FlowCompiler {
  private consts: string[] = [];
  private constIndex = new Map<string, string>();
  // X[0] is the input-failure builder; external() hands out the following slots.
  private externals: unknown[] = [undefined];
  private ruleEntries = new Map<object, string>();
  private subflowOrder = new Map<object, number>();
  private lenientOutputs = false;
  private localCounter = 0;
  private ctx: CodegenContext;
  private inputs = new Map<string, { spec: InputField; type: Type; js: string }>();
  private variables = new Map<string, { type: Type; js: string; code: string; reads: Set<string> }>();
  private variableOrder: string[] = [];
  private outputs = new Map<string, OutputInfo>();
  private nodes = new Map<string, { def: NodeDefinition; index: number }>();
  private preds = new Map<string, string[]>();
  private definitelySet = new Map<string, Set<string>>();
  private possiblySet = new Map<string, Set<string>>();
  private reasonEntries: { code: string; action: string; message?: string; node: string; order: number; js: string }[] = [];
  private readsByNode: Record<string, Set<string>> = {};
  private usesFlags = false;
  private usesSplits = false;
  private subflows: { flow: string; version?: string | number }[] = [];

  constructor(private readonly def: FlowDefinition, private readonly options: CompileOptions, private readonly diag: Diagnostics) {
    this.ctx = {
      constant: (js) => this.constant(js),
      lists: def.lists ?? {},
      usedLists: new Set(),
      usedWatchlists: new Set(),
      usesNow: false,
      nextLocal: () => `c${this.localCounter++}`,
    };
  }

  private constant(js: string): string {
    const existing = this.constIndex.get(js);
    if (existing) return existing;
    const id = `K${this.consts.length}`;
    this.consts.push(`const ${id} = ${js};`);
    this.constIndex.set(js, id);
    return id;
  }

  private external(v: unknown): string {
    this.externals.push(v);
    return `X[${this.externals.length - 1}]`;
  }

  run(): Built {
    const def = this.def;
    this.declareInputs();
    this.declareNodes();
    this.declareOutputs();
    this.compileVariables();
    const graphOk = this.checkGraph();
    if (graphOk) this.flowAnalysis();
    this.collectReasons();
    if (!graphOk || this.diag.errors.length) {
      // Still type-check every node's expressions so all errors are reported at once. Without a sound graph the
      // null-safety of outputs cannot be judged, so outputs count as set there.
      this.lenientOutputs = !graphOk;
      this.generateBodies(false);
      return { diagnostics: this.diag };
    }
    const fast = this.generateBodies(false);
    const traced = this.generateBodies(true);
    if (this.diag.errors.length || !fast || !traced) return { diagnostics: this.diag };
    const flowId = def.id, version = def.version;
    const inputs = def.inputs;
    this.externals[0] = (input: unknown): DecisionFailure => {
      const details = validateApplication(inputs, input);
      return { ok: false, flow: flowId, version, error: { code: 'INPUT_INVALID', message: `the application does not match the inputs of flow '${flowId}'`, details } };
    };
    const { runFast, runTrace } = this.instantiate(fast, traced);
    const evaluate = (input: unknown, opts?: EvaluateOptions): DecisionResult => {
      return opts !== undefined && opts.trace === true ? runTrace(input, opts) : runFast(input, opts);
    };
    const deps = this.dependencies();
    const flow: CompiledFlow = {
      id: flowId,
      version,
      definition: def,
      piiPaths: piiPaths(def.inputs),
      reasonCatalog: this.reasonEntries.map(({ code, action, message, node }) => (message !== undefined ? { code, action, message, node } : { code, action, node })),
      dependencies: deps,
      warnings: this.diag.warnings,
      evaluate,
    };
    return { flow, diagnostics: this.diag };
  }

  // ---------------------------------------------------------------- declarations

  private declareInputs(): void {
    let k = 0;
    for (const [name, spec] of Object.entries(this.def.inputs)) {
      const path = ['inputs', name];
      if (spec.type === 'enum' && !spec.values?.length) this.diag.add(path, "an enum needs 'values'");
      if (spec.type === 'list' && spec.items?.type === 'timestamp') this.diag.add([...path, 'items'], 'timestamps are supported as top-level inputs only; use a string');
      if (spec.type === 'object') this.checkNestedTimestamps(spec, path);
      if (spec.min !== undefined && spec.max !== undefined && spec.min > spec.max) this.diag.add(path, `min ${spec.min} is greater than max ${spec.max}`);
      if (spec.default !== undefined) {
        const errs: ErrorDetail[] = [];
        validateField({ ...spec, required: true }, spec.default, name, errs);
        if (errs.length) this.diag.add([...path, 'default'], `default ${errs[0]!.message}`);
      }
      if (spec.pattern !== undefined) {
        try { new RegExp(spec.pattern, 'u'); } catch { this.diag.add([...path, 'pattern'], 'is not a valid regular expression'); }
      }
      this.inputs.set(name, { spec, type: inputType(spec), js: `i${k++}` });
    }
  }

  private checkNestedTimestamps(spec: InputField, path: Path): void {
    for (const [k, f] of Object.entries(spec.fields ?? {})) {
      if (f.type === 'timestamp') this.diag.add([...path, 'fields', k], 'timestamps are supported as top-level inputs only; use a string');
      if (f.type === 'object') this.checkNestedTimestamps(f, [...path, 'fields', k]);
    }
  }

  private declareNodes(): void {
    this.def.nodes.forEach((n, i) => {
      if (this.nodes.has(n.id)) this.diag.add(['nodes', i, 'id'], `duplicate node id '${n.id}'`, { node: n.id });
      else this.nodes.set(n.id, { def: n, index: i });
    });
  }

  private declareOutput(path: Path, node: string, name: string, type: Type, hasDefault: boolean, defaultValue: unknown, certain: boolean): void {
    if (this.inputs.has(name)) { this.diag.add(path, `output '${name}' has the name of an input`, { node }); return; }
    if (this.def.variables?.[name] !== undefined) { this.diag.add(path, `output '${name}' has the name of a variable`, { node }); return; }
    if (name === 'decision') { this.diag.add(path, "'decision' is reserved for the outcome", { node }); return; }
    const prev = this.outputs.get(name);
    if (prev) {
      if (prev.type.k !== type.k) this.diag.add(path, `output '${name}' is ${typeName(type)} here but ${typeName(prev.type)} elsewhere`, { node });
      prev.producers.add(node);
      if (certain) prev.certain.add(node);
      if (hasDefault && !prev.hasDefault) { prev.hasDefault = true; prev.defaultJs = jsonLit(defaultValue); prev.type = nullable(prev.type, false); }
      return;
    }
    this.outputs.set(name, {
      name,
      type: hasDefault ? type : nullable(type),
      hasDefault,
      defaultJs: hasDefault ? jsonLit(defaultValue) : 'null',
      js: `o${this.outputs.size}`,
      producers: new Set([node]),
      certain: new Set(certain ? [node] : []),
    });
  }

  private declareOutputs(): void {
    this.def.nodes.forEach((n, i) => {
      const base: Path = ['nodes', i];
      const decl = (o: OutputDeclaration, j: number, certain: boolean) => {
        const t = outputType(o);
        if (o.default !== undefined && !literalFits(o.default, t)) this.diag.add([...base, 'outputs', j, 'default'], `default does not fit type ${o.type}`, { node: n.id });
        this.declareOutput([...base, 'outputs', j], n.id, o.name, t, o.default !== undefined, o.default, certain);
      };
      switch (n.type) {
        case 'ruleset': (n.outputs ?? []).forEach((o, j) => decl(o, j, false)); break;
        case 'decision-table': {
          const collect = n.hitPolicy === 'collect' || n.hitPolicy === 'rule-order';
          n.outputs.forEach((o, j) => {
            if (collect && !n.aggregation) this.declareOutput([...base, 'outputs', j], n.id, o.name, T.list(outputType(o)), true, [], true);
            else if (collect && (n.aggregation === 'sum' || n.aggregation === 'count')) this.declareOutput([...base, 'outputs', j], n.id, o.name, n.aggregation === 'count' ? T.int : outputType(o), true, 0, true);
            else decl(o, j, false);
          });
          break;
        }
        case 'scorecard':
          if (!n.attributes?.length) {
            this.diag.add(n.source ? [...base, 'source'] : [...base, 'attributes'], n.source
              ? `scorecard source '${n.source}' was not loaded: load the flow with the CLI or the service, which expand sources`
              : 'a scorecard needs attributes (or a source scorecard.json)', { node: n.id });
          }
          this.declareOutput([...base, 'output'], n.id, n.output ?? 'score', T.double, false, undefined, true);
          if (n.rating) this.declareOutput([...base, 'rating', 'output'], n.id, n.rating.output, T.int, false, undefined, true);
          if (n.reasons) this.declareOutput([...base, 'reasons', 'output'], n.id, n.reasons.output, T.list(T.string), false, undefined, true);
          break;
        case 'model':
          this.declareOutput([...base, 'output'], n.id, n.output, T.double, false, undefined, true);
          break;
        case 'subflow':
          for (const local of Object.keys(n.outputs ?? {})) this.declareOutput([...base, 'outputs', local], n.id, local, T.dyn, false, undefined, true);
          break;
        default:
          break;
      }
    });
  }

  private compileVariables(): void {
    const vars = this.def.variables ?? {};
    const names = Object.keys(vars);
    let k = 0;
    for (const name of names) {
      if (this.inputs.has(name)) this.diag.add(['variables', name], `variable '${name}' has the name of an input`);
    }
    // Resolve in dependency order so a variable may use any other (cycles are errors).
    const state = new Map<string, 'visiting' | 'done'>();
    const visit = (name: string, chain: string[]): void => {
      if (state.get(name) === 'done') return;
      if (state.get(name) === 'visiting') {
        this.diag.add(['variables', name], `variables depend on each other in a cycle: ${[...chain, name].join(' -> ')}`);
        return;
      }
      state.set(name, 'visiting');
      const v = vars[name]!;
      const src = typeof v === 'string' ? v : v.expr;
      const path: Path = typeof v === 'string' ? ['variables', name] : ['variables', name, 'expr'];
      // first pass: find referenced variables by compiling against a scope that records lookups
      const referenced = new Set<string>();
      const probe: ExprScope = {
        lookup: (n) => {
          if (vars[n] !== undefined && n !== name) { referenced.add(n); return { type: T.dyn, js: 'null', kind: 'variable' }; }
          return this.baseLookup(n);
        },
        names: () => this.scopeNames(),
      };
      try { compileExpr(src, probe, this.scratchCtx()); } catch { /* reported below */ }
      for (const r of referenced) visit(r, [...chain, name]);
      const scope: ExprScope = {
        lookup: (n) => {
          if (n === name) return undefined;
          const vv = this.variables.get(n);
          if (vv) return { type: vv.type, js: vv.js, kind: 'variable' };
          return this.baseLookup(n);
        },
        names: () => [...this.inputs.keys(), ...names],
      };
      const declared = typeof v === 'string' ? undefined : v.type;
      const expected = declared ? outputType({ type: declared }) : undefined;
      const c = this.compileIn(src, scope, path, undefined, expected && expected.k !== 'dyn' ? expected : undefined);
      if (c) {
        const js = `v${k++}`;
        this.variables.set(name, { type: c.type, js, code: c.js, reads: c.reads });
        this.variableOrder.push(name);
      }
      state.set(name, 'done');
    };
    for (const name of names) visit(name, []);
  }

  private scratchCtx(): CodegenContext {
    return { constant: () => 'K', lists: this.def.lists ?? {}, usedLists: new Set(), usedWatchlists: new Set(), usesNow: false, nextLocal: () => 'c' };
  }

  private baseLookup(n: string): Binding | undefined {
    const i = this.inputs.get(n);
    if (i) return { type: i.type, js: i.js, kind: 'input' };
    return undefined;
  }

  private scopeNames(): string[] {
    return [...this.inputs.keys(), ...Object.keys(this.def.variables ?? {}), ...this.outputs.keys()];
  }

  /** Scope for expressions inside a node: inputs, variables, and outputs as set on the paths into the node. */
  private nodeScope(nodeId: string, extra?: Record<string, Binding>): ExprScope {
    const definitely = this.definitelySet.get(nodeId) ?? new Set<string>();
    return {
      lookup: (n) => {
        if (extra?.[n]) return extra[n];
        const b = this.baseLookup(n);
        if (b) return b;
        const v = this.variables.get(n);
        if (v) return { type: v.type, js: v.js, kind: 'variable' };
        const o = this.outputs.get(n);
        if (o) {
          const certain = o.hasDefault || definitely.has(n) || this.lenientOutputs;
          return { type: certain ? nullable(o.type, false) : o.type, js: o.js, kind: 'output' };
        }
        return undefined;
      },
      names: () => [...this.scopeNames(), ...Object.keys(extra ?? {})],
    };
  }

  /** Compiles one expression, reporting errors at the expression's position. */
  private compileIn(src: string, scope: ExprScope, path: Path, node: string | undefined, expected?: Type): CompiledExpr | undefined {
    try {
      const c = compileExpr(src, scope, this.ctx, expected);
      if (node) {
        const set = (this.readsByNode[node] ??= new Set());
        for (const r of c.reads) set.add(r);
      }
      return c;
    } catch (e) {
      if (e instanceof CelSyntaxError || e instanceof CelTypeError) {
        const extra: { node?: string; expected?: string; offset?: number } = { offset: e.pos };
        if (node) extra.node = node;
        if (e instanceof CelTypeError && e.expected) extra.expected = e.expected;
        this.diag.add(path, `${e instanceof CelSyntaxError ? 'syntax error' : 'type error'} in '${src.length > 60 ? src.slice(0, 57) + '...' : src}' at column ${e.pos + 1}: ${e.message}`, extra);
        return undefined;
      }
      throw e;
    }
  }

  // ---------------------------------------------------------------- graph

  private successors(n: NodeDefinition): { target: string; path: Path }[] {
    const i = this.nodes.get(n.id)!.index;
    const out: { target: string; path: Path }[] = [];
    const add = (t: string | undefined, p: Path) => { if (t !== undefined) out.push({ target: t, path: ['nodes', i, ...p] }); };
    switch (n.type) {
      case 'ruleset': add(n.next, ['next']); add(n.onDecline, ['onDecline']); break;
      case 'decision-table': case 'scorecard': case 'model': case 'subflow': add(n.next, ['next']); break;
      case 'switch': n.branches.forEach((b, j) => add(b.next, ['branches', j, 'next'])); add(n.default, ['default']); break;
      case 'split': n.arms.forEach((a, j) => add(a.next, ['arms', j, 'next'])); break;
      case 'outcome': break;
    }
    return out;
  }

  private startId(): string {
    return this.def.start ?? this.def.nodes[0]!.id;
  }

  private checkGraph(): boolean {
    let ok = true;
    const start = this.startId();
    if (!this.nodes.has(start)) { this.diag.add(['start'], `unknown node '${start}'`, { expected: [...this.nodes.keys()].join(', ') }); return false; }
    for (const [id, { def: n, index }] of this.nodes) {
      this.preds.set(id, this.preds.get(id) ?? []);
      const succ = this.successors(n);
      if (n.type !== 'outcome' && n.type !== 'switch' && n.type !== 'split' && !('next' in n && n.next)) {
        this.diag.add(['nodes', index], `node '${id}' has no 'next' and is not an outcome`, { node: id, expected: "a 'next' node id" });
        ok = false;
      }
      for (const s of succ) {
        if (!this.nodes.has(s.target)) {
          const hint = suggest(s.target, [...this.nodes.keys()]);
          this.diag.add(s.path, `unknown node '${s.target}'${hint ? `; did you mean '${hint}'?` : ''}`, { node: id });
          ok = false;
        } else {
          const p = this.preds.get(s.target) ?? [];
          if (!p.includes(id)) p.push(id);
          this.preds.set(s.target, p);
        }
      }
    }
    // The checks below go on past the errors above (all of a flow's problems at once), following known nodes only.
    const known = (n: NodeDefinition) => this.successors(n).filter((s) => this.nodes.has(s.target));
    // cycles
    const color = new Map<string, number>();
    const stack: string[] = [];
    let cycle: string[] | undefined;
    const dfs = (id: string): void => {
      if (cycle) return;
      color.set(id, 1);
      stack.push(id);
      for (const s of known(this.nodes.get(id)!.def)) {
        const c = color.get(s.target) ?? 0;
        if (c === 1) { cycle = [...stack.slice(stack.indexOf(s.target)), s.target]; return; }
        if (c === 0) dfs(s.target);
        if (cycle) return;
      }
      stack.pop();
      color.set(id, 2);
    };
    for (const id of this.nodes.keys()) if (!color.get(id)) dfs(id);
    if (cycle) {
      this.diag.add(['nodes', this.nodes.get(cycle[0]!)!.index], `the nodes form a cycle: ${cycle.join(' -> ')}`, { node: cycle[0] });
      ok = false;
    }
    // reachability
    const reached = new Set<string>();
    const walk = (id: string) => {
      if (reached.has(id)) return;
      reached.add(id);
      for (const s of known(this.nodes.get(id)!.def)) walk(s.target);
    };
    walk(start);
    for (const [id, { index }] of this.nodes) {
      if (!reached.has(id)) { this.diag.add(['nodes', index], `node '${id}' is unreachable from the start node '${start}'`, { node: id }); ok = false; }
    }
    return ok;
  }

  private topoOrder(): string[] {
    const order: string[] = [];
    const seen = new Set<string>();
    const visit = (id: string) => {
      if (seen.has(id)) return;
      seen.add(id);
      for (const s of this.successors(this.nodes.get(id)!.def)) visit(s.target);
      order.push(id);
    };
    visit(this.startId());
    return order.reverse();
  }

  /** Which outputs are certainly / possibly set when each node starts (for null-safety of reads). */
  private flowAnalysis(): void {
    const producedCertain = new Map<string, Set<string>>();
    const producedAny = new Map<string, Set<string>>();
    for (const o of this.outputs.values()) {
      for (const p of o.producers) (producedAny.get(p) ?? producedAny.set(p, new Set()).get(p)!).add(o.name);
      for (const p of o.certain) (producedCertain.get(p) ?? producedCertain.set(p, new Set()).get(p)!).add(o.name);
    }
    for (const id of this.topoOrder()) {
      const preds = this.preds.get(id) ?? [];
      if (id === this.startId() || preds.length === 0) {
        this.definitelySet.set(id, new Set());
        this.possiblySet.set(id, new Set());
        continue;
      }
      let def: Set<string> | undefined;
      const pos = new Set<string>();
      for (const p of preds) {
        const dp = new Set([...(this.definitelySet.get(p) ?? []), ...(producedCertain.get(p) ?? [])]);
        def = def ? new Set([...def].filter((x) => dp.has(x))) : dp;
        for (const x of this.possiblySet.get(p) ?? []) pos.add(x);
        for (const x of producedAny.get(p) ?? []) pos.add(x);
      }
      this.definitelySet.set(id, def ?? new Set());
      this.possiblySet.set(id, pos);
    }
  }

  private collectReasons(): void {
    this.def.nodes.forEach((n, i) => {
      const add = (code: string, action: string, message: string | undefined, path: Path): string => {
        const order = this.reasonEntries.length;
        const entry = message !== undefined ? { code, action, message, node: n.id } : { code, action, node: n.id };
        const js = this.constant(`Object.freeze(${jsonLit({ ...entry, order })})`);
        this.reasonEntries.push({ code, action, node: n.id, order, js, ...(message !== undefined ? { message } : {}) });
        void path;
        return js;
      };
      if (n.type === 'ruleset') {
        n.rules.forEach((r, j) => {
          if ((r.action === 'decline' || r.action === 'review') && !r.reason) this.diag.add(['nodes', i, 'rules', j, 'reason'], `a ${r.action} rule needs a reason code`, { node: n.id });
          if (r.action === 'set' && !r.set) this.diag.add(['nodes', i, 'rules', j, 'set'], "a 'set' rule needs values to set", { node: n.id });
          if (r.action === 'flag') this.usesFlags = true;
          if (r.reason && r.action !== 'set') this.ruleEntries.set(r, add(r.reason, r.action, r.message, ['nodes', i, 'rules', j]));
        });
      }
      if (n.type === 'decision-table') {
        n.rules.forEach((r, j) => {
          if (r.action === 'flag') this.usesFlags = true;
          if (r.reason) this.ruleEntries.set(r, add(r.reason, r.action ?? 'flag', r.message, ['nodes', i, 'rules', j]));
          else if (r.action) this.diag.add(['nodes', i, 'rules', j, 'reason'], `a row with action '${r.action}' needs a reason code`, { node: n.id });
        });
      }
      if (n.type === 'split') this.usesSplits = true;
      if (n.type === 'subflow') this.subflowOrder.set(n, this.reasonEntries.length - 0.5);
    });
  }

  // ---------------------------------------------------------------- code generation

  private generateBodies(trace: boolean): string | undefined {
    const errorsBefore = this.diag.errors.length;
    const out: string[] = [];
    const emitted = new Set<string>();
    const start = this.startId();
    const cases: string[] = [];
    const caseIds: string[] = [];
    // A node gets its own case when it starts the flow or more than one node leads to it; others are inlined.
    const needsCase = (id: string) => id === start || (this.preds.get(id)?.length ?? 0) !== 1;
    const caseIndex = (id: string) => {
      let k = caseIds.indexOf(id);
      if (k < 0) { caseIds.push(id); k = caseIds.length - 1; }
      return k;
    };
    const goto = (id: string): string => {
      if (!this.nodes.has(id)) return '';
      if (needsCase(id)) return `n = ${caseIndex(id)}; continue;`;
      return emitNode(id);
    };
    const emitNode = (id: string): string => {
      if (emitted.has(id)) return `/* ${id} emitted */`;
      emitted.add(id);
      const entry = this.nodes.get(id);
      if (!entry) return '';
      const { def: n, index } = entry;
      const body = this.emitNodeCode(n, index, trace, goto);
      // each node in its own block: inlined successors nest, and their locals never clash
      return `{ CUR = ${index};\n${body}\n}`;
    };
    caseIndex(start);
    for (let k = 0; k < caseIds.length; k++) {
      const id = caseIds[k]!;
      cases.push(`case ${k}: {\n${emitNode(id)}\n}`);
    }
    // nodes not reached by generation (graph errors) still get type-checked
    for (const [id] of this.nodes) if (!emitted.has(id)) emitNode(id);
    if (this.diag.errors.length > errorsBefore) return undefined;
    out.push(`let n = 0;\nfor (;;) switch (n) {\n${cases.join('\n')}\ndefault: return undefined;\n}`);
    return out.join('\n');
  }

  private emitNodeCode(n: NodeDefinition, index: number, trace: boolean, goto: (id: string) => string): string {
    const base: Path = ['nodes', index];
    const tStart = trace ? `const t${index} = PERF();\n` : '';
    const step = (fields: string) => (trace ? `TS.push({ node: ${lit(n.id)}, type: ${lit(n.type)}, micros: (PERF() - t${index}) * 1000${fields ? ', ' + fields : ''} });\n` : '');
    switch (n.type) {
      case 'ruleset': return tStart + this.emitRuleset(n, base, trace, step, goto);
      case 'decision-table': return tStart + this.emitTable(n, base, trace, step, goto);
      case 'scorecard': return tStart + this.emitScorecard(n, base, trace, step, goto);
      case 'model': return tStart + this.emitModel(n, base, trace, step, goto);
      case 'switch': return tStart + this.emitSwitch(n, base, trace, step, goto);
      case 'split': return tStart + this.emitSplit(n, base, trace, step, goto);
      case 'subflow': return tStart + this.emitSubflow(n, base, trace, step, goto);
      case 'outcome': return tStart + this.emitOutcome(n, base, trace, step);
    }
  }

  private valuesObject(reads: Set<string>, scope: ExprScope): string {
    const parts = [...reads].map((r) => `${lit(r)}: ${scope.lookup(r)?.js ?? 'null'}`);
    return `{ ${parts.join(', ')} }`;
  }

  private emitRuleset(n: RuleSetNode, base: Path, trace: boolean, step: (f: string) => string, goto: (id: string) => string): string {
    const scope = this.nodeScope(n.id);
    const first = n.hitPolicy === 'first';
    const lines: string[] = [];
    if (trace) lines.push('const TR = [];');
    n.rules.forEach((r, j) => {
      const cond = this.compileIn(r.when, scope, [...base, 'rules', j, 'when'], n.id, T.bool);
      if (!cond) return;
      const act: string[] = [];
      const entry = this.ruleEntries.get(r);
      if (r.action === 'decline') act.push(`R.push(${entry}); D |= 2;`);
      else if (r.action === 'review') act.push(`R.push(${entry}); D |= 1;`);
      else if (r.action === 'flag') act.push(`F.push(${lit(r.reason ?? r.id ?? `${n.id}#${j}`)});`);
      for (const [name, expr] of Object.entries(r.set ?? {})) {
        const o = this.outputs.get(name);
        if (!o || !o.producers.has(n.id)) {
          this.diag.add([...base, 'rules', j, 'set', name], `'${name}' is not an output of this rule set; declare it under 'outputs'`, { node: n.id });
          continue;
        }
        const c = this.compileIn(expr, scope, [...base, 'rules', j, 'set', name], n.id, nullable(o.type, true));
        if (c) act.push(`${o.js} = ${c.js};`);
      }
      if (trace) {
        act.push(`TR.push({ id: ${lit(r.id ?? r.reason ?? `rule${j}`)}, ${r.reason ? `reason: ${lit(r.reason)}, ` : ''}action: ${lit(r.action)}, values: ${this.valuesObject(cond.reads, scope)} });`);
      }
      lines.push(`${first && j > 0 ? 'else ' : ''}if (${cond.js}) { ${act.join(' ')} }`);
    });
    lines.push(step('rules: TR'));
    if (n.onDecline && n.next) lines.push(`if (D & 2) { ${goto(n.onDecline)} } else { ${goto(n.next)} }`);
    else if (n.next) lines.push(goto(n.next));
    return lines.join('\n');
  }

  private columnDomain(expr: CompiledExpr, src: string): ColumnDomain {
    const t = expr.type;
    if (t.k === 'int' || t.k === 'double') return { kind: 'numeric', integer: t.k === 'int' };
    if (t.k === 'bool') return { kind: 'discrete', values: [true, false], open: false };
    const input = this.inputs.get(src.trim());
    if (input && input.spec.type === 'enum') return { kind: 'discrete', values: input.spec.values ?? [], open: false };
    return { kind: 'discrete', values: [], open: true };
  }

  private emitTable(n: DecisionTableNode, base: Path, trace: boolean, step: (f: string) => string, goto: (id: string) => string): string {
    const scope = this.nodeScope(n.id);
    const lines: string[] = [];
    const id = this.nodes.get(n.id)!.index;
    const cols = n.inputs.map((c, j) => ({ c: this.compileIn(c.expr, scope, [...base, 'inputs', j, 'expr'], n.id), src: c.expr, name: c.name ?? c.expr }));
    if (cols.some((c) => !c.c)) return '';
    cols.forEach((c, j) => lines.push(`const d${id}_${j} = ${c.c!.js};`));
    const collect = n.hitPolicy === 'collect' || n.hitPolicy === 'rule-order';
    if (n.aggregation && n.hitPolicy !== 'collect') this.diag.add([...base, 'aggregation'], 'aggregation applies to hit policy collect only', { node: n.id });
    if (n.aggregation && n.outputs.length !== 1) this.diag.add([...base, 'outputs'], 'an aggregated table has exactly one output', { node: n.id });
    // parse cells
    const tests: CellTest[][] = [];
    let cellsOk = true;
    n.rules.forEach((r, j) => {
      if (r.when.length !== n.inputs.length) { this.diag.add([...base, 'rules', j, 'when'], `has ${r.when.length} cells for ${n.inputs.length} inputs`, { node: n.id }); cellsOk = false; return; }
      if (r.then.length !== n.outputs.length) { this.diag.add([...base, 'rules', j, 'then'], `has ${r.then.length} values for ${n.outputs.length} outputs`, { node: n.id }); cellsOk = false; return; }
      const row: CellTest[] = [];
      r.when.forEach((cell, k) => {
        try {
          const t = parseCell(cell);
          const colType = cols[k]!.c!.type;
          const kinds = cellKinds(t);
          const fits = (kind: string) =>
            colType.k === 'dyn' || kind === 'null' ||
            (kind === 'number' && (colType.k === 'int' || colType.k === 'double')) ||
            (kind === 'string' && (colType.k === 'string' || colType.k === 'date')) ||
            (kind === 'boolean' && colType.k === 'bool');
          for (const kind of kinds) if (!fits(kind)) this.diag.add([...base, 'rules', j, 'when', k], `cell '${describeTest(t)}' compares a ${kind} with column '${cols[k]!.name}' of type ${typeName(colType)}`, { node: n.id });
          row.push(t);
        } catch (e) {
          if (e instanceof CellSyntaxError) { this.diag.add([...base, 'rules', j, 'when', k], `cannot read cell ${JSON.stringify(cell)}: ${e.message}`, { node: n.id }); cellsOk = false; }
          else throw e;
        }
      });
      tests.push(row);
    });
    if (!cellsOk) return '';
    // outputs per row
    const outInfo = n.outputs.map((o) => this.outputs.get(o.name)!);
    const rowValues: string[][] = n.rules.map((r, j) => r.then.map((v, k) => {
      const decl = n.outputs[k]!;
      const t = outputType(decl);
      if (v !== null && typeof v === 'object' && !Array.isArray(v) && 'expr' in (v as object)) {
        const c = this.compileIn(String((v as { expr: unknown }).expr), scope, [...base, 'rules', j, 'then', k, 'expr'], n.id, nullable(t));
        return c ? c.js : 'null';
      }
      if (!literalFits(v, t)) this.diag.add([...base, 'rules', j, 'then', k], `value ${JSON.stringify(v)} does not fit output '${decl.name}' of type ${decl.type}`, { node: n.id });
      return jsonLit(v);
    }));
    // compile-time analysis where the policy needs it
    let proven = false;
    if (n.hitPolicy === 'unique' || n.hitPolicy === 'any') {
      const analysis = analyseTable(cols.map((c) => ({ name: c.name, domain: this.columnDomain(c.c!, c.src) })), tests);
      if (!analysis.complete) {
        this.diag.add(base, 'the table is too large to check for gaps and overlaps at compile time; overlaps are checked when it runs', { node: n.id, severity: 'warning' });
      } else {
        proven = true;
        for (const o of analysis.overlaps) {
          const same = rowValues[o.a]!.join('|') === rowValues[o.b]!.join('|');
          if (n.hitPolicy === 'unique' || !same) {
            this.diag.add([...base, 'rules', o.b], `rules ${o.a + 1} and ${o.b + 1} overlap (both match ${o.example})${n.hitPolicy === 'any' ? ' with different outputs' : ''}; hit policy '${n.hitPolicy}' needs them disjoint`, { node: n.id });
          }
        }
        if (!n.allowGaps) {
          for (const g of analysis.gaps) this.diag.add(base, `gap: no rule matches ${g} (add a rule, or set allowGaps: true to keep the outputs' defaults there)`, { node: n.id });
        }
      }
    }
    const hit = (j: number, assign: string) => {
      const r = n.rules[j]!;
      const entry = this.ruleEntries.get(r);
      const parts = [assign];
      if (entry) {
        if (r.action === 'decline') parts.push(`R.push(${entry}); D |= 2;`);
        else if (r.action === 'review') parts.push(`R.push(${entry}); D |= 1;`);
        else parts.push(`F.push(${lit(r.reason!)});`);
      }
      if (trace) parts.push(`TW.push({ index: ${j}, ${r.id ? `id: ${lit(r.id)}, ` : ''}outputs: { ${n.outputs.map((o, k) => `${lit(o.name)}: ${rowValues[j]![k]}`).join(', ')} } });`);
      return parts.join(' ');
    };
    const cond = (j: number) => tests[j]!.map((t, k) => cellCode(t, `d${id}_${k}`)).filter((c) => c !== 'true').join(' && ') || 'true';
    if (trace) lines.push('const TW = [];');
    const single = n.hitPolicy === 'first' || ((n.hitPolicy === 'unique' || n.hitPolicy === 'any') && proven);
    if (single) {
      n.rules.forEach((_, j) => {
        const assign = outInfo.map((o, k) => `${o.js} = ${rowValues[j]![k]};`).join(' ');
        lines.push(`${j > 0 ? 'else ' : ''}if (${cond(j)}) { ${hit(j, assign)} }`);
      });
    } else if (n.hitPolicy === 'unique' || n.hitPolicy === 'any') {
      lines.push(`let m${id} = -1;`);
      n.rules.forEach((_, j) => {
        lines.push(`if (${cond(j)}) { if (m${id} >= 0) rt.failEval(${lit(`rules `)} + (m${id} + 1) + ${lit(` and ${j + 1} of table '${n.id}' both match`)}); m${id} = ${j}; }`);
      });
      lines.push(`switch (m${id}) {`);
      n.rules.forEach((_, j) => lines.push(`case ${j}: { ${hit(j, outInfo.map((o, k) => `${o.js} = ${rowValues[j]![k]};`).join(' '))} break; }`));
      lines.push('}');
    } else if (n.hitPolicy === 'priority') {
      const prio = n.outputs[0]!.priority;
      if (!prio?.length) { this.diag.add([...base, 'outputs', 0, 'priority'], "hit policy 'priority' needs the first output's priority list", { node: n.id }); return ''; }
      const ranks = n.rules.map((r, j) => {
        const k = prio.findIndex((p) => JSON.stringify(p) === JSON.stringify(r.then[0]));
        if (k < 0) this.diag.add([...base, 'rules', j, 'then', 0], `value ${JSON.stringify(r.then[0])} is not in the priority list`, { node: n.id });
        return k;
      });
      lines.push(`let m${id} = -1, p${id} = Infinity;`);
      n.rules.forEach((_, j) => lines.push(`if (${ranks[j]} < p${id} && ${cond(j)}) { m${id} = ${j}; p${id} = ${ranks[j]}; }`));
      lines.push(`switch (m${id}) {`);
      n.rules.forEach((_, j) => lines.push(`case ${j}: { ${hit(j, outInfo.map((o, k) => `${o.js} = ${rowValues[j]![k]};`).join(' '))} break; }`));
      lines.push('}');
    } else if (collect) {
      const agg = n.aggregation;
      const o = outInfo[0]!;
      if (!agg) outInfo.forEach((oi) => lines.push(`${oi.js} = [];`));
      else if (agg === 'sum' || agg === 'count') lines.push(`${o.js} = 0;`);
      else lines.push(`${o.js} = ${o.hasDefault ? o.defaultJs : 'null'}; let a${id} = false;`);
      n.rules.forEach((_, j) => {
        let assign: string;
        if (!agg) assign = outInfo.map((oi, k) => `${oi.js}.push(${rowValues[j]![k]});`).join(' ');
        else if (agg === 'count') assign = `${o.js}++;`;
        else if (agg === 'sum') assign = `${o.js} += ${rowValues[j]![0]};`;
        else assign = `{ const w = ${rowValues[j]![0]}; if (!a${id} || w ${agg === 'min' ? '<' : '>'} ${o.js}) ${o.js} = w; a${id} = true; }`;
        lines.push(`if (${cond(j)}) { ${hit(j, assign)} }`);
      });
    }
    lines.push(step(`rows: TW, outputs: { ${outInfo.map((o) => `${lit(o.name)}: ${o.js}`).join(', ')} }`));
    if (n.next) lines.push(goto(n.next));
    return lines.join('\n');
  }

  private emitScorecard(n: ScorecardNode, base: Path, trace: boolean, step: (f: string) => string, goto: (id: string) => string): string {
    const scope = this.nodeScope(n.id);
    const id = this.nodes.get(n.id)!.index;
    const lines: string[] = [];
    const total = this.outputs.get(n.output ?? 'score')!;
    const attributes = n.attributes ?? [];
    const attrJs: string[] = [];
    let minTotal = n.baseScore ?? 0, maxTotal = n.baseScore ?? 0;
    const maxPoints: number[] = [];
    attributes.forEach((a, j) => {
      const p: Path = [...base, 'attributes', j];
      const c = this.compileIn(a.value, scope, [...p, 'value'], n.id);
      if (!c) return;
      const v = `s${id}_${j}`, pts = `q${id}_${j}`, label = `l${id}_${j}`;
      const numeric = c.type.k === 'int' || c.type.k === 'double';
      const all = [...a.bins.map((b) => b.points), ...(a.special ?? []).map((s) => s.points), ...(a.missing ? [a.missing.points] : []), ...(a.other ? [a.other.points] : [])];
      minTotal += Math.min(...all);
      maxTotal += Math.max(...all);
      maxPoints.push(Math.max(...all));
      if (c.type.nullable && !a.missing) this.diag.add([...p, 'value'], `'${a.value}' may be null; add missing: { points: ... } to this attribute`, { node: n.id });
      // bins: numeric [min, max) or categorical values; check shape and overlaps
      const branches: string[] = [];
      const numBins = a.bins.filter((b) => b.values === undefined);
      a.bins.forEach((b, k) => {
        const bl = b.label ?? (b.values ? b.values.map(String).join(',') : `[${b.min ?? '-inf'}, ${b.max ?? 'inf'})`);
        if (b.values !== undefined) {
          if (b.min !== undefined || b.max !== undefined) this.diag.add([...p, 'bins', k], 'a bin has either values or min/max, not both', { node: n.id });
          const kinds = new Set(b.values.map((x) => typeof x));
          for (const kind of kinds) {
            const fits = (kind === 'number' && numeric) || (kind === 'string' && c.type.k === 'string') || (kind === 'boolean' && c.type.k === 'bool') || c.type.k === 'dyn';
            if (!fits) this.diag.add([...p, 'bins', k, 'values'], `bin values are ${kind} but '${a.value}' is ${typeName(c.type)}`, { node: n.id });
          }
          const set = this.constant(`new Set([${b.values.map((x) => lit(x)).join(', ')}])`);
          branches.push(`if (${set}.has(${v})) { ${pts} = ${lit(b.points)};${trace ? ` ${label} = ${lit(bl)};` : ''} }`);
        } else {
          if (!numeric && c.type.k !== 'dyn') this.diag.add([...p, 'bins', k], `numeric bin on '${a.value}', which is ${typeName(c.type)}`, { node: n.id });
          if (b.min !== undefined && b.max !== undefined && b.min >= b.max) this.diag.add([...p, 'bins', k], `empty bin: min ${b.min} >= max ${b.max}`, { node: n.id });
          const conds = [b.min !== undefined ? `${v} >= ${lit(b.min)}` : '', b.max !== undefined ? `${v} < ${lit(b.max)}` : ''].filter(Boolean).join(' && ') || 'true';
          branches.push(`if (${conds}) { ${pts} = ${lit(b.points)};${trace ? ` ${label} = ${lit(bl)};` : ''} }`);
        }
      });
      // overlapping numeric bins would make the order matter silently
      const sorted = [...numBins].sort((x, y) => (x.min ?? -Infinity) - (y.min ?? -Infinity));
      for (let k = 1; k < sorted.length; k++) {
        if ((sorted[k]!.min ?? -Infinity) < (sorted[k - 1]!.max ?? Infinity)) {
          this.diag.add([...p, 'bins'], `bins [${sorted[k - 1]!.min ?? '-inf'}, ${sorted[k - 1]!.max ?? 'inf'}) and [${sorted[k]!.min ?? '-inf'}, ${sorted[k]!.max ?? 'inf'}) overlap`, { node: n.id });
        } else if ((sorted[k]!.min ?? -Infinity) > (sorted[k - 1]!.max ?? Infinity) && !a.other) {
          this.diag.add([...p, 'bins'], `no bin covers [${sorted[k - 1]!.max}, ${sorted[k]!.min}); values there are an evaluation error unless 'other' is set`, { node: n.id, severity: 'warning' });
        }
      }
      const special = (a.special ?? []).map((s) => {
        const set = this.constant(`new Set([${s.values.map((x) => lit(x)).join(', ')}])`);
        return `if (${set}.has(${v})) { ${pts} = ${lit(s.points)};${trace ? ` ${label} = ${lit(s.label ?? `special ${s.values.join(',')}`)};` : ''} }`;
      });
      const otherwise = a.other
        ? `{ ${pts} = ${lit(a.other.points)};${trace ? ` ${label} = "other";` : ''} }`
        : `rt.failEval(${lit(`scorecard '${n.id}': value of attribute '${a.name}' falls in no bin: `)} + String(${v}))`;
      const chain = [...special, ...branches].join(' else ') + ` else ${otherwise}`;
      lines.push(`const ${v} = ${c.js}; let ${pts} = 0;${trace ? ` let ${label} = "";` : ''}`);
      // With a missing bin, missing text ('', 'NA', ...) and NaN land in it as they did in training (kernel/missing-values).
      const missingTest = a.missing && (c.type.k === 'string' || c.type.k === 'dyn' || c.type.k === 'double') ? `rt.isMissing(${v})` : c.type.nullable ? `${v} === null` : '';
      if (missingTest) lines.push(`if (${missingTest}) { ${pts} = ${lit(a.missing?.points ?? 0)};${trace ? ` ${label} = "missing";` : ''} } else ${chain}`);
      else lines.push(chain);
      attrJs.push(pts);
    });
    if (attrJs.length !== attributes.length || attributes.length === 0) return '';
    lines.push(`${total.js} = ${lit(n.baseScore ?? 0)} + ${attrJs.join(' + ')};`);
    if (n.rating) {
      const lo = n.rating.minScore ?? minTotal, hi = n.rating.maxScore ?? maxTotal;
      const o = this.outputs.get(n.rating.output)!;
      lines.push(hi > lo ? `${o.js} = Math.min(100, Math.max(0, Math.round(100 * (${total.js} - ${lit(lo)}) / ${lit(hi - lo)})));` : `${o.js} = 100;`);
    }
    if (n.reasons) {
      const o = this.outputs.get(n.reasons.output)!;
      const codes = attributes.map((a) => lit(a.reasonCode ?? a.name));
      lines.push(`{ const lost = [${attrJs.map((p, j) => `[${lit(maxPoints[j]!)} - ${p}, ${j}]`).join(', ')}].filter((x) => x[0] > 0).sort((x, y) => y[0] - x[0] || x[1] - y[1]); const C = [${codes.join(', ')}]; ${o.js} = lost.slice(0, ${lit(n.reasons.count ?? 4)}).map((x) => C[x[1]]); }`);
    }
    if (trace) {
      const attrs = attributes.map((a, j) => `{ name: ${lit(a.name)}, value: s${id}_${j}, bin: l${id}_${j}, points: q${id}_${j} }`).join(', ');
      lines.push(step(`attributes: [${attrs}], score: ${total.js}`));
    }
    if (n.next) lines.push(goto(n.next));
    return lines.join('\n');
  }

  private emitModel(n: ModelNode, base: Path, trace: boolean, step: (f: string) => string, goto: (id: string) => string): string {
    const scope = this.nodeScope(n.id);
    const out = this.outputs.get(n.output)!;
    const id = this.nodes.get(n.id)!.index;
    const feats = new Map<string, CompiledExpr>();
    for (const [name, expr] of Object.entries(n.features)) {
      const c = this.compileIn(expr, scope, [...base, 'features', name], n.id);
      if (!c) continue;
      if (!(c.type.k === 'int' || c.type.k === 'double' || c.type.k === 'dyn')) {
        this.diag.add([...base, 'features', name], `feature '${name}' must be a number, got ${typeName(c.type)} (use a ternary for booleans: x ? 1.0 : 0.0)`, { node: n.id });
        continue;
      }
      feats.set(name, c);
    }
    const lines: string[] = [];
    const m = n.model as { kind: string };
    if (m.kind === 'logistic') {
      const lm = n.model as { intercept?: unknown; coefficients?: Record<string, unknown> };
      if (typeof lm.intercept !== 'number' || !lm.coefficients || typeof lm.coefficients !== 'object') {
        this.diag.add([...base, 'model'], 'a logistic model needs a numeric intercept and coefficients', { node: n.id });
        return '';
      }
      const terms: string[] = [];
      for (const [f, coef] of Object.entries(lm.coefficients)) {
        if (typeof coef !== 'number') { this.diag.add([...base, 'model', 'coefficients', f], 'must be a number', { node: n.id }); continue; }
        const c = feats.get(f);
        if (!c) { if (!(f in n.features)) this.diag.add([...base, 'model', 'coefficients', f], `no feature '${f}' under 'features'`, { node: n.id }); continue; }
        if (c.type.nullable) this.diag.add([...base, 'features', f], `feature '${f}' may be null; wrap it in orDefault(...)`, { node: n.id });
        terms.push(`${lit(coef)} * ${c.js}`);
      }
      lines.push(`{ const z = ${lit(lm.intercept)}${terms.length ? ' + ' + terms.join(' + ') : ''}; ${out.js} = 1 / (1 + Math.exp(-z)); }`);
    } else {
      let tm: TreeEnsembleModel;
      try {
        if (m.kind === 'trees') tm = n.model as TreeEnsembleModel;
        else if (m.kind === 'lightgbm') tm = importLightGbm((n.model as { dump: unknown }).dump);
        else tm = importXgboost((n.model as { dump: unknown }).dump, n.model as { featureNames?: string[]; baseScore?: number; objective?: string });
      } catch (e) {
        if (e instanceof ModelImportError) { this.diag.add([...base, 'model'], e.message, { node: n.id }); return ''; }
        throw e;
      }
      const missing = tm.featureNames.filter((f) => !(f in n.features));
      if (missing.length) { this.diag.add([...base, 'features'], `the model needs feature(s) ${missing.join(', ')}`, { node: n.id }); return ''; }
      const predictor = this.external(treePredictor(tm));
      const vec = tm.featureNames.map((f) => {
        const c = feats.get(f);
        if (!c) return 'NaN';
        return c.type.nullable ? `(${c.js} ?? NaN)` : c.js;
      });
      lines.push(`${out.js} = ${predictor}([${vec.join(', ')}]);`);
    }
    lines.push(step(`outputs: { ${lit(n.output)}: ${out.js} }`));
    void id;
    if (n.next) lines.push(goto(n.next));
    return lines.join('\n');
  }

  private emitSwitch(n: SwitchNode, base: Path, trace: boolean, step: (f: string) => string, goto: (id: string) => string): string {
    const scope = this.nodeScope(n.id);
    const parts: string[] = [];
    n.branches.forEach((b, j) => {
      const c = this.compileIn(b.when, scope, [...base, 'branches', j, 'when'], n.id, T.bool);
      if (!c) return;
      parts.push(`${j > 0 ? 'else ' : ''}if (${c.js}) { ${step(`branch: ${lit(b.next)}`)}${goto(b.next)} }`);
    });
    parts.push(`else { ${step(`branch: ${lit(n.default)}`)}${goto(n.default)} }`);
    void trace;
    return parts.join('\n');
  }

  private emitSplit(n: SplitNode, base: Path, trace: boolean, step: (f: string) => string, goto: (id: string) => string): string {
    const scope = this.nodeScope(n.id);
    const c = this.compileIn(n.key, scope, [...base, 'key'], n.id);
    if (!c) return '';
    if (c.type.nullable) this.diag.add([...base, 'key'], 'the split key may be null; use orDefault(...) or a required field', { node: n.id });
    const names = new Set<string>();
    n.arms.forEach((a, j) => { if (names.has(a.name)) this.diag.add([...base, 'arms', j, 'name'], `duplicate arm '${a.name}'`, { node: n.id }); names.add(a.name); });
    const bounds = armBounds(n.arms.map((a) => a.weight));
    const bucket = this.external(splitBucket);
    const salt = n.salt ?? `${this.def.id}/${n.id}`;
    const id = this.nodes.get(n.id)!.index;
    const lines = [`const b${id} = ${bucket}(${lit(salt)}, String(${c.js}));`];
    n.arms.forEach((a, j) => {
      lines.push(`${j > 0 ? 'else ' : ''}if (b${id} < ${bounds[j]}) { A[${lit(n.id)}] = ${lit(a.name)}; ${step(`arm: ${lit(a.name)}`)}${goto(a.next)} }`);
    });
    void trace;
    return lines.join('\n');
  }

  private emitSubflow(n: SubflowNode, base: Path, trace: boolean, step: (f: string) => string, goto: (id: string) => string): string {
    const scope = this.nodeScope(n.id);
    this.subflows.push(n.version !== undefined ? { flow: n.flow, version: n.version } : { flow: n.flow });
    const sub = this.options.resolveFlow?.(n.flow, n.version);
    if (!sub) {
      this.diag.add([...base, 'flow'], `sub-flow '${n.flow}'${n.version !== undefined ? ` version ${n.version}` : ''} is not available`, { node: n.id });
      return '';
    }
    if (n.version !== undefined && String(sub.version) !== String(n.version)) {
      // A resolver that only knows one version (a file beside this one) must not stand in for the pinned one.
      this.diag.add([...base, 'version'], `sub-flow '${n.flow}' version ${n.version} is not available (found version ${sub.version})`, { node: n.id });
      return '';
    }
    const args: string[] = [];
    for (const [name, expr] of Object.entries(n.inputs)) {
      const spec = sub.definition.inputs[name];
      if (!spec) { this.diag.add([...base, 'inputs', name], `sub-flow '${n.flow}' has no input '${name}'`, { node: n.id, expected: Object.keys(sub.definition.inputs).join(', ') }); continue; }
      const c = this.compileIn(expr, scope, [...base, 'inputs', name], n.id, inputType(spec));
      if (c) args.push(`${lit(name)}: ${c.js}`);
    }
    for (const [name, spec] of Object.entries(sub.definition.inputs)) {
      if (spec.required !== false && !(name in n.inputs)) this.diag.add([...base, 'inputs'], `sub-flow '${n.flow}' needs input '${name}'`, { node: n.id });
    }
    const call = this.external(sub.evaluate);
    const id = this.nodes.get(n.id)!.index;
    const order = this.subflowOrder.get(n) ?? 0;
    const lines = [
      `const u${id} = ${call}({ ${args.join(', ')} }, SUBOPTS);`,
      `if (!u${id}.ok) rt.failEval(${lit(`sub-flow '${n.flow}' failed: `)} + u${id}.error.message);`,
    ];
    if (n.mergeReasons !== false) {
      lines.push(`for (const r of u${id}.reasonDetails) R.push({ code: r.code, action: r.action, message: r.message, node: r.node, order: ${lit(order)} + (r.order ?? 0) / 1e6 });`);
      lines.push(`if (u${id}.decision === "DECLINE") D |= 2; else if (u${id}.decision === "REVIEW") D |= 1;`);
    }
    for (const [local, remote] of Object.entries(n.outputs ?? {})) {
      const o = this.outputs.get(local)!;
      const src = remote === 'decision' || remote === 'creditLine' || remote === 'priceBand' ? `u${id}.${remote}` : `u${id}.outputs[${lit(remote)}]`;
      lines.push(`${o.js} = ${src} ?? null;`);
    }
    lines.push(step(`subflow: { flow: ${lit(sub.id)}, version: ${lit(sub.version)}, decision: u${id}.decision${trace ? `, trace: u${id}.trace` : ''} }`));
    if (n.next) lines.push(goto(n.next));
    return lines.join('\n');
  }

  private emitOutcome(n: OutcomeNode, base: Path, trace: boolean, step: (f: string) => string): string {
    const lines: string[] = [];
    const d = (n.decision ?? 'auto').trim();
    if (d === 'auto') lines.push('const dec = D & 2 ? "DECLINE" : D & 1 ? "REVIEW" : "APPROVE";');
    else if (DECISIONS.has(d.toUpperCase())) lines.push(`const dec = ${lit(d.toUpperCase())};`);
    else {
      const autoScope = this.nodeScope(n.id, { auto: { type: T.string, js: '(D & 2 ? "DECLINE" : D & 1 ? "REVIEW" : "APPROVE")', kind: 'special' } });
      const c = this.compileIn(d, autoScope, [...base, 'decision'], n.id, T.string);
      if (c) lines.push(`const dec = ${c.js}; if (dec !== "APPROVE" && dec !== "DECLINE" && dec !== "REVIEW") rt.failEval(${lit(`outcome '${n.id}': decision must be APPROVE, DECLINE or REVIEW, got `)} + String(dec));`);
    }
    const scope = this.nodeScope(n.id, { decision: { type: T.string, js: 'dec', kind: 'special' } });
    const num = (expr: string | undefined, key: string) => {
      if (expr === undefined) return 'null';
      const c = this.compileIn(expr, scope, [...base, key], n.id, nullable(T.double));
      return c ? c.js : 'null';
    };
    const creditLine = num(n.creditLine, 'creditLine');
    let priceBand = 'null';
    if (n.priceBand !== undefined) {
      const c = this.compileIn(n.priceBand, scope, [...base, 'priceBand'], n.id, nullable(T.string));
      if (c) priceBand = c.js;
    }
    const outs: string[] = [];
    for (const [name, expr] of Object.entries(n.outputs ?? {})) {
      const c = this.compileIn(expr, scope, [...base, 'outputs', name], n.id);
      if (c) outs.push(`${lit(name)}: ${c.js}`);
    }
    lines.push(`const cl = ${creditLine};`);
    lines.push(`const pb = ${priceBand};`);
    lines.push(`const outs = { ${outs.join(', ')} };`);
    lines.push('if (SORT) R.sort(byOrder);');
    lines.push('const reasons = []; for (let k = 0; k < R.length; k++) { const c = R[k].code; if (reasons.indexOf(c) < 0) reasons.push(c); }');
    lines.push(step(`outputs: outs`));
    const res = `{ ok: true, flow: FLOW, version: VERSION, decision: dec, reasons, reasonDetails: R, creditLine: cl, priceBand: pb, outputs: outs, arms: ${this.usesSplits ? 'A' : 'EMPTY_OBJ'}, flags: ${this.usesFlags ? 'F' : 'EMPTY_ARR'}, outcomeNode: ${lit(n.id)} }`;
    lines.push(`const res = ${res};`);
    lines.push('if (opts !== undefined && opts.variables === true) res.variables = VARS_OBJ;');
    if (trace) lines.push('res.trace = { steps: TS, variables: VARS_OBJ, totalMicros: (PERF() - T0) * 1000 };');
    lines.push('return res;');
    return lines.join('\n');
  }

  // ---------------------------------------------------------------- assembly

  private inputCode(): string {
    const lines: string[] = ['if (input === null || typeof input !== "object" || Array.isArray(input)) return BAD(input);'];
    for (const [name, { spec, js }] of this.inputs) {
      const v = js;
      lines.push(`let ${v} = input[${lit(name)}];`);
      const missing = spec.required === false
        ? `${v} = ${spec.default !== undefined ? jsonLit(spec.default) : 'null'};`
        : 'return BAD(input);';
      let check: string;
      switch (spec.type) {
        case 'number': check = `typeof ${v} !== "number" || !Number.isFinite(${v})`; break;
        case 'integer': check = `!Number.isSafeInteger(${v})`; break;
        case 'string': check = `typeof ${v} !== "string"`; break;
        case 'boolean': check = `typeof ${v} !== "boolean"`; break;
        case 'enum': check = `!${this.constant(`new Set([${(spec.values ?? []).map((x) => lit(x)).join(', ')}])`)}.has(${v})`; break;
        case 'date': check = `typeof ${v} !== "string" || !rt.isIsoDate(${v})`; break;
        case 'timestamp': check = `typeof ${v} !== "string" || Number.isNaN(${v} = rt.timestampOrNaN(${v}))`; break;
        default: {
          const validator = this.external((value: unknown) => {
            const errs: ErrorDetail[] = [];
            validateField({ ...spec, required: true }, value, name, errs);
            return errs.length === 0;
          });
          check = `!${validator}(${v})`;
        }
      }
      if (spec.min !== undefined) check += ` || ${v} < ${lit(spec.min)}`;
      if (spec.max !== undefined) check += ` || ${v} > ${lit(spec.max)}`;
      if (spec.type === 'string') {
        if (spec.minLength !== undefined) check += ` || ${v}.length < ${lit(spec.minLength)}`;
        if (spec.maxLength !== undefined) check += ` || ${v}.length > ${lit(spec.maxLength)}`;
        if (spec.pattern !== undefined) check += ` || !${this.constant(`new RegExp(${lit(spec.pattern)}, "u")`)}.test(${v})`;
      }
      lines.push(`if (${v} === undefined || ${v} === null) { ${missing} } else if (${check}) return BAD(input);`);
    }
    return lines.join('\n');
  }

  private instantiate(fast: string, traced: string) {
    const varsObj = `{ ${this.variableOrder.map((n) => `${lit(n)}: ${this.variables.get(n)!.js}`).join(', ')} }`;
    const needSort = this.needsReasonSort();
    const prelude = (trace: boolean) => [
      this.inputCode(),
      this.ctx.usesNow ? 'const NOW = rt.resolveNow(opts === undefined ? undefined : opts.now);' : '',
      this.ctx.usedWatchlists.size ? 'const WLP = opts === undefined ? undefined : opts.watchlist; const WL = (l, v) => { if (WLP === undefined) rt.failEval("the flow uses inWatchlist() but no watchlist lookup was given"); return WLP(l, v) === true; };' : '',
      'const SUBOPTS = opts;',
      // VAR names the variable being computed, so a failure there (division by zero) says which one.
      ...this.variableOrder.map((n, i) => { const v = this.variables.get(n)!; return `VAR = ${i}; const ${v.js} = ${v.code};`; }),
      this.variableOrder.length ? 'VAR = -1;' : '',
      [...this.outputs.values()].map((o) => `let ${o.js} = ${o.defaultJs};`).join(' '),
      `let D = 0; const R = [];${this.usesFlags ? ' const F = [];' : ''}${this.usesSplits ? ' const A = {};' : ''}`,
      trace ? 'const TS = []; const T0 = PERF();' : '',
    ].filter(Boolean).join('\n');
    // Everything after the input checks runs inside the try, variables and the clock included: evaluate never throws.
    const fn = (trace: boolean, body: string) =>
      `function ${trace ? 'runTrace' : 'runFast'}(input, opts) {\nlet CUR = -1, VAR = -1;\ntry {\n${prelude(trace)}\n${body.replaceAll('VARS_OBJ', varsObj)}\n} catch (e) { return FAIL(e, CUR, VAR); }\n}`;
    // Build the function texts first: input checks hoist constants of their own.
    const fastFn = fn(false, fast);
    const traceFn = fn(true, traced);
    const source = [
      '"use strict";',
      ...this.consts,
      `const FLOW = ${lit(this.def.id)}, VERSION = ${jsonLit(this.def.version)}, SORT = ${needSort};`,
      'const EMPTY_OBJ = Object.freeze({}), EMPTY_ARR = Object.freeze([]);',
      'const byOrder = (a, b) => a.order - b.order;',
      'const BAD = X[0];',
      fastFn,
      traceFn,
      'return { runFast, runTrace };',
    ].join('\n');
    const nodeIds = this.def.nodes.map((n) => n.id);
    const flowId = this.def.id, version = this.def.version;
    const variableNames = [...this.variableOrder];
    const FAIL = (e: unknown, cur: number, variable: number): DecisionFailure => {
      const node = cur >= 0 ? nodeIds[cur] : undefined;
      const name = variable >= 0 ? variableNames[variable] : undefined;
      const message = e instanceof rt.EvalFailure ? e.message : `internal error: ${(e as Error)?.message ?? String(e)}`;
      const detail: ErrorDetail = { message };
      if (node) { detail.node = node; detail.path = `nodes[${cur}]`; } else if (name) detail.path = `variables.${name}`;
      const where = node ? `node '${node}': ` : name ? `variable '${name}': ` : '';
      return { ok: false, flow: flowId, version, error: { code: 'EVAL_ERROR', message: where + message, details: [detail] } };
    };
    const runtime = { ...rt, timestampOrNaN: (s: string) => (/^\d{4}-\d{2}-\d{2}T/.test(s) ? Date.parse(s) : NaN) };
    let made: { runFast: (i: unknown, o?: EvaluateOptions) => DecisionResult; runTrace: (i: unknown, o?: EvaluateOptions) => DecisionResult };
    try {
      made = new Function('rt', 'X', 'PERF', 'FAIL', source)(runtime, this.externals, () => performance.now(), FAIL);
    } catch (e) {
      throw new MingjianError('INTERNAL', `generated code for flow '${flowId}' failed to compile: ${(e as Error).message}\n${source}`);
    }
    return made;
  }

  /** Reasons need sorting at the outcome only if some path visits nodes out of document order (or uses sub-flows). */
  private needsReasonSort(): boolean {
    if (this.def.nodes.some((n) => n.type === 'subflow')) return true;
    const start = this.startId();
    let ok = true;
    const check = (id: string, maxIndex: number, seen: Set<string>) => {
      if (!ok || seen.has(id)) return;
      const { def: n, index } = this.nodes.get(id)!;
      const producesReasons = n.type === 'ruleset' || n.type === 'decision-table';
      if (producesReasons && index < maxIndex) { ok = false; return; }
      const next = producesReasons ? Math.max(maxIndex, index) : maxIndex;
      for (const s of this.successors(n)) check(s.target, next, new Set([...seen, id]));
    };
    check(start, -1, new Set());
    return !ok;
  }

  private dependencies(): FlowDependencies {
    const inputs = new Set<string>();
    const variables = new Set<string>();
    const byNode: Record<string, string[]> = {};
    const expand = (name: string, acc: Set<string>) => {
      if (acc.has(name)) return;
      acc.add(name);
      const v = this.variables.get(name);
      if (v) for (const r of v.reads) expand(r, acc);
    };
    for (const [node, reads] of Object.entries(this.readsByNode)) {
      const acc = new Set<string>();
      for (const r of reads) expand(r, acc);
      byNode[node] = [...acc].filter((x) => this.inputs.has(x) || this.variables.has(x)).sort();
      for (const x of acc) {
        if (this.inputs.has(x)) inputs.add(x);
        if (this.variables.has(x)) variables.add(x);
      }
    }
    return {
      inputs: [...inputs].sort(),
      variables: [...variables].sort(),
      lists: [...this.ctx.usedLists].sort(),
      watchlists: [...this.ctx.usedWatchlists].sort(),
      subflows: this.subflows,
      byNode,
    };
  }
}

function piiPaths(inputs: Record<string, InputField>, prefix = ''): string[] {
  const out: string[] = [];
  for (const [k, f] of Object.entries(inputs)) {
    const p = prefix ? `${prefix}.${k}` : k;
    if (f.pii) out.push(p);
    if (f.type === 'object' && f.fields) out.push(...piiPaths(f.fields, p));
    if (f.type === 'list' && f.items?.pii) out.push(`${p}[]`);
  }
  return out;
}
