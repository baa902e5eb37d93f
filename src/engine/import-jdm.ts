// Converts a GoRules JDM decision graph into a Mingjian flow that gives the same outputs.
// Pure: a parsed JDM document in, a FlowDefinition and warnings out. Anything it cannot translate exactly fails with a
// MingjianError naming the JDM node, rather than producing a flow that would decide differently.
//
// How the pieces map (see docs/import-jdm.md):
// - expression node: keys over inputs only become flow variables; keys over earlier node results become a rule set of
//   `set` rules; the expression node feeding the output node becomes the outcome (decision, creditLine, outputs).
// - decision table, hit policy first: a decision table (or, when a cell is not a plain unary test, a first-hit rule set
//   of `set` rules).
// - decision table, collect, with code/action outputs: a rule set (every decline/review row adds its reason code).
// - decision table, collect, with points summed later by `sum(map(rows, #.points))`: a scorecard (or a collect-sum
//   decision table when rows test several columns at once).
// - switch node, hit policy first: a switch; nodes after the branches are repeated on each branch.
// ZEN numbers are decimals; Mingjian numbers are IEEE doubles (as in the JSON the host sends): translated arithmetic
// on fractions can differ in the last digit, comparisons against the inputs' own values do not.

import { MingjianError, type ErrorDetail } from '../kernel/errors.ts';
import type {
  Cell, DecisionTableNode, DecisionTableRule, FlowDefinition, InputField, NodeDefinition, OutcomeNode,
  OutputDeclaration, Rule, RuleSetNode, ScorecardAttribute, ScorecardBin, ScorecardNode, SwitchNode,
} from './types.ts';
import { fieldPath, parseZenExpression, parseZenUnaryTest, ZenSyntaxError, type ZenNode } from './zen-expression.ts';

// ---------------------------------------------------------------- JDM document shapes

export interface JdmNode {
  id: string;
  name?: string;
  type: string;
  content?: any;
}

export interface JdmEdge {
  id?: string;
  sourceId: string;
  targetId: string;
  sourceHandle?: string | null;
}

export interface JdmDocument {
  contentType?: string;
  nodes: JdmNode[];
  edges: JdmEdge[];
}

export interface ImportJdmOptions {
  /** Flow id (default `imported-jdm`). */
  id?: string;
  version?: string | number;
  name?: string;
  /**
   * One sample application: field types are read from its values (overriding what usage suggests), and its fields
   * that the graph never reads are declared as optional inputs so such applications stay valid.
   */
  sample?: Record<string, unknown>;
}

export interface ImportJdmResult {
  flow: FlowDefinition;
  /** What the import could not carry over exactly but did not need to fail for (e.g. an output list of rows dropped). */
  warnings: ErrorDetail[];
}

/** JDM node types with a Mingjian counterpart. */
const SUPPORTED_NODE_TYPES = new Set(['inputNode', 'outputNode', 'expressionNode', 'decisionTableNode', 'switchNode']);
const UNSUPPORTED_NODE_REASONS: Record<string, string> = {
  functionNode: 'function nodes run arbitrary JavaScript, which has no declarative Mingjian counterpart',
  customNode: 'custom nodes are evaluated by host code outside the graph',
  decisionNode: 'decision (sub-graph) nodes load another JDM document; import that graph separately as a sub-flow',
  httpNode: 'HTTP nodes call external services during evaluation; Mingjian flows are pure',
};

// ---------------------------------------------------------------- values and symbols

type ValueType = 'number' | 'string' | 'boolean' | 'list' | 'map' | 'null' | 'unknown';

/** A translated CEL expression with its precedence (for parenthesising) and inferred type. */
interface Cel {
  text: string;
  prec: number;
  type: ValueType;
  /** Set when the expression is a plain read of an input field (its type may be learned from use). */
  inputPath?: string;
  /** True when it reads a value produced by an earlier node (so it cannot be a flow variable). */
  readsNodes?: boolean;
}

// CEL precedence levels, loosest first.
const P_COND = 1, P_OR = 2, P_AND = 3, P_REL = 4, P_ADD = 5, P_MUL = 6, P_UNARY = 7, P_PRIMARY = 8;

type Sym =
  | { kind: 'value'; name: string; type: ValueType; variable: boolean }
  /** Rows `{code, action}` of rule-set tables, by Mingjian node id in flow order. */
  | { kind: 'reasons'; nodes: string[] }
  /** Rows of a points table that became a scorecard; `sum(map(rows, #.<field>))` reads the scorecard's total. */
  | { kind: 'items'; node: string; field: string; total: string };

interface PathState {
  symbols: Map<string, Sym>;
  /** Symbol path -> id of the JDM node that produced it (for ZEN's pass-through visibility). */
  producers: Map<string, string>;
  /** Rule-set nodes on this path whose rows are reason codes, in flow order. */
  reasonNodes: string[];
}

function define(state: PathState, path: string, sym: Sym, from: string): void {
  state.symbols.set(path, sym);
  state.producers.set(path, from);
}

const CEL_RESERVED = new Set(['in', 'as', 'break', 'const', 'continue', 'else', 'for', 'function', 'if', 'import', 'let', 'loop', 'package', 'namespace', 'return', 'var', 'void', 'while', 'true', 'false', 'null']);
const OUTCOMES = new Set(['APPROVE', 'DECLINE', 'REVIEW']);
const CLOSURE_VAR = '_it';

function fail(node: JdmNode | undefined, message: string, path?: string): never {
  const label = node ? `JDM node '${node.name ?? node.id}' (${node.type})` : 'JDM document';
  throw new MingjianError('VALIDATION', `${label}: ${message}`, [{ node: node?.name ?? node?.id, path, message }]);
}

function formatDouble(v: number): string {
  if (!Number.isFinite(v)) throw new Error(`number ${v} has no CEL literal`);
  const s = String(v);
  return /[.eE]/.test(s) ? s : `${s}.0`;
}

function paren(c: Cel, min: number): string {
  return c.prec < min ? `(${c.text})` : c.text;
}

function isIdentifier(s: string): boolean {
  return /^[A-Za-z_][A-Za-z0-9_]*$/.test(s) && !CEL_RESERVED.has(s);
}

// ---------------------------------------------------------------- the importer

class JdmImporter {
  private readonly nodesById = new Map<string, JdmNode>();
  private readonly outgoing = new Map<string, JdmEdge[]>();
  private readonly incoming = new Map<string, JdmEdge[]>();
  private order: JdmNode[] = [];
  /** Input field path -> type learned from use (or the sample). */
  readonly inputTypes = new Map<string, ValueType>();
  private readonly inputsRead = new Set<string>();
  private readonly optionalInputs = new Set<string>();
  /** Field types declared by the input node's JSON Schema, when it has one. */
  private readonly schemaTypes = new Map<string, ValueType>();
  private readonly visibility = new Map<string, { inputs: boolean; producers: Set<string> }>();
  private readonly usedNames = new Set<string>();
  private readonly usedNodeIds = new Set<string>();
  private readonly usedRuleIds = new Set<string>();
  private variables: Record<string, string> = {};
  private nodes: NodeDefinition[] = [];
  warnings: ErrorDetail[] = [];
  /** Points tables summed by a later expression: table outputPath -> { key that holds the sum, summed field }. */
  private readonly pointSums = new Map<string, { key?: string; field: string }>();

  constructor(private readonly doc: JdmDocument, private readonly options: ImportJdmOptions) {}

  run(): FlowDefinition {
    this.checkShape();
    this.readInputSchema();
    this.computeVisibility();
    this.findPointSums();
    const input = this.order.find((n) => n.type === 'inputNode')!;
    const state: PathState = { symbols: new Map(), producers: new Map(), reasonNodes: [] };
    const start = this.emitChain(this.order.slice(this.order.indexOf(input) + 1), new Map(), state, '');
    const flow: FlowDefinition = {
      id: this.options.id ?? 'imported-jdm',
      version: this.options.version ?? 1,
      ...(this.options.name ? { name: this.options.name } : {}),
      description: 'Imported from a GoRules JDM decision graph by `mingjian import-jdm`.',
      inputs: this.buildInputs(),
      ...(Object.keys(this.variables).length ? { variables: this.variables } : {}),
      start,
      nodes: this.nodes,
    };
    return flow;
  }

  // ------------------------------------------------------------ graph checks and ordering

  private checkShape(): void {
    const doc = this.doc;
    if (!doc || typeof doc !== 'object' || !Array.isArray(doc.nodes) || !Array.isArray(doc.edges)) {
      fail(undefined, 'expected a JDM decision graph: an object with `nodes` and `edges` arrays');
    }
    const problems: ErrorDetail[] = [];
    for (const n of doc.nodes) {
      if (!n || typeof n.id !== 'string' || typeof n.type !== 'string') fail(undefined, 'every node needs a string `id` and `type`');
      if (this.nodesById.has(n.id)) fail(n, `duplicate node id '${n.id}'`);
      this.nodesById.set(n.id, n);
      if (!SUPPORTED_NODE_TYPES.has(n.type)) {
        const why = UNSUPPORTED_NODE_REASONS[n.type] ?? 'this node type has no Mingjian counterpart';
        problems.push({ node: n.name ?? n.id, message: `JDM node '${n.name ?? n.id}' (${n.type}) cannot be converted: ${why}` });
      }
    }
    if (problems.length) {
      throw new MingjianError('VALIDATION', problems.map((p) => p.message).join('; '), problems);
    }
    for (const e of doc.edges) {
      if (!this.nodesById.has(e.sourceId) || !this.nodesById.has(e.targetId)) {
        fail(undefined, `edge '${e.id ?? '?'}' joins unknown nodes '${e.sourceId}' -> '${e.targetId}'`);
      }
      (this.outgoing.get(e.sourceId) ?? this.outgoing.set(e.sourceId, []).get(e.sourceId)!).push(e);
      (this.incoming.get(e.targetId) ?? this.incoming.set(e.targetId, []).get(e.targetId)!).push(e);
    }
    const inputs = doc.nodes.filter((n) => n.type === 'inputNode');
    if (inputs.length !== 1) fail(undefined, `expected exactly one inputNode, found ${inputs.length}`);
    // Topological order (Kahn), ties broken by document order so the flow reads like the graph.
    const indeg = new Map(doc.nodes.map((n) => [n.id, (this.incoming.get(n.id) ?? []).length]));
    const ready = doc.nodes.filter((n) => indeg.get(n.id) === 0);
    const docIndex = new Map(doc.nodes.map((n, i) => [n.id, i]));
    while (ready.length) {
      ready.sort((a, b) => docIndex.get(a.id)! - docIndex.get(b.id)!);
      const n = ready.shift()!;
      this.order.push(n);
      for (const e of this.outgoing.get(n.id) ?? []) {
        const d = indeg.get(e.targetId)! - 1;
        indeg.set(e.targetId, d);
        if (d === 0) ready.push(this.nodesById.get(e.targetId)!);
      }
    }
    if (this.order.length !== doc.nodes.length) {
      const stuck = doc.nodes.filter((n) => !this.order.includes(n)).map((n) => n.name ?? n.id);
      fail(undefined, `the graph has a cycle through ${stuck.join(', ')}`);
    }
  }

