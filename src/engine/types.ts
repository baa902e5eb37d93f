// The decision-flow model: plain data in (FlowDefinition, parsed from YAML/JSON), plain data out (DecisionResult).
// The JSON Schema in schemas/flow.schema.json describes the same shapes for editors; keep the two in step.

import type { ErrorDetail } from '../kernel/errors.ts';

export type Outcome = 'APPROVE' | 'DECLINE' | 'REVIEW';

// ---------------------------------------------------------------- inputs

export type InputType = 'number' | 'integer' | 'string' | 'boolean' | 'date' | 'timestamp' | 'enum' | 'list' | 'object';

export interface InputField {
  type: InputType;
  /** Defaults to true. An optional field that is absent reads as `default` when given, otherwise null. */
  required?: boolean;
  description?: string;
  /** Personal data: encrypted at rest, masked in responses, never logged. */
  pii?: boolean;
  min?: number; // number / integer (inclusive)
  max?: number;
  minLength?: number; // string
  maxLength?: number;
  pattern?: string;
  values?: string[]; // enum
  items?: InputField; // list
  fields?: Record<string, InputField>; // object
  default?: unknown;
  /** Where the host gets the value (documentation and lineage; the engine reads it from the application either way). */
  source?: 'input' | 'velocity' | 'graph' | 'external' | 'watchlist';
}

// ---------------------------------------------------------------- variables

export interface VariableDefinition {
  expr: string;
  description?: string;
  /** Optional declared type; when given, the expression's inferred type must match. */
  type?: 'number' | 'integer' | 'string' | 'boolean' | 'list' | 'any';
}

// ---------------------------------------------------------------- nodes

export type NodeDefinition =
  | RuleSetNode
  | DecisionTableNode
  | ScorecardNode
  | ModelNode
  | SwitchNode
  | SubflowNode
  | SplitNode
  | OutcomeNode;

interface NodeBase {
  id: string;
  description?: string;
}

export type RuleAction = 'decline' | 'review' | 'flag' | 'set';

export interface Rule {
  id?: string;
  when: string; // CEL boolean expression
  action: RuleAction;
  /** Reason code added when the rule fires (required for decline/review). */
  reason?: string;
  message?: string;
  /** Values to set when the rule fires: output name -> CEL expression. */
  set?: Record<string, string>;
}

export interface RuleSetNode extends NodeBase {
  type: 'ruleset';
  /** first: stop at the first rule that fires; all: evaluate every rule (collect-all). Default all. */
  hitPolicy?: 'first' | 'all';
  rules: Rule[];
  /** Outputs this node may `set`, with their types and starting values. */
  outputs?: OutputDeclaration[];
  next?: string;
  /** When any rule of this set declined, continue here instead of `next` (e.g. straight to the outcome). */
  onDecline?: string;
}

export interface OutputDeclaration {
  name: string;
  type: 'number' | 'integer' | 'string' | 'boolean' | 'list' | 'any';
  default?: unknown;
  /** Decision tables with hit policy `priority`: output values from highest to lowest priority. */
  priority?: unknown[];
}

/**
 * A condition cell (DMN unary test): `-` or '' (any), a literal (equality), `< 5`, `>= 600`, `[1..5)`,
 * `"A","B"` (set), `not("A")`; or structured: `{ min, max, minInclusive, maxInclusive }`, `{ in: [...] }`.
 */
export type Cell = string | number | boolean | null | { min?: number; max?: number; minInclusive?: boolean; maxInclusive?: boolean } | { in: unknown[] } | { not: unknown[] };

export interface DecisionTableRule {
  id?: string;
  when: Cell[]; // one cell per input column
  then: unknown[]; // one literal per output column, or { expr: "CEL" }
  reason?: string;
  action?: 'decline' | 'review' | 'flag';
  message?: string;
}

export type HitPolicy = 'unique' | 'first' | 'priority' | 'any' | 'collect' | 'rule-order';

export interface DecisionTableNode extends NodeBase {
  type: 'decision-table';
  hitPolicy: HitPolicy;
  /** With `collect`: sum, min, max or count of the (single, numeric) output. */
  aggregation?: 'sum' | 'min' | 'max' | 'count';
  inputs: { name?: string; expr: string }[];
  outputs: OutputDeclaration[];
  rules: DecisionTableRule[];
  /** For unique/any: do not report inputs no rule covers (outputs keep their defaults there). */
  allowGaps?: boolean;
  next?: string;
}