  /**
   * What ZEN lets each node see: a node receives the merged output of its predecessors, and a predecessor with
   * passThrough off hands on only its own results (not the application, not earlier results).
   */
  private computeVisibility(): void {
    const passes = (n: JdmNode): boolean => n.type === 'switchNode' || n.content?.passThrough !== false;
    for (const n of this.order) {
      const v = { inputs: false, producers: new Set<string>() };
      for (const e of this.incoming.get(n.id) ?? []) {
        const p = this.nodesById.get(e.sourceId)!;
        if (p.type === 'inputNode') { v.inputs = true; continue; }
        if (p.type !== 'switchNode') v.producers.add(p.id);
        if (passes(p)) {
          const pv = this.visibility.get(p.id)!;
          if (pv.inputs) v.inputs = true;
          for (const x of pv.producers) v.producers.add(x);
        }
      }
      this.visibility.set(n.id, v);
    }
  }

  /** Newer JDM editors keep a JSON Schema of the request on the input node: its field types beat inference. */
  private readInputSchema(): void {
    const input = this.doc.nodes.find((n) => n.type === 'inputNode');
    let schema = input?.content?.schema;
    if (typeof schema === 'string') {
      try { schema = JSON.parse(schema); } catch { fail(input, 'the input schema is not valid JSON'); }
    }
    const walk = (props: unknown, prefix: string): void => {
      if (!props || typeof props !== 'object') return;
      for (const [name, def] of Object.entries(props as Record<string, any>)) {
        const t = Array.isArray(def?.type) ? def.type.find((x: string) => x !== 'null') : def?.type;
        const type: ValueType | undefined = t === 'number' || t === 'integer' ? 'number' : t === 'string' ? 'string' : t === 'boolean' ? 'boolean' : t === 'array' ? 'list' : t === 'object' ? 'map' : undefined;
        if (type && type !== 'map') this.schemaTypes.set(prefix + name, type);
        if (t === 'object') walk(def.properties, `${prefix}${name}.`);
      }
    };
    if (schema && typeof schema === 'object') walk((schema as { properties?: unknown }).properties, '');
  }

  /** Finds `sum(map(rows, #.field))` in expression nodes: the collect tables those rows come from become scorecards. */
  private findPointSums(): void {
    for (const n of this.doc.nodes) {
      if (n.type !== 'expressionNode') continue;
      for (const e of (n.content?.expressions ?? []) as { key: string; value: string }[]) {
        let ast: ZenNode;
        try { ast = parseZenExpression(e.value ?? ''); } catch { continue; }
        const visit = (z: ZenNode, top: boolean): void => {
          const m = matchPointSum(z);
          if (m) {
            const prev = this.pointSums.get(m.rows);
            const key = top && isIdentifier(e.key) && !n.content?.outputPath ? e.key : prev?.key;
            this.pointSums.set(m.rows, { key, field: m.field });
            return;
          }
          for (const c of children(z)) visit(c, false);
        };
        visit(ast, true);
      }
    }
  }

  private reachable(handles: Map<string, string | null>): Set<string> {
    const input = this.order.find((n) => n.type === 'inputNode')!;
    const seen = new Set([input.id]);
    const stack = [input.id];
    while (stack.length) {
      const id = stack.pop()!;
      const node = this.nodesById.get(id)!;
      for (const e of this.outgoing.get(id) ?? []) {
        if (node.type === 'switchNode' && handles.has(id) && (e.sourceHandle ?? null) !== handles.get(id)) continue;
        if (!seen.has(e.targetId)) {
          seen.add(e.targetId);
          stack.push(e.targetId);
        }
      }
    }
    return seen;
  }

  /**
   * Emits the nodes of one path (those still reachable given the switch branches taken so far) and returns the id of
   * the first Mingjian node. Each path ends in an outcome; a switch emits one path per branch.
   */
  private emitChain(remaining: JdmNode[], handles: Map<string, string | null>, state: PathState, suffix: string): string {
    const live = this.reachable(handles);
    const chain: NodeDefinition[] = [];
    const link = (n: NodeDefinition): void => {
      const prev = chain[chain.length - 1];
      if (prev) (prev as { next?: string }).next = n.id;
      chain.push(n);
      this.nodes.push(n);
    };
    for (let i = 0; i < remaining.length; i++) {
      const jdm = remaining[i]!;
      if (!live.has(jdm.id)) continue;
      if (jdm.type === 'outputNode') {
        const after = remaining.slice(i + 1).find((n) => live.has(n.id) && n.type !== 'outputNode');
        if (after) fail(after, `runs after the output node '${jdm.name ?? jdm.id}' on a parallel path; graphs whose paths end in different output nodes do not convert`);
        link(this.buildOutcome(jdm, state, suffix, undefined));
        return chain[0]!.id;
      }
      if (jdm.type === 'expressionNode' && this.feedsOnlyOutput(jdm)) {
        const outs = (this.outgoing.get(jdm.id) ?? []).map((e) => e.targetId);
        if (remaining.slice(i + 1).every((n) => !live.has(n.id) || outs.includes(n.id) || n.type === 'outputNode')) {
          link(this.buildOutcome(jdm, state, suffix, jdm));
          return chain[0]!.id;
        }
      }
      if (jdm.type === 'switchNode') {
        const first = this.buildSwitch(jdm, remaining.slice(i + 1), handles, state, suffix);
        const prev = chain[chain.length - 1];
        if (!prev) return first;
        (prev as { next?: string }).next = first;
        return chain[0]!.id;
      }
      for (const n of this.convertNode(jdm, state, suffix)) link(n);
    }
    // The path never reached an output node. Without any output node in the graph, ZEN returns the leaves'
    // results (what the path computed); otherwise this is a branch that leads nowhere and ZEN's result is empty.
    const hasOutput = this.doc.nodes.some((n) => n.type === 'outputNode');
    link(hasOutput ? this.emptyOutcome(suffix) : this.buildOutcome(undefined, state, suffix, undefined));
    return chain[0]!.id;
  }

  /** An expression node whose result is the graph's result: it feeds only output nodes, or is a leaf (ZEN then
   * returns the leaves' results, as for graphs saved without an output node). */
  private feedsOnlyOutput(n: JdmNode): boolean {
    const outs = this.outgoing.get(n.id) ?? [];
    return outs.every((e) => this.nodesById.get(e.targetId)!.type === 'outputNode');
  }

  // ------------------------------------------------------------ names

  private uniqueName(base: string): string {
    let name = base.replace(/[^A-Za-z0-9_]/g, '_');
    if (!/^[A-Za-z_]/.test(name)) name = `_${name}`;
    if (CEL_RESERVED.has(name) || name === 'decision') name = `${name}_value`;
    let candidate = name;
    for (let k = 2; this.usedNames.has(candidate); k++) candidate = `${name}_${k}`;
    this.usedNames.add(candidate);
    return candidate;
  }

  private nodeId(jdm: JdmNode, suffix: string, extra = ''): string {
    const base = `${(jdm.name ?? jdm.id).replace(/[^A-Za-z0-9_-]+/g, '-').replace(/^-+|-+$/g, '') || 'node'}${extra}${suffix}`;
    let id = base;
    for (let k = 2; this.usedNodeIds.has(id); k++) id = `${base}-${k}`;
    this.usedNodeIds.add(id);
    return id;
  }

  private ruleId(preferred: string | undefined, fallback: string): string {
    const base = preferred && /^[A-Za-z0-9_.-]+$/.test(preferred) ? preferred : fallback;
    let id = base;
    for (let k = 2; this.usedRuleIds.has(id); k++) id = `${base}-${k}`;
    this.usedRuleIds.add(id);
    return id;
  }

  // ------------------------------------------------------------ inputs

  /** The type the sample application or the input schema gives a field, if any. */
  private declaredType(path: string): ValueType | undefined {
    return (this.options.sample ? sampleType(this.options.sample, path) : undefined) ?? this.schemaTypes.get(path);
  }

  private learn(c: Cel, type: ValueType): void {
    if (!c.inputPath || type === 'unknown' || type === 'null') return;
    if (this.declaredType(c.inputPath) !== undefined) return;
    if (!this.inputTypes.has(c.inputPath) || this.inputTypes.get(c.inputPath) === 'unknown') {
      this.inputTypes.set(c.inputPath, type);
    }
  }

  private buildInputs(): Record<string, InputField> {
    const root: Record<string, InputField> = {};
    const unresolved: string[] = [];
    const place = (path: string, field: InputField): void => {
      const parts = path.split('.');
      let fields = root;
      for (let i = 0; i < parts.length - 1; i++) {
        const p = parts[i]!;
        const existing = fields[p];
        if (!existing || existing.type !== 'object') fields[p] = { type: 'object', ...(existing?.required === false ? { required: false } : {}), fields: existing?.fields ?? {} };
        fields = fields[p]!.fields!;
      }
      const last = parts[parts.length - 1]!;
      if (fields[last]?.type === 'object') return; // read both as a whole and by field: the object wins
      fields[last] = field;
    };
    const reads = [...this.inputsRead].sort((a, b) => a.split('.').length - b.split('.').length || a.localeCompare(b));
    for (const path of reads) {
      if (reads.some((other) => other.startsWith(`${path}.`))) continue; // an object read by its fields
      const type = this.declaredType(path) ?? this.inputTypes.get(path) ?? 'unknown';
      if (type === 'unknown' || type === 'null') {
        unresolved.push(path);
        continue;
      }
      place(path, {
        type: type === 'map' ? 'object' : type === 'list' ? 'list' : type,
        ...(type === 'map' ? { fields: {} } : {}),
        ...(this.optionalInputs.has(path) ? { required: false } : {}),
      } as InputField);
    }
    if (unresolved.length) {
      throw new MingjianError(
        'VALIDATION',
        `JDM document: cannot tell the type of input field(s) ${unresolved.join(', ')} from how the graph uses them; pass a sample application (--sample FILE) to type them`,
        unresolved.map((p) => ({ path: p, message: 'input type unknown', expected: 'a sample application giving its value' })),
      );
    }
    if (this.options.sample) {
      // Fields the graph never reads stay accepted: JDM ignores them, so the flow must not reject them either.
      for (const [k, v] of Object.entries(this.options.sample)) {
        if (root[k] || reads.some((p) => p.split('.')[0] === k)) continue;
        const t = valueType(v);
        if (t === 'unknown' || t === 'null') continue;
        root[k] = { type: t === 'map' ? 'object' : t, required: false, ...(t === 'map' ? { fields: {} } : {}) } as InputField;
      }
    }
    return root;
  }

  // ------------------------------------------------------------ expression translation

  private parse(jdm: JdmNode, text: unknown, where: string, unary = false): ZenNode {
    if (typeof text !== 'string') text = text === undefined || text === null ? '' : String(text);
    try {
      return unary ? parseZenUnaryTest(text as string) : parseZenExpression(text as string);
    } catch (err) {
      if (err instanceof ZenSyntaxError) fail(jdm, `${where}: ${err.message}`, where);
      throw err;
    }
  }

  private translate(z: ZenNode, ctx: TranslateContext): Cel {
    const t = (n: ZenNode): Cel => this.translate(n, ctx);
    const nope = (what: string): never => fail(ctx.jdm, `${ctx.where}: ${what}`, ctx.where);
    const reads = (...cs: Cel[]): boolean => cs.some((c) => c.readsNodes);
    switch (z.kind) {
      case 'number': return { text: formatDouble(z.value), prec: P_PRIMARY, type: 'number' };
      case 'string': return { text: JSON.stringify(z.value), prec: P_PRIMARY, type: 'string' };
      case 'bool': return { text: String(z.value), prec: P_PRIMARY, type: 'boolean' };
      case 'null': return { text: 'null', prec: P_PRIMARY, type: 'null' };
      case 'unsupported': return nope(`${z.what} are not supported`);
      case 'ident':
      case 'member': {
        const path = fieldPath(z);
        if (path) return this.resolve(path, ctx);
        const obj = t((z as { object: ZenNode }).object);
        return { text: `${paren(obj, P_PRIMARY)}.${(z as { property: string }).property}`, prec: P_PRIMARY, type: 'unknown', readsNodes: reads(obj) };
      }
      case 'index': {
        const obj = t(z.object);
        if (z.index.kind !== 'number' || !Number.isInteger(z.index.value) || z.index.value < 0) return nope('only constant non-negative list indexes are supported');
        this.learn(obj, 'list');
        return { text: `${paren(obj, P_PRIMARY)}[${z.index.value}]`, prec: P_PRIMARY, type: 'unknown', readsNodes: reads(obj) };
      }
      case 'array': {
        const items = z.items.map(t);
        const known = items.find((i) => i.type !== 'unknown' && i.type !== 'null');
        if (known) for (const i of items) this.learn(i, known.type);
        return { text: `[${items.map((i) => i.text).join(', ')}]`, prec: P_PRIMARY, type: 'list', readsNodes: reads(...items) };
      }
      case 'interval': return nope('a range like [a..b] is only supported after `in` or as a table cell');
      case 'unary': {
        const x = t(z.operand);
        if (z.op === 'not') {
          this.learn(x, 'boolean');
          return { text: `!${paren(x, P_UNARY)}`, prec: P_UNARY, type: 'boolean', readsNodes: reads(x) };
        }
        this.learn(x, 'number');
        return { text: `-${paren(x, P_UNARY)}`, prec: P_UNARY, type: 'number', readsNodes: reads(x) };
      }
      case 'conditional': {
        const test = t(z.test);
        this.learn(test, 'boolean');
        const a = t(z.then);
        const b = t(z.otherwise);
        this.unify(a, b);
        const type = a.type !== 'unknown' && a.type !== 'null' ? a.type : b.type;
        return { text: `${paren(test, P_COND + 1)} ? ${paren(a, P_COND + 1)} : ${paren(b, P_COND)}`, prec: P_COND, type, readsNodes: reads(test, a, b) };
      }
      case 'binary': return this.translateBinary(z, ctx);
      case 'call': return this.translateCall(z, ctx);
    }
  }

  private unify(a: Cel, b: Cel): void {
    if (a.type !== 'unknown' && a.type !== 'null') this.learn(b, a.type);
    if (b.type !== 'unknown' && b.type !== 'null') this.learn(a, b.type);
  }

  private translateBinary(z: Extract<ZenNode, { kind: 'binary' }>, ctx: TranslateContext): Cel {
    const nope = (what: string): never => fail(ctx.jdm, `${ctx.where}: ${what}`, ctx.where);
    if (z.op === 'in' || z.op === 'not in') {
      const left = this.translate(z.left, ctx);
      let inner: Cel;
      if (z.right.kind === 'interval') {
        const lo = this.translate(z.right.low, ctx);
        const hi = this.translate(z.right.high, ctx);
        this.learn(left, 'number');
        const l = paren(left, P_REL + 1);
        inner = {
          text: `${l} ${z.right.lowInclusive ? '>=' : '>'} ${paren(lo, P_REL + 1)} && ${l} ${z.right.highInclusive ? '<=' : '<'} ${paren(hi, P_REL + 1)}`,
          prec: P_AND, type: 'boolean', readsNodes: left.readsNodes || lo.readsNodes || hi.readsNodes,
        };
      } else {
        const right = this.translate(z.right, ctx);
        if (z.right.kind === 'array') {
          const known = z.right.items.map((i) => this.translate(i, ctx)).find((i) => i.type !== 'unknown' && i.type !== 'null');
          if (known) this.learn(left, known.type);
        } else if (left.type === 'string' && right.type !== 'list') {
          return nope('`in` on a string is not supported; use contains()');
        } else this.learn(right, 'list');
        inner = { text: `${paren(left, P_REL + 1)} in ${paren(right, P_REL + 1)}`, prec: P_REL, type: 'boolean', readsNodes: left.readsNodes || right.readsNodes };
      }
      return z.op === 'in' ? inner : { text: `!(${inner.text})`, prec: P_UNARY, type: 'boolean', readsNodes: inner.readsNodes };
    }
    const left = this.translate(z.left, ctx);
    const right = this.translate(z.right, ctx);
    const readsNodes = left.readsNodes || right.readsNodes;
    const bin = (op: string, prec: number, type: ValueType): Cel => ({
      text: `${paren(left, prec)} ${op} ${paren(right, prec + 1)}`, prec, type, readsNodes,
    });
    switch (z.op) {
      case 'and':
      case 'or':
        this.learn(left, 'boolean');
        this.learn(right, 'boolean');
        return z.op === 'and' ? bin('&&', P_AND, 'boolean') : bin('||', P_OR, 'boolean');
      case '==':
      case '!=':
        this.unify(left, right);
        return { text: `${paren(left, P_REL + 1)} ${z.op} ${paren(right, P_REL + 1)}`, prec: P_REL, type: 'boolean', readsNodes };
      case '<':
      case '<=':
      case '>':
      case '>=':
        this.unify(left, right);
        if (left.type === 'unknown' && right.type === 'unknown') { this.learn(left, 'number'); this.learn(right, 'number'); }
        return { text: `${paren(left, P_REL + 1)} ${z.op} ${paren(right, P_REL + 1)}`, prec: P_REL, type: 'boolean', readsNodes };
      case '+':
        if (left.type === 'string' || right.type === 'string') {
          this.learn(left, 'string');
          this.learn(right, 'string');
          return bin('+', P_ADD, 'string');
        }
        this.learn(left, 'number');
        this.learn(right, 'number');
        return bin('+', P_ADD, 'number');
      case '-':
        this.learn(left, 'number');
        this.learn(right, 'number');
        return bin('-', P_ADD, 'number');
      case '*':
      case '/':
        this.learn(left, 'number');
        this.learn(right, 'number');
        return bin(z.op, P_MUL, 'number');
      case '%': return nope('`%` (modulo) on ZEN decimals has no CEL counterpart for Mingjian numbers (doubles)');
      case '^': {
        // ZEN computes fractional powers with decimal approximations that differ from IEEE pow in the last digits;
        // whole exponents give the same number either way.
        if (z.right.kind !== 'number' || !Number.isInteger(z.right.value) || z.right.value < 0) return nope('`^` (power) converts only with a whole, non-negative exponent written as a number');
        this.learn(left, 'number');
        return { text: `pow(${left.text}, ${right.text})`, prec: P_PRIMARY, type: 'number', readsNodes };
      }
      case '??': {
        // A field read under `??` may be absent, as in ZEN: declare it optional (absent reads as null).
        if (left.inputPath) this.optionalInputs.add(left.inputPath);
        this.unify(left, right);
        const type = left.type !== 'unknown' && left.type !== 'null' ? left.type : right.type;
        return { text: `orDefault(${left.text}, ${right.text})`, prec: P_PRIMARY, type, readsNodes };
      }
    }
  }