export interface ScorecardBin {
  /** Numeric bin [min, max): min inclusive, max exclusive; either may be omitted (open). */
  min?: number;
  max?: number;
  /** Categorical bin: the listed values. */
  values?: (string | number | boolean)[];
  points: number;
  label?: string;
}

export interface ScorecardAttribute {
  name: string;
  /** CEL expression for the attribute's value. */
  value: string;
  bins: ScorecardBin[];
  /** Points when the value is null/absent. Without it a missing value is an evaluation error. */
  missing?: { points: number };
  /** Special codes (e.g. -9, -8, -7 in bureau data), each checked before the bins. */
  special?: { values: (string | number)[]; points: number; label?: string }[];
  /** Points when no bin matches (an unseen category). Without it the lowest bin's points apply... never: it is an error. */
  other?: { points: number };
  reasonCode?: string;
  reasonMessage?: string;
}

export interface ScorecardNode extends NodeBase {
  type: 'scorecard';
  /** Output name for the total score (number); default `score`. */
  output?: string;
  baseScore?: number;
  /** Given inline, or expanded from `source` by the flow loader before compilation. */
  attributes?: ScorecardAttribute[];
  /** Path of a trained scorecard.json; loaders (CLI, service) expand it with src/scorecard's expandScorecardSources. */
  source?: string;
  /** With `source`: CEL expression per model attribute when input names differ from the training columns. */
  fields?: Record<string, string>;
  /**
   * 0-100 rating, 100 = lowest risk: linear in the score between the lowest and the highest total the bins allow
   * (or the given bounds), rounded to an integer.
   */
  rating?: { output: string; minScore?: number; maxScore?: number };
  /** Reason codes of the attributes that lost the most points (max points of the attribute minus points earned). */
  reasons?: { output: string; count?: number };
  next?: string;
}

export interface LogisticModel {
  kind: 'logistic';
  intercept: number;
  /** feature name -> coefficient */
  coefficients: Record<string, number>;
}

/** A tree ensemble in one normalised form; importers turn LightGBM / XGBoost JSON dumps into this. */
export interface TreeEnsembleModel {
  kind: 'trees';
  /** Feature names in the order the trees index them. */
  featureNames: string[];
  /** Added to the sum of leaf values (XGBoost base_score margin; LightGBM 0). */
  baseMargin: number;
  /** `sigmoid`: output = 1 / (1 + exp(-margin)); `identity`: raw margin. */
  link: 'sigmoid' | 'identity';
  trees: FlatTree[];
}

/**
 * One tree as parallel arrays; node i is a leaf when left[i] === -1.
 * Goes left when value < threshold (or <= when `leq`), or when missing and defaultLeft.
 */
export interface FlatTree {
  feature: number[];
  threshold: number[];
  left: number[];
  right: number[];
  defaultLeft: boolean[];
  value: number[]; // leaf values (ignored for inner nodes)
  leq?: boolean; // LightGBM splits use <=; XGBoost uses <
  /** Per node, LightGBM `missing_type: Zero`: a zero value is missing too (it follows the default direction). */
  zeroMissing?: boolean[];
}

export interface ModelNode extends NodeBase {
  type: 'model';
  output: string;
  /** Model feature name -> CEL expression giving its value. */
  features: Record<string, string>;
  model: LogisticModel | TreeEnsembleModel | { kind: 'lightgbm' | 'xgboost'; dump: unknown };
  next?: string;
}

export interface SwitchNode extends NodeBase {
  type: 'switch';
  branches: { when: string; next: string }[];
  default: string;
}

export interface SubflowNode extends NodeBase {
  type: 'subflow';
  flow: string;
  version?: string | number;
  /** Sub-flow input name -> CEL expression over this flow. */
  inputs: Record<string, string>;
  /** Local output name -> sub-flow output name (or `decision`, `creditLine`, `priceBand`). */
  outputs?: Record<string, string>;
  /** Add the sub-flow's reason codes and its decline/review to this flow's (default true). */
  mergeReasons?: boolean;
  next?: string;
}

export interface SplitNode extends NodeBase {
  type: 'split';
  /** CEL expression giving the stable key (e.g. applicant id). Same key, same arm, always. */
  key: string;
  /** Mixed into the hash so different experiments split independently. Defaults to `<flowId>/<nodeId>`. */
  salt?: string;
  arms: { name: string; weight: number; next: string }[];
}