  private translateCall(z: Extract<ZenNode, { kind: 'call' }>, ctx: TranslateContext): Cel {
    const nope = (what: string): never => fail(ctx.jdm, `${ctx.where}: ${what}`, ctx.where);
    const arity = (n: number): void => {
      if (z.args.length !== n) nope(`${z.name}() takes ${n} argument(s), got ${z.args.length}`);
    };
    const args = (): Cel[] => z.args.map((a) => this.translate(a, ctx));
    const readsNodes = (cs: Cel[]): boolean => cs.some((c) => c.readsNodes);
    const sum = matchPointSum(z);
    if (sum) {
      const sym = this.lookupSymbol(sum.rows.split('.'), ctx.state);
      if (sym?.sym.kind === 'items' && sym.sym.field === sum.field && sym.rest.length === 0) {
        return { text: sym.sym.total, prec: P_PRIMARY, type: 'number', readsNodes: true };
      }
    }
    switch (z.name) {
      case 'len': {
        arity(1);
        const [x] = args();
        return { text: `double(size(${x!.text}))`, prec: P_PRIMARY, type: 'number', readsNodes: readsNodes([x!]) };
      }
      case 'contains': {
        arity(2);
        const [a, b] = args();
        if (a!.type === 'list') return { text: `${paren(b!, P_REL + 1)} in ${paren(a!, P_REL + 1)}`, prec: P_REL, type: 'boolean', readsNodes: readsNodes([a!, b!]) };
        this.learn(a!, 'string');
        this.learn(b!, 'string');
        return { text: `${paren(a!, P_PRIMARY)}.contains(${b!.text})`, prec: P_PRIMARY, type: 'boolean', readsNodes: readsNodes([a!, b!]) };
      }
      case 'startsWith':
      case 'endsWith':
      case 'matches': {
        arity(2);
        const [a, b] = args();
        this.learn(a!, 'string');
        this.learn(b!, 'string');
        return { text: `${paren(a!, P_PRIMARY)}.${z.name}(${b!.text})`, prec: P_PRIMARY, type: 'boolean', readsNodes: readsNodes([a!, b!]) };
      }
      case 'abs': {
        arity(1);
        const [x] = args();
        this.learn(x!, 'number');
        const v = paren(x!, P_REL + 1);
        return { text: `${v} < 0.0 ? -${paren(x!, P_UNARY)} : ${v}`, prec: P_COND, type: 'number', readsNodes: readsNodes([x!]) };
      }
      case 'min':
      case 'max': {
        arity(1);
        const list = z.args[0]!;
        if (list.kind !== 'array' || list.items.length === 0) return nope(`${z.name}() is supported only on a written list such as ${z.name}([a, b])`);
        const items = list.items.map((i) => this.translate(i, ctx));
        for (const i of items) this.learn(i, 'number');
        // Left fold keeps ZEN's choice on ties (the earlier item) and reads each item once per comparison.
        const op = z.name === 'min' ? '<=' : '>=';
        let acc = items[0]!;
        for (const next of items.slice(1)) {
          acc = {
            text: `${paren(acc, P_REL + 1)} ${op} ${paren(next, P_REL + 1)} ? ${paren(acc, P_COND + 1)} : ${paren(next, P_COND)}`,
            prec: P_COND, type: 'number', readsNodes: acc.readsNodes || next.readsNodes,
          };
        }
        return acc;
      }
      case 'upper':
      case 'lower':
      case 'trim': {
        arity(1);
        const [x] = args();
        this.learn(x!, 'string');
        const fn = z.name === 'upper' ? 'upperAscii' : z.name === 'lower' ? 'lowerAscii' : 'trim';
        return { text: `${fn}(${x!.text})`, prec: P_PRIMARY, type: 'string', readsNodes: readsNodes([x!]) };
      }
      case 'floor':
      case 'ceil': {
        arity(1);
        const [x] = args();
        this.learn(x!, 'number');
        return { text: `${z.name}(${x!.text})`, prec: P_PRIMARY, type: 'number', readsNodes: readsNodes([x!]) };
      }
      case 'round': {
        // Both round half away from zero; the number of decimals must be a written whole number (CEL int).
        if (z.args.length !== 1 && z.args.length !== 2) return nope(`round() takes 1 or 2 arguments, got ${z.args.length}`);
        const x = this.translate(z.args[0]!, ctx);
        this.learn(x, 'number');
        const digits = z.args[1];
        if (digits && (digits.kind !== 'number' || !Number.isInteger(digits.value) || digits.value < 0)) return nope('round(x, decimals) converts only with decimals written as a whole number');
        return { text: `round(${x.text}${digits ? `, ${digits.value}` : ''})`, prec: P_PRIMARY, type: 'number', readsNodes: x.readsNodes };
      }
      case 'sum': {
        arity(1);
        const [x] = args();
        this.learn(x!, 'list');
        return { text: `sum(${x!.text})`, prec: P_PRIMARY, type: 'number', readsNodes: readsNodes([x!]) };
      }
      case 'number':
      case 'string':
      case 'bool': {
        arity(1);
        const [x] = args();
        if (z.name === 'string' && x!.type === 'number') return nope('string() of a number: ZEN keeps the written decimals (2.50), CEL does not');
        const fn = z.name === 'number' ? 'double' : z.name;
        const type: ValueType = z.name === 'number' ? 'number' : z.name === 'string' ? 'string' : 'boolean';
        return { text: `${fn}(${x!.text})`, prec: P_PRIMARY, type, readsNodes: readsNodes([x!]) };
      }
      case 'some':
      case 'all':
      case 'none':
      case 'filter':
      case 'map':
      case 'count': {
        arity(2);
        const list = this.translate(z.args[0]!, ctx);
        if (ctx.closure) return nope(`nested closures (${z.name} inside another closure) are not supported`);
        this.learn(list, 'list');
        const body = this.translate(z.args[1]!, { ...ctx, closure: true });
        const rn = list.readsNodes || body.readsNodes;
        const recv = paren(list, P_PRIMARY);
        switch (z.name) {
          case 'some': return { text: `${recv}.exists(${CLOSURE_VAR}, ${body.text})`, prec: P_PRIMARY, type: 'boolean', readsNodes: rn };
          case 'all': return { text: `${recv}.all(${CLOSURE_VAR}, ${body.text})`, prec: P_PRIMARY, type: 'boolean', readsNodes: rn };
          case 'none': return { text: `!${recv}.exists(${CLOSURE_VAR}, ${body.text})`, prec: P_UNARY, type: 'boolean', readsNodes: rn };
          case 'filter': return { text: `${recv}.filter(${CLOSURE_VAR}, ${body.text})`, prec: P_PRIMARY, type: 'list', readsNodes: rn };
          case 'map': return { text: `${recv}.map(${CLOSURE_VAR}, ${body.text})`, prec: P_PRIMARY, type: 'list', readsNodes: rn };
          default: return { text: `double(size(${recv}.filter(${CLOSURE_VAR}, ${body.text})))`, prec: P_PRIMARY, type: 'number', readsNodes: rn };
        }
      }
      default:
        return nope(`the ZEN function ${z.name}() has no CEL counterpart in Mingjian (supported: len, contains, startsWith, endsWith, matches, upper, lower, trim, abs, floor, ceil, round, sum, min/max of a written list, number, string, bool, some, all, none, filter, map, count)`);
    }
  }

  private lookupSymbol(path: string[], state: PathState): { sym: Sym; rest: string[] } | undefined {
    for (let k = path.length; k >= 1; k--) {
      const sym = state.symbols.get(path.slice(0, k).join('.'));
      if (sym) return { sym, rest: path.slice(k) };
    }
    return undefined;
  }

  private resolve(path: string[], ctx: TranslateContext): Cel {
    const nope = (what: string): never => fail(ctx.jdm, `${ctx.where}: ${what}`, ctx.where);
    const head = path[0]!;
    const member = (base: Cel, rest: string[]): Cel => rest.length === 0 ? base : {
      text: `${paren(base, P_PRIMARY)}.${rest.join('.')}`, prec: P_PRIMARY, type: 'unknown', readsNodes: base.readsNodes,
    };
    if (head === '#') {
      if (!ctx.closure) return nope('`#` used outside a closure function');
      return member({ text: CLOSURE_VAR, prec: P_PRIMARY, type: 'unknown' }, path.slice(1));
    }
    if (head === '$') {
      if (ctx.subject) return member(ctx.subject, path.slice(1));
      if (ctx.nodeKeys && path.length >= 2) {
        const own = ctx.nodeKeys.get(path[1]!);
        if (!own) return nope(`\`$.${path[1]}\` is read before this node sets it`);
        return member(own, path.slice(2));
      }
      return nope('`$` is only supported as `$.key` in expression nodes and as the column value in table cells');
    }
    const found = this.lookupSymbol(path, ctx.state);
    const seen = this.visibility.get(ctx.jdm.id);
    if (found) {
      const { sym, rest } = found;
      const from = ctx.state.producers.get(path.slice(0, path.length - rest.length).join('.'));
      if (seen && from && !seen.producers.has(from)) {
        const producer = this.nodesById.get(from);
        return nope(`reads '${path.join('.')}' from node '${producer?.name ?? from}', which ZEN does not pass on to this node (a node in between has passThrough off)`);
      }
      if (sym.kind === 'value') {
        return member({ text: sym.name, prec: P_PRIMARY, type: rest.length ? 'unknown' : sym.type, readsNodes: !sym.variable }, rest);
      }
      return nope(`\`${path.join('.')}\` is the list of rows of table node '${sym.kind === 'reasons' ? sym.nodes.join("', '") : sym.node}'; ` +
        'Mingjian converts such lists only in the idioms flatten([...]), some(rows, #.action == "DECLINE"), map(rows, #.code) and sum(map(rows, #.points))');
    }
    for (const p of path) {
      if (!isIdentifier(p)) return nope(`field name '${p}' is not a valid CEL identifier`);
    }
    const inputPath = path.join('.');
    if (seen && !seen.inputs) {
      return nope(`reads the application field '${inputPath}', which ZEN does not pass on to this node (a node in between has passThrough off, so ZEN would read null)`);
    }
    this.inputsRead.add(inputPath);
    const type = this.declaredType(inputPath) ?? this.inputTypes.get(inputPath);
    return { text: inputPath, prec: P_PRIMARY, type: type ?? 'unknown', inputPath };
  }

  translateOne(text: string, unarySubject?: string): string {
    const jdm: JdmNode = { id: 'expression', type: 'expressionNode' };
    const state: PathState = { symbols: new Map(), producers: new Map(), reasonNodes: [] };
    const ctx: TranslateContext = { jdm, where: 'expression', state };
    if (unarySubject === undefined) return this.translate(this.parse(jdm, text, 'expression'), ctx).text;
    const subject = this.translate(this.parse(jdm, unarySubject, 'field'), ctx);
    return this.cellCondition(this.parse(jdm, text, 'cell', true), subject, ctx).text;
  }

  /** Translates a table cell (a unary test on `$`) into a CEL condition over the column expression. */
  private cellCondition(test: ZenNode, subject: Cel, ctx: TranslateContext): Cel {
    return this.translate(test, { ...ctx, subject });
  }

  // ------------------------------------------------------------ nodes

  private convertNode(jdm: JdmNode, state: PathState, suffix: string): NodeDefinition[] {
    const content = jdm.content ?? {};
    if (content.executionMode && content.executionMode !== 'single') fail(jdm, `execution mode '${content.executionMode}' (loop over a list) is not supported`);
    if (content.inputField) fail(jdm, `inputField '${content.inputField}' (evaluating the node on a nested object) is not supported`);
    if (jdm.type === 'expressionNode') return this.convertExpressionNode(jdm, state, suffix);
    if (jdm.type === 'decisionTableNode') return this.convertTable(jdm, state, suffix);
    if (jdm.type === 'inputNode') return [];
    return fail(jdm, 'unexpected node type here');
  }

  private convertExpressionNode(jdm: JdmNode, state: PathState, suffix: string): NodeDefinition[] {
    const exprs = (jdm.content?.expressions ?? []) as { key: string; value: string }[];
    const prefix = jdm.content?.outputPath ? `${jdm.content.outputPath}.` : '';
    const nodeKeys = new Map<string, Cel>();
    const updates: [string, Sym][] = [];
    const sets: { key: string; name: string; cel: Cel }[] = [];
    for (const [i, e] of exprs.entries()) {
      const where = `expressions[${i}] '${e.key}'`;
      if (typeof e.key !== 'string' || !e.key) fail(jdm, `${where}: missing key`);
      const ast = this.parse(jdm, e.value, where);
      const symPath = prefix + e.key;
      const rows = this.matchReasonRows(ast, state, jdm, where);
      if (rows) {
        updates.push([symPath, rows]);
        continue;
      }
      const ctx: TranslateContext = { jdm, where, state, nodeKeys };
      const cel = this.translate(ast, ctx);
      nodeKeys.set(e.key, cel);
      const pointSum = matchPointSum(ast);
      if (pointSum && cel.prec === P_PRIMARY && cel.readsNodes && isIdentifier(cel.text)) {
        // The points table already became a scorecard whose output is this total: just name it.
        updates.push([symPath, { kind: 'value', name: cel.text, type: 'number', variable: false }]);
        continue;
      }
      const path = fieldPath(ast);
      if (path && path.join('.') === symPath) continue; // `score: score` re-exposes a value under its own name
      const name = this.uniqueName(e.key.split('.').pop()!);
      if (!cel.readsNodes) {
        this.variables[name] = cel.text;
        updates.push([symPath, { kind: 'value', name, type: cel.type, variable: true }]);
        nodeKeys.set(e.key, { text: name, prec: P_PRIMARY, type: cel.type, readsNodes: false });
      } else {
        sets.push({ key: e.key, name, cel });
        updates.push([symPath, { kind: 'value', name, type: cel.type, variable: false }]);
        nodeKeys.set(e.key, { text: name, prec: P_PRIMARY, type: cel.type, readsNodes: true });
      }
    }
    // ZEN reads the node's input for plain names and `$.key` for this node's own results, so names change only now.
    for (const [p, s] of updates) define(state, p, s, jdm.id);
    if (!sets.length) return [];
    const node: RuleSetNode = {
      id: this.nodeId(jdm, suffix),
      type: 'ruleset',
      description: `Expression node '${jdm.name ?? jdm.id}': values computed from earlier results`,
      hitPolicy: 'all',
      rules: sets.map((s) => ({ id: this.ruleId(undefined, `${jdm.name ?? jdm.id}.${s.key}`), when: 'true', action: 'set', set: { [s.name]: s.cel.text } })),
      outputs: sets.map((s) => ({ name: s.name, type: outputType(s.cel.type), default: typeDefault(s.cel.type) })),
    };
    return [node];
  }

  /** `flatten([rowsA, rowsB])` or a plain `rowsA` over rule-set rows: a new name for the same reason rows. */
  private matchReasonRows(ast: ZenNode, state: PathState, jdm: JdmNode, where: string): Sym | undefined {
    const rowsOf = (z: ZenNode): string[] | undefined => {
      const p = fieldPath(z);
      if (!p) return undefined;
      const found = p[0] === '$' ? undefined : this.lookupSymbol(p, state);
      if (found?.sym.kind === 'reasons' && found.rest.length === 0) return found.sym.nodes;
      return undefined;
    };
    if (ast.kind === 'call' && ast.name === 'flatten' && ast.args.length === 1 && ast.args[0]!.kind === 'array') {
      const parts = ast.args[0].items.map(rowsOf);
      if (parts.some((p) => p === undefined)) return undefined;
      const nodes = parts.flat() as string[];
      const order = nodes.map((n) => state.reasonNodes.indexOf(n));
      if (order.some((o, i) => i > 0 && o <= order[i - 1]!)) {
        fail(jdm, `${where}: joins reason rows in an order different from the order of their tables in the graph; Mingjian lists reason codes in policy order`, where);
      }
      return { kind: 'reasons', nodes };
    }
    const direct = rowsOf(ast);
    return direct ? { kind: 'reasons', nodes: direct } : undefined;
  }

  private tableColumns(jdm: JdmNode): { inputs: { id: string; name?: string; field?: string }[]; outputs: { id: string; name?: string; field: string }[]; rules: Record<string, any>[] } {
    const c = jdm.content ?? {};
    const inputs = (c.inputs ?? []) as { id: string; name?: string; field?: string }[];
    const outputs = (c.outputs ?? []) as { id: string; name?: string; field: string }[];
    const rules = (c.rules ?? []) as Record<string, any>[];
    for (const o of outputs) if (typeof o.field !== 'string' || !o.field) fail(jdm, `output column '${o.name ?? o.id}' has no field`);
    return { inputs, outputs, rules };
  }

  private convertTable(jdm: JdmNode, state: PathState, suffix: string): NodeDefinition[] {
    const hit = jdm.content?.hitPolicy ?? 'first';
    const { inputs, outputs, rules } = this.tableColumns(jdm);
    // Parse every input cell once: a column with a field holds unary tests on it, one without holds full conditions.
    const subjects = inputs.map((inp, i) => {
      if (!inp.field) return undefined;
      const ast = this.parse(jdm, inp.field, `inputs[${i}].field`);
      const cel = this.translate(ast, { jdm, where: `inputs[${i}].field`, state });
      if (fieldPath(ast) || cel.readsNodes) return cel;
      // A computed column (e.g. a cart total) becomes a variable, so it is computed once, not once per row.
      const name = this.uniqueName(`${jdm.name ?? jdm.id}_${inp.name ?? `column${i + 1}`}`.replace(/[^A-Za-z0-9]+(.)?/g, (_m, c: string | undefined) => (c ?? '').toUpperCase()).replace(/^./, (c) => c.toLowerCase()));
      this.variables[name] = cel.text;
      return { text: name, prec: P_PRIMARY, type: cel.type, readsNodes: false } satisfies Cel;
    });
    const conditions = rules.map((r, ri) => inputs.map((inp, ci) => {
      const where = `rules[${ri}] (${r._id ?? ri}) column '${inp.name ?? inp.id}'`;
      const text = r[inp.id];
      const subject = subjects[ci];
      const blank = text === undefined || text === null || String(text).trim() === '' || String(text).trim() === '-';
      const test: ZenNode = blank ? { kind: 'bool', value: true } : this.parse(jdm, text, where, subject !== undefined);
      const cel = subject ? this.cellCondition(test, subject, { jdm, where, state }) : this.translate(test, { jdm, where, state });
      if (!subject) this.learn(cel, 'boolean');
      const any = blank;
      return { test, cel, any, subject };
    }));
    const ruleWhen = (ri: number): string => {
      const parts = conditions[ri]!.filter((c) => !c.any).map((c) => c.cel);
      if (!parts.length) return 'true';
      return parts.map((p) => parts.length > 1 ? paren(p, P_AND + 1) : p.text).join(' && ');
    };
    const outputCell = (ri: number, oi: number): { literal?: unknown; cel: Cel; ast: ZenNode } => {
      const o = outputs[oi]!;
      const where = `rules[${ri}] (${rules[ri]!._id ?? ri}) output '${o.field}'`;
      const ast = this.parse(jdm, rules[ri]![o.id], where);
      const cel = this.translate(ast, { jdm, where, state });
      const literal = ast.kind === 'number' || ast.kind === 'string' || ast.kind === 'bool' ? ast.value : ast.kind === 'null' ? null : undefined;
      return { literal, cel, ast };
    };

    if (hit === 'collect') {
      const outputPath = jdm.content?.outputPath as string | undefined;
      if (!outputPath) fail(jdm, 'a collect table without an outputPath merges a list into the context; give it an outputPath (e.g. `reasons`)');
      const ruleset = this.tryRuleSetIdiom(jdm, outputs, rules, ruleWhen, outputCell, suffix);
      if (ruleset) {
        define(state, outputPath, { kind: 'reasons', nodes: [ruleset.id] }, jdm.id);
        state.reasonNodes.push(ruleset.id);
        return [ruleset];
      }
      const sum = this.pointSums.get(outputPath);
      if (sum) return [this.convertPointsTable(jdm, outputPath, sum, inputs, outputs, rules, conditions, outputCell, ruleWhen, state, suffix)];
      return fail(jdm, 'a collect table converts only as a rule set (outputs `code` and `action` with DECLINE/REVIEW) ' +
        `or as points summed later by sum(map(${outputPath}, #.points)); this one is neither`);
    }
    if (hit !== 'first') fail(jdm, `hit policy '${hit}' is not supported (JDM has first and collect)`);

    // First hit: outputs become named values.
    const prefix = jdm.content?.outputPath ? `${jdm.content.outputPath}.` : '';
    const outNames = outputs.map((o) => this.uniqueName(o.field.split('.').pop()!));
    const cells = rules.map((_, ri) => outputs.map((_o, oi) => outputCell(ri, oi)));
    const outTypes = outputs.map((_o, oi) => {
      const types = new Set(cells.map((row) => row[oi]!.cel.type).filter((t) => t !== 'null' && t !== 'unknown'));
      return types.size === 1 ? [...types][0]! : 'unknown';
    });
    const decl: OutputDeclaration[] = outputs.map((_o, oi) => ({ name: outNames[oi]!, type: outputType(outTypes[oi]!), default: null }));
    const asCells = conditions.map((row) => row.map((c) => c.subject ? cellFromTest(c.test) : c.any ? '-' : undefined));
    let node: NodeDefinition;
    if (asCells.every((row) => row.every((c) => c !== undefined)) && inputs.every((inp) => inp.field)) {
      const table: DecisionTableNode = {
        id: this.nodeId(jdm, suffix),
        type: 'decision-table',
        hitPolicy: 'first',
        inputs: inputs.map((inp, i) => ({ ...(inp.name ? { name: inp.name } : {}), expr: subjects[i]!.text })),
        outputs: decl,
        rules: rules.map((r, ri): DecisionTableRule => ({
          id: this.ruleId(r._id, `${jdm.name ?? jdm.id}-${ri + 1}`),
          when: asCells[ri] as Cell[],
          then: cells[ri]!.map((c) => c.literal !== undefined ? c.literal : { expr: c.cel.text }),
          ...(r._description ? { message: String(r._description) } : {}),
        })),
        allowGaps: true,
      };
      node = table;
    } else {
      const rs: RuleSetNode = {
        id: this.nodeId(jdm, suffix),
        type: 'ruleset',
        description: `First-hit decision table '${jdm.name ?? jdm.id}' (its cells are conditions, not plain unary tests)`,
        hitPolicy: 'first',
        rules: rules.map((r, ri): Rule => ({
          id: this.ruleId(r._id, `${jdm.name ?? jdm.id}-${ri + 1}`),
          when: ruleWhen(ri),
          action: 'set',
          ...(r._description ? { message: String(r._description) } : {}),
          set: Object.fromEntries(outputs.map((_o, oi) => [outNames[oi]!, cells[ri]![oi]!.cel.text])),
        })),
        outputs: decl,
      };
      node = rs;
    }
    outputs.forEach((o, oi) => define(state, prefix + o.field, { kind: 'value', name: outNames[oi]!, type: outTypes[oi]!, variable: false }, jdm.id));
    return [node];
  }