export interface OutcomeNode extends NodeBase {
  type: 'outcome';
  /** `auto` (default): DECLINE if any decline reason, else REVIEW if any review reason, else APPROVE; or a fixed outcome; or a CEL expression giving one. */
  decision?: string;
  creditLine?: string;
  priceBand?: string;
  /** Named outputs: name -> CEL expression. */
  outputs?: Record<string, string>;
}

export interface FlowDefinition {
  id: string;
  version: string | number;
  name?: string;
  description?: string;
  owner?: string;
  inputs: Record<string, InputField>;
  /** Named constant lists for `inList('name', x)`. */
  lists?: Record<string, (string | number)[]>;
  variables?: Record<string, string | VariableDefinition>;
  /** First node; defaults to the first in `nodes`. */
  start?: string;
  nodes: NodeDefinition[];
}

// ---------------------------------------------------------------- evaluation

export interface EvaluateOptions {
  /** Record a full trace (nodes, rules fired with their inputs, variables, table rows, scorecard points, timings). */
  trace?: boolean;
  /** The instant the decision is made (ISO string or epoch ms): date functions such as ageYears read it. Default: now. */
  now?: string | number;
  /** Host lookup for `inWatchlist('list', value)`; constant time expected. */
  watchlist?: (list: string, value: unknown) => boolean;
  /** Include every variable's value in the result (the decision record keeps them). */
  variables?: boolean;
}

export interface ReasonHit {
  code: string;
  action: RuleAction;
  message?: string;
  node: string;
}

export interface TraceStep {
  node: string;
  type: NodeDefinition['type'];
  micros: number;
  /** Rules that fired, each with the values of the fields its condition read. */
  rules?: { id: string; reason?: string; action: string; values: Record<string, unknown> }[];
  /** Decision-table rows hit (0-based) and the outputs they gave. */
  rows?: { index: number; id?: string; outputs: Record<string, unknown> }[];
  /** Scorecard attribute points. */
  attributes?: { name: string; value: unknown; bin: string; points: number }[];
  score?: number;
  branch?: string;
  arm?: string;
  outputs?: Record<string, unknown>;
  subflow?: { flow: string; version: string | number; decision: Outcome; trace?: Trace };
}

export interface Trace {
  steps: TraceStep[];
  variables: Record<string, unknown>;
  totalMicros: number;
}

export interface Decision {
  ok: true;
  flow: string;
  version: string | number;
  decision: Outcome;
  /** Reason codes in policy order (the order they are declared in the flow). */
  reasons: string[];
  reasonDetails: ReasonHit[];
  creditLine: number | null;
  priceBand: string | null;
  outputs: Record<string, unknown>;
  /** Split node id -> arm name. */
  arms: Record<string, string>;
  flags: string[];
  /** Id of the outcome node that ended the flow. */
  outcomeNode: string;
  variables?: Record<string, unknown>;
  trace?: Trace;
}

export interface DecisionFailure {
  ok: false;
  flow: string;
  version: string | number;
  error: { code: 'INPUT_INVALID' | 'EVAL_ERROR'; message: string; details: ErrorDetail[] };
}

export type DecisionResult = Decision | DecisionFailure;

export interface FlowDependencies {
  /** Input field names read anywhere in the flow. */
  inputs: string[];
  /** Variables (flow-local) used. */
  variables: string[];
  lists: string[];
  watchlists: string[];
  subflows: { flow: string; version?: string | number }[];
  /** Per node: the inputs and variables its expressions read. */
  byNode: Record<string, string[]>;
}

export interface CompiledFlow {
  id: string;
  version: string | number;
  definition: FlowDefinition;
  /** Dotted paths of input fields marked pii (e.g. `applicant.idNumber`). */
  piiPaths: string[];
  reasonCatalog: { code: string; action: string; message?: string; node: string }[];
  dependencies: FlowDependencies;
  warnings: ErrorDetail[];
  /** Synchronous and pure: same flow version, same input, same options => same result. Never throws for bad input. */
  evaluate(input: unknown, options?: EvaluateOptions): DecisionResult;
}

export interface CompileOptions {
  /** Resolves sub-flows (already compiled). */
  resolveFlow?: (id: string, version?: string | number) => CompiledFlow | undefined;
  /** Source positions of the parsed document, for errors with line and column. */
  sourceMap?: SourceMap;
  /** File name for error messages. */
  file?: string;
}

/** Maps a path such as `nodes.2.rules.0.when` to its position in the source text. */
export interface SourceMap {
  file?: string;
  lookup(path: (string | number)[]): { line: number; column: number } | undefined;
}