  private tryRuleSetIdiom(
    jdm: JdmNode,
    outputs: { id: string; name?: string; field: string }[],
    rules: Record<string, any>[],
    ruleWhen: (ri: number) => string,
    outputCell: (ri: number, oi: number) => { literal?: unknown },
    suffix: string,
  ): RuleSetNode | undefined {
    const codeCol = outputs.findIndex((o) => /^(code|reason|reasonCode|reason_code)$/i.test(o.field));
    const actionCol = outputs.findIndex((o) => /^action$/i.test(o.field));
    const messageCol = outputs.findIndex((o) => /^(message|description)$/i.test(o.field));
    if (codeCol < 0 || actionCol < 0) return undefined;
    if (outputs.some((_o, i) => i !== codeCol && i !== actionCol && i !== messageCol)) {
      fail(jdm, `a reason-code table may have only code, action and message outputs; '${outputs.filter((_o, i) => i !== codeCol && i !== actionCol && i !== messageCol).map((o) => o.field).join("', '")}' has no place in a Mingjian rule`);
    }
    const out: Rule[] = rules.map((r, ri) => {
      const code = outputCell(ri, codeCol).literal;
      const action = outputCell(ri, actionCol).literal;
      if (typeof code !== 'string' || !code) fail(jdm, `rules[${ri}] (${r._id ?? ri}): the reason code must be a string literal`);
      if (typeof action !== 'string' || !['DECLINE', 'REVIEW'].includes(action.toUpperCase())) {
        fail(jdm, `rules[${ri}] (${r._id ?? ri}): action ${JSON.stringify(action)} is not DECLINE or REVIEW; only those reason rows keep their meaning in Mingjian`);
      }
      const message = messageCol >= 0 ? outputCell(ri, messageCol).literal : r._description;
      return {
        id: this.ruleId(r._id, `${jdm.name ?? jdm.id}-${ri + 1}`),
        when: ruleWhen(ri),
        action: action.toLowerCase() as 'decline' | 'review',
        reason: code,
        ...(typeof message === 'string' && message ? { message } : {}),
      };
    });
    return { id: this.nodeId(jdm, suffix), type: 'ruleset', hitPolicy: 'all', rules: out };
  }

  private convertPointsTable(
    jdm: JdmNode,
    outputPath: string,
    sum: { key?: string; field: string },
    inputs: { id: string; name?: string; field?: string }[],
    outputs: { id: string; name?: string; field: string }[],
    rules: Record<string, any>[],
    conditions: { test: ZenNode; cel: Cel; any: boolean; subject?: Cel }[][],
    outputCell: (ri: number, oi: number) => { literal?: unknown; cel: Cel },
    ruleWhen: (ri: number) => string,
    state: PathState,
    suffix: string,
  ): NodeDefinition {
    const pointsCol = outputs.findIndex((o) => o.field === sum.field);
    if (pointsCol < 0) fail(jdm, `sum(map(${outputPath}, #.${sum.field})) reads an output this table does not have`);
    const labelCol = outputs.findIndex((_o, i) => i !== pointsCol);
    if (outputs.length > 2) fail(jdm, `a points table may have a points output and one label output; it has ${outputs.length} outputs`);
    const points = rules.map((r, ri) => {
      const p = outputCell(ri, pointsCol).literal;
      if (typeof p !== 'number') fail(jdm, `rules[${ri}] (${r._id ?? ri}): points must be a number literal`);
      return p;
    });
    const labels = rules.map((_r, ri) => labelCol >= 0 ? outputCell(ri, labelCol).literal : undefined);
    const total = this.uniqueName(sum.key ?? `${outputPath.split('.').pop()}Total`);
    define(state, outputPath, { kind: 'items', node: jdm.id, field: sum.field, total }, jdm.id);

    // Scorecard: each row tests at most one column; each column's rows are disjoint bins.
    const attributes = new Map<number, { bins: ScorecardBin[]; labels: Set<unknown> }>();
    let baseScore = 0;
    let scorecardOk = true;
    for (let ri = 0; ri < rules.length && scorecardOk; ri++) {
      const active = conditions[ri]!.map((c, ci) => ({ c, ci })).filter((x) => !x.c.any);
      if (active.length === 0) { baseScore += points[ri]!; continue; }
      if (active.length > 1 || !active[0]!.c.subject) { scorecardOk = false; break; }
      const bin = binFromTest(active[0]!.c.test);
      if (!bin) { scorecardOk = false; break; }
      const attr = attributes.get(active[0]!.ci) ?? attributes.set(active[0]!.ci, { bins: [], labels: new Set() }).get(active[0]!.ci)!;
      attr.bins.push({ ...bin, points: points[ri]! });
      attr.labels.add(labels[ri]);
    }
    const built: ScorecardAttribute[] = [];
    if (scorecardOk) {
      for (const [ci, attr] of [...attributes.entries()].sort((a, b) => a[0] - b[0])) {
        const coverage = binCoverage(attr.bins);
        if (coverage === 'overlap') { scorecardOk = false; break; }
        const label = attr.labels.size === 1 ? [...attr.labels][0] : undefined;
        const inp = inputs[ci]!;
        built.push({
          name: typeof label === 'string' && label ? label : inp.name ?? inp.field ?? inp.id,
          value: conditions.find((row) => row[ci]!.subject)![ci]!.subject!.text,
          bins: attr.bins,
          // ZEN adds nothing for a value no row matches; the scorecard must do the same.
          ...(coverage === 'gaps' ? { other: { points: 0 } } : {}),
        });
      }
    }
    if (scorecardOk) {
      const card: ScorecardNode = {
        id: this.nodeId(jdm, suffix),
        type: 'scorecard',
        output: total,
        ...(baseScore ? { baseScore } : {}),
        attributes: built,
      };
      return card;
    }
    // Rows that test several columns at once: every row is a yes/no attribute worth its points when it holds.
    this.warnings.push({ node: jdm.name ?? jdm.id, severity: 'warning', message: `points table '${jdm.name ?? jdm.id}' has rows testing several columns or overlapping bins; converted to one yes/no scorecard attribute per row` });
    const card: ScorecardNode = {
      id: this.nodeId(jdm, suffix),
      type: 'scorecard',
      output: total,
      attributes: rules.map((r, ri) => ({
        name: String(r._id ?? `row${ri + 1}`),
        value: ruleWhen(ri),
        bins: [{ values: [true], points: points[ri]! }, { values: [false], points: 0 }],
      })),
    };
    return card;
  }

  /**
   * A first-hit switch. In zen-engine a statement with an empty condition always holds (whatever `isDefault` says),
   * so the first such statement is the default and later statements never run. Returns the id of the first node of
   * what replaces the switch: a Mingjian switch, or just the default path when no statement has a condition.
   */
  private buildSwitch(jdm: JdmNode, rest: JdmNode[], handles: Map<string, string | null>, state: PathState, suffix: string): string {
    const hit = jdm.content?.hitPolicy ?? 'first';
    if (hit !== 'first') fail(jdm, `switch hit policy '${hit}' runs several branches at once; only 'first' converts`);
    const statements = (jdm.content?.statements ?? []) as { id: string; condition?: string }[];
    const branches: { when: string; next: string }[] = [];
    const fork = (): PathState => ({ symbols: new Map(state.symbols), producers: new Map(state.producers), reasonNodes: [...state.reasonNodes] });
    const at = this.nodes.length; // the switch is listed before its branches, as it runs first
    let defaultNext: string | undefined;
    for (const [si, s] of statements.entries()) {
      const where = `statements[${si}]`;
      const always = !s.condition || !String(s.condition).trim();
      const when = always ? undefined : this.translate(this.parse(jdm, s.condition, where), { jdm, where, state });
      if (when) this.learn(when, 'boolean');
      const next = this.emitChain(rest, new Map([...handles, [jdm.id, s.id]]), fork(), `${suffix}.${si + 1}`);
      if (always) {
        defaultNext = next;
        break;
      }
      branches.push({ when: when!.text, next });
    }
    if (defaultNext === undefined) {
      this.warnings.push({ node: jdm.name ?? jdm.id, severity: 'warning', message: `switch '${jdm.name ?? jdm.id}' has no statement with an empty condition: when none holds, zen-engine returns an empty result, and the flow ends in an outcome without outputs (deciding from the rules met so far)` });
      defaultNext = this.emitChain(rest, new Map([...handles, [jdm.id, null]]), fork(), `${suffix}.none`);
    }
    if (!branches.length) return defaultNext;
    const node: SwitchNode = { id: this.nodeId(jdm, suffix), type: 'switch', branches, default: defaultNext };
    this.nodes.splice(at, 0, node);
    return node.id;
  }

  private emptyOutcome(suffix: string): OutcomeNode {
    return { id: this.nodeId({ id: 'no-result', type: 'outputNode', name: 'no-result' }, suffix), type: 'outcome', decision: 'auto' };
  }

  private buildOutcome(jdm: JdmNode | undefined, state: PathState, suffix: string, finalExpr: JdmNode | undefined): OutcomeNode {
    const outcome: OutcomeNode = { id: finalExpr ? this.nodeId(finalExpr, suffix) : this.nodeId({ id: 'outcome', type: 'outputNode', name: jdm?.name ?? 'outcome' }, suffix), type: 'outcome', decision: 'auto' };
    const outputs: Record<string, string> = {};
    if (!finalExpr) {
      // No final expression: the output is the context the output node receives (what the graph produced and
      // passed on to it).
      const seen = jdm ? this.visibility.get(jdm.id) : undefined;
      for (const [path, sym] of state.symbols) {
        const from = state.producers.get(path);
        if (seen && from && !seen.producers.has(from)) continue;
        if (sym.kind === 'value') outputs[path] = sym.name;
        else this.warnings.push({ node: outcome.id, severity: 'warning', message: `output '${path}' (a list of table rows) is not carried over; the decision's reasons list the codes` });
      }
      if (state.reasonNodes.length) this.warnings.push({ node: outcome.id, severity: 'warning', message: 'the graph has no final expression computing `decision`; the flow decides from its rules (DECLINE/REVIEW/APPROVE)' });
      if (Object.keys(outputs).length) outcome.outputs = outputs;
      return outcome;
    }
    const exprs = (finalExpr.content?.expressions ?? []) as { key: string; value: string }[];
    if (finalExpr.content?.outputPath) fail(finalExpr, 'an outputPath on the final expression node (nesting the whole result) is not supported');
    const nodeKeys = new Map<string, Cel>();
    let sawDecision = false;
    for (const [i, e] of exprs.entries()) {
      const where = `expressions[${i}] '${e.key}'`;
      const ast = this.parse(finalExpr, e.value, where);
      const ctx: TranslateContext = { jdm: finalExpr, where, state, nodeKeys };
      const rows = this.matchReasonRows(ast, state, finalExpr, where);
      if (rows) {
        state.symbols.set(`$.${e.key}`, rows);
        this.warnings.push({ node: finalExpr.name ?? finalExpr.id, severity: 'warning', message: `output '${e.key}' (the list of fired rows with code and action) is not carried over; the decision's reasons and reasonDetails hold the same codes` });
        continue;
      }
      if (this.matchAutoDecision(ast, state, finalExpr, where)) {
        sawDecision = true;
        if (e.key !== 'decision') fail(finalExpr, `${where}: the DECLINE/REVIEW/APPROVE decision must be the key 'decision'`, where);
        nodeKeys.set('decision', { text: 'decision', prec: P_PRIMARY, type: 'string', readsNodes: true });
        continue;
      }
      if (this.matchReasonCodes(ast, state, finalExpr, where)) {
        if (e.key !== 'reasons') this.warnings.push({ node: finalExpr.name ?? finalExpr.id, severity: 'warning', message: `output '${e.key}' (the reason codes) is reported as the decision's \`reasons\`` });
        continue;
      }
      const cel = this.translate(ast, ctx);
      if (e.key === 'decision') {
        const leaves = conditionalLeaves(ast);
        if (!leaves.every((l) => l.kind === 'string' && OUTCOMES.has(l.value))) {
          fail(finalExpr, `${where}: 'decision' must evaluate to "APPROVE", "DECLINE" or "REVIEW" (every branch a string literal)`, where);
        }
        outcome.decision = cel.text;
        sawDecision = true;
        nodeKeys.set('decision', { text: 'decision', prec: P_PRIMARY, type: 'string', readsNodes: true });
      } else if (e.key === 'creditLine') {
        outcome.creditLine = cel.text;
        nodeKeys.set(e.key, cel);
      } else if (e.key === 'priceBand') {
        outcome.priceBand = cel.text;
        nodeKeys.set(e.key, cel);
      } else {
        outputs[e.key] = cel.text;
        nodeKeys.set(e.key, cel);
      }
    }
    if (finalExpr.content?.passThrough) {
      for (const [path, sym] of state.symbols) if (sym.kind === 'value' && !(path in outputs) && !path.startsWith('$.')) outputs[path] = sym.name;
      this.warnings.push({ node: finalExpr.name ?? finalExpr.id, severity: 'warning', message: 'the final expression node passes its input through; the flow outputs the values the graph computed but does not echo the application' });
    }
    if (!sawDecision) {
      this.warnings.push({ node: finalExpr.name ?? finalExpr.id, severity: 'warning', message: 'the graph computes no `decision`; the flow decides from its rules (DECLINE/REVIEW/APPROVE)' });
    }
    if (Object.keys(outputs).length) outcome.outputs = outputs;
    return outcome;
  }

  /** `some(rows, #.action == "DECLINE") ? "DECLINE" : (some(rows, #.action == "REVIEW") ? "REVIEW" : "APPROVE")`. */
  private matchAutoDecision(ast: ZenNode, state: PathState, jdm: JdmNode, where: string): boolean {
    if (ast.kind !== 'conditional' || ast.otherwise.kind !== 'conditional') return false;
    const inner = ast.otherwise;
    const a = this.someAction(ast.test, state);
    const b = this.someAction(inner.test, state);
    if (!a || !b) return false;
    const lit = (z: ZenNode): string | undefined => z.kind === 'string' ? z.value : undefined;
    if (a.action !== 'DECLINE' || b.action !== 'REVIEW' || lit(ast.then) !== 'DECLINE' || lit(inner.then) !== 'REVIEW' || lit(inner.otherwise) !== 'APPROVE') {
      fail(jdm, `${where}: decides from reason rows in a way other than DECLINE over REVIEW over APPROVE`, where);
    }
    this.requireAllReasons(a.nodes, state, jdm, where);
    this.requireAllReasons(b.nodes, state, jdm, where);
    return true;
  }

  private someAction(z: ZenNode, state: PathState): { nodes: string[]; action: string } | undefined {
    if (z.kind !== 'call' || z.name !== 'some' || z.args.length !== 2) return undefined;
    const rows = this.rowsAt(z.args[0]!, state);
    const pred = z.args[1]!;
    if (!rows || pred.kind !== 'binary' || pred.op !== '==') return undefined;
    const p = fieldPath(pred.left);
    if (!p || p.length !== 2 || p[0] !== '#' || !/^action$/i.test(p[1]!) || pred.right.kind !== 'string') return undefined;
    return { nodes: rows, action: pred.right.value.toUpperCase() };
  }

  private rowsAt(z: ZenNode, state: PathState): string[] | undefined {
    const p = fieldPath(z);
    if (!p) return undefined;
    const sym = state.symbols.get(p.join('.'));
    return sym?.kind === 'reasons' ? sym.nodes : undefined;
  }

  /** `map(rows, #.code)`: the reason codes, which Mingjian reports as the decision's reasons. */
  private matchReasonCodes(ast: ZenNode, state: PathState, jdm: JdmNode, where: string): boolean {
    if (ast.kind !== 'call' || ast.name !== 'map' || ast.args.length !== 2) return false;
    const rows = this.rowsAt(ast.args[0]!, state);
    const p = fieldPath(ast.args[1]!);
    if (!rows || !p || p.length !== 2 || p[0] !== '#') return false;
    if (!/^(code|reason|reasonCode|reason_code)$/i.test(p[1]!)) return false;
    this.requireAllReasons(rows, state, jdm, where);
    return true;
  }

  private requireAllReasons(nodes: string[], state: PathState, jdm: JdmNode, where: string): void {
    const missing = state.reasonNodes.filter((n) => !nodes.includes(n));
    if (missing.length) {
      fail(jdm, `${where}: reads the rows of some reason tables but not of '${missing.join("', '")}'; Mingjian's decision and reasons always include every rule set`, where);
    }
  }
}

interface TranslateContext {
  jdm: JdmNode;
  where: string;
  state: PathState;
  /** Table cell: the column value that `$` stands for. */
  subject?: Cel;
  /** Expression node: this node's keys translated so far (for `$.key`). */
  nodeKeys?: Map<string, Cel>;
  closure?: boolean;
}

// ---------------------------------------------------------------- helpers on ZEN trees

function children(z: ZenNode): ZenNode[] {
  switch (z.kind) {
    case 'member': return [z.object];
    case 'index': return [z.object, z.index];
    case 'array': return z.items;
    case 'interval': return [z.low, z.high];
    case 'unary': return [z.operand];
    case 'binary': return [z.left, z.right];
    case 'conditional': return [z.test, z.then, z.otherwise];
    case 'call': return z.args;
    default: return [];
  }
}

/** `sum(map(rows, #.field))` -> { rows: 'rows', field: 'field' }. */
function matchPointSum(z: ZenNode): { rows: string; field: string } | undefined {
  if (z.kind !== 'call' || z.name !== 'sum' || z.args.length !== 1) return undefined;
  const m = z.args[0]!;
  if (m.kind !== 'call' || m.name !== 'map' || m.args.length !== 2) return undefined;
  const rows = fieldPath(m.args[0]!);
  const f = fieldPath(m.args[1]!);
  if (!rows || rows[0] === '$' || rows[0] === '#' || !f || f.length !== 2 || f[0] !== '#') return undefined;
  return { rows: rows.join('.'), field: f[1]! };
}

function conditionalLeaves(z: ZenNode): ZenNode[] {
  return z.kind === 'conditional' ? [...conditionalLeaves(z.then), ...conditionalLeaves(z.otherwise)] : [z];
}

type Literal = string | number | boolean | null;

function literalOf(z: ZenNode): { value: Literal } | undefined {
  switch (z.kind) {
    case 'number':
    case 'string':
    case 'bool': return { value: z.value };
    case 'null': return { value: null };
    default: return undefined;
  }
}

function isDollar(z: ZenNode): boolean {
  return z.kind === 'ident' && z.name === '$';
}

function cellLiteral(v: Literal): string {
  return typeof v === 'string' ? JSON.stringify(v) : String(v);
}

/** Flattens `a or b or c` (as built from a comma-separated unary test). */
function orParts(z: ZenNode): ZenNode[] {
  return z.kind === 'binary' && z.op === 'or' ? [...orParts(z.left), ...orParts(z.right)] : [z];
}

/** A numeric bound test on `$`: `$ < 5`, `$ >= 1`. */
function bound(z: ZenNode): { op: '<' | '<=' | '>' | '>='; value: number } | undefined {
  if (z.kind !== 'binary' || !['<', '<=', '>', '>='].includes(z.op) || !isDollar(z.left) || z.right.kind !== 'number') return undefined;
  return { op: z.op as '<' | '<=' | '>' | '>=', value: z.right.value };
}

/** Interval form of a unary test: `>= 1 and < 5`, `[1..5)`, or undefined. */
function intervalOf(z: ZenNode): { low: number; high: number; lowInclusive: boolean; highInclusive: boolean } | undefined {
  if (z.kind === 'binary' && z.op === 'in' && isDollar(z.left) && z.right.kind === 'interval' && z.right.low.kind === 'number' && z.right.high.kind === 'number') {
    return { low: z.right.low.value, high: z.right.high.value, lowInclusive: z.right.lowInclusive, highInclusive: z.right.highInclusive };
  }
  if (z.kind === 'binary' && z.op === 'and') {
    const a = bound(z.left);
    const b = bound(z.right);
    if (!a || !b) return undefined;
    const lo = a.op === '>' || a.op === '>=' ? a : b.op === '>' || b.op === '>=' ? b : undefined;
    const hi = a.op === '<' || a.op === '<=' ? a : b.op === '<' || b.op === '<=' ? b : undefined;
    if (!lo || !hi || lo === hi) return undefined;
    return { low: lo.value, high: hi.value, lowInclusive: lo.op === '>=', highInclusive: hi.op === '<=' };
  }
  return undefined;
}

/** A Mingjian decision-table cell for a ZEN unary test, or undefined when the test is not a plain one. */
export function cellFromTest(z: ZenNode): Cell | undefined {
  if (z.kind === 'bool' && z.value === true) return '-';
  const iv = intervalOf(z);
  if (iv) return `${iv.lowInclusive ? '[' : '('}${iv.low}..${iv.high}${iv.highInclusive ? ']' : ')'}`;
  const b = bound(z);
  if (b) return `${b.op} ${b.value}`;
  if (z.kind === 'binary' && z.op === '!=' && isDollar(z.left)) {
    const lit = literalOf(z.right);
    if (lit) return `!= ${cellLiteral(lit.value)}`;
  }
  const parts = orParts(z);
  const values: Literal[] = [];
  for (const p of parts) {
    if (p.kind === 'binary' && p.op === '==' && isDollar(p.left)) {
      const lit = literalOf(p.right);
      if (!lit) return undefined;
      values.push(lit.value);
    } else if (p.kind === 'binary' && p.op === 'in' && isDollar(p.left) && p.right.kind === 'array') {
      for (const item of p.right.items) {
        const lit = literalOf(item);
        if (!lit) return undefined;
        values.push(lit.value);
      }
    } else return undefined;
  }
  if (values.length === 1) {
    const v = values[0]!;
    return typeof v === 'string' ? JSON.stringify(v) : v;
  }
  return values.map(cellLiteral).join(', ');
}

/** A scorecard bin ([min, max) or a set of values) for a unary test, or undefined when it is not one. */
function binFromTest(z: ZenNode): Omit<ScorecardBin, 'points'> | undefined {
  const iv = intervalOf(z);
  if (iv) return iv.lowInclusive && !iv.highInclusive ? { min: iv.low, max: iv.high } : undefined;
  const b = bound(z);
  if (b) return b.op === '<' ? { max: b.value } : b.op === '>=' ? { min: b.value } : undefined;
  const values: (string | number | boolean)[] = [];
  for (const p of orParts(z)) {
    if (!(p.kind === 'binary' && p.op === '==' && isDollar(p.left))) return undefined;
    const lit = literalOf(p.right);
    if (!lit || lit.value === null) return undefined;
    values.push(lit.value);
  }
  return values.length ? { values } : undefined;
}

/** Whether bins of one attribute overlap (a collect table would add both), leave gaps, or cover every value. */
function binCoverage(bins: ScorecardBin[]): 'overlap' | 'gaps' | 'complete' {
  const numeric = bins.filter((b) => !b.values);
  const sets = bins.filter((b) => b.values);
  if (numeric.length && sets.length) return 'overlap';
  if (sets.length) {
    const all = sets.flatMap((b) => b.values!);
    if (new Set(all).size !== all.length) return 'overlap';
    return all.length === 2 && all.includes(true) && all.includes(false) ? 'complete' : 'gaps';
  }
  const sorted = [...numeric].sort((a, b) => (a.min ?? -Infinity) - (b.min ?? -Infinity));
  let gaps = sorted[0]!.min !== undefined;
  for (let i = 1; i < sorted.length; i++) {
    const prevMax = sorted[i - 1]!.max ?? Infinity;
    const min = sorted[i]!.min ?? -Infinity;
    if (min < prevMax) return 'overlap';
    if (min > prevMax) gaps = true;
  }
  if (sorted[sorted.length - 1]!.max !== undefined) gaps = true;
  return gaps ? 'gaps' : 'complete';
}

function outputType(t: ValueType): OutputDeclaration['type'] {
  return t === 'number' || t === 'string' || t === 'boolean' || t === 'list' ? t : 'any';
}

function typeDefault(t: ValueType): unknown {
  return t === 'number' ? 0 : t === 'string' ? '' : t === 'boolean' ? false : t === 'list' ? [] : null;
}

function valueType(v: unknown): ValueType {
  if (v === null || v === undefined) return 'null';
  if (typeof v === 'number') return 'number';
  if (typeof v === 'string') return 'string';
  if (typeof v === 'boolean') return 'boolean';
  if (Array.isArray(v)) return 'list';
  if (typeof v === 'object') return 'map';
  return 'unknown';
}

function sampleType(sample: Record<string, unknown>, path: string): ValueType | undefined {
  let v: unknown = sample;
  for (const p of path.split('.')) {
    if (!v || typeof v !== 'object' || !(p in (v as object))) return undefined;
    v = (v as Record<string, unknown>)[p];
  }
  const t = valueType(v);
  return t === 'null' ? undefined : t;
}

// ---------------------------------------------------------------- entry point

/**
 * Converts a parsed JDM document into a Mingjian flow. Throws MingjianError('VALIDATION') naming the JDM node when
 * part of the graph has no exact Mingjian counterpart.
 */
export function importJdm(doc: JdmDocument, options: ImportJdmOptions = {}): ImportJdmResult {
  // Input types are learned from how fields are used; a field compared with another field may only get its type
  // once the other's is known, so the translation runs until nothing new is learned (a handful of passes at most).
  const learned = new Map<string, ValueType>();
  for (let pass = 0; pass < 8; pass++) {
    const importer = new JdmImporter(doc, options);
    for (const [k, v] of learned) importer.inputTypes.set(k, v);
    let flow: FlowDefinition | undefined;
    let error: unknown;
    try {
      flow = importer.run();
    } catch (err) {
      error = err;
    }
    const progressed = [...importer.inputTypes].some(([k, v]) => learned.get(k) !== v);
    for (const [k, v] of importer.inputTypes) learned.set(k, v);
    if (!progressed) {
      if (error) throw error;
      return { flow: flow!, warnings: importer.warnings };
    }
  }
  throw new MingjianError('VALIDATION', 'JDM document: input types did not settle; pass a sample application (--sample FILE)');
}

/**
 * Translates one ZEN expression to CEL, given the types of the fields it reads. With `unarySubject`, the text is a
 * decision-table cell (unary test) on that field. For tests and tooling; importJdm translates whole graphs.
 */
export function zenToCel(text: string, types: Record<string, 'number' | 'string' | 'boolean' | 'list'>, unarySubject?: string): string {
  const importer = new JdmImporter({ nodes: [], edges: [] }, { sample: {} });
  for (const [k, v] of Object.entries(types)) importer.inputTypes.set(k, v);
  return importer.translateOne(text, unarySubject);
}
