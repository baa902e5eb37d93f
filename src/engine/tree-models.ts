// Importers for tree ensembles: LightGBM `dump_model()` JSON and XGBoost JSON (`save_model('m.json')` or
// `get_dump(dump_format='json')`), normalised to flat arrays that the flow evaluates without recursion.

import type { FlatTree, TreeEnsembleModel } from './types.ts';

export class ModelImportError extends Error {}

interface LgbNode {
  split_feature?: number;
  threshold?: number | string;
  decision_type?: string;
  default_left?: boolean;
  missing_type?: string;
  left_child?: LgbNode;
  right_child?: LgbNode;
  leaf_value?: number;
}

/** LightGBM dump_model() JSON (binary or regression objectives; numerical splits). */
export function importLightGbm(dump: unknown): TreeEnsembleModel {
  const d = dump as { feature_names?: string[]; tree_info?: { tree_structure: LgbNode }[]; objective?: string; num_class?: number };
  if (!d || !Array.isArray(d.tree_info) || !Array.isArray(d.feature_names)) throw new ModelImportError('not a LightGBM dump: expected feature_names and tree_info');
  if ((d.num_class ?? 1) > 1) throw new ModelImportError('multiclass LightGBM models are not supported');
  const sigmoidMatch = /sigmoid:([0-9.eE+-]+)/.exec(String(d.objective ?? ''));
  const sigmoidScale = sigmoidMatch ? Number(sigmoidMatch[1]) : 1;
  if (!Number.isFinite(sigmoidScale) || sigmoidScale <= 0) throw new ModelImportError(`objective '${d.objective}': sigmoid must be a positive number`);
  const trees = d.tree_info.map((t, ti) => {
    const zeroMissing: boolean[] = [];
    const tree: FlatTree = { feature: [], threshold: [], left: [], right: [], defaultLeft: [], value: [], leq: true, zeroMissing };
    const visit = (n: LgbNode): number => {
      const id = tree.feature.length;
      tree.feature.push(-1); tree.threshold.push(0); tree.left.push(-1); tree.right.push(-1); tree.defaultLeft.push(false); tree.value.push(0);
      zeroMissing.push(false);
      if (n.leaf_value !== undefined && n.left_child === undefined) {
        // binary objectives with sigmoid:k predict sigmoid(k * margin): scaling the leaves keeps one link function.
        tree.value[id] = n.leaf_value * sigmoidScale;
        return id;
      }
      if (n.decision_type !== '<=') throw new ModelImportError(`tree ${ti}: split type '${n.decision_type}' (categorical) is not supported`);
      if (n.split_feature === undefined || n.left_child === undefined || n.right_child === undefined) throw new ModelImportError(`tree ${ti}: malformed node`);
      tree.feature[id] = n.split_feature;
      tree.threshold[id] = Number(n.threshold);
      // As LightGBM's NumericalDecision: missing_type None reads a missing value as 0 and compares it; NaN sends
      // NaN the default way; Zero sends NaN and zero (|x| <= 1e-35) the default way.
      tree.defaultLeft[id] = n.missing_type === 'None' ? 0 <= Number(n.threshold) : n.default_left === true;
      zeroMissing[id] = n.missing_type === 'Zero';
      tree.left[id] = visit(n.left_child);
      tree.right[id] = visit(n.right_child);
      return id;
    };
    visit(t.tree_structure);
    return tree;
  });
  const objective = String(d.objective ?? '');
  return { kind: 'trees', featureNames: d.feature_names, baseMargin: 0, link: objective.startsWith('binary') ? 'sigmoid' : 'identity', trees };
}

interface XgbDumpNode {
  nodeid: number;
  split?: string;
  split_condition?: number;
  yes?: number;
  no?: number;
  missing?: number;
  leaf?: number;
  children?: XgbDumpNode[];
}

/**
 * XGBoost JSON. `save_model` format carries feature names, base_score and objective; the `get_dump` format does not,
 * so pass `featureNames` (or splits must be named f0, f1, ...) and `baseScore` (probability, default 0.5).
 */
export function importXgboost(dump: unknown, opts: { featureNames?: string[]; baseScore?: number; objective?: string } = {}): TreeEnsembleModel {
  const full = dump as { learner?: { learner_model_param?: { base_score?: string }; objective?: { name?: string }; feature_names?: string[]; gradient_booster?: { model?: { trees?: XgbJsonTree[] } } } };
  if (full && typeof full === 'object' && !Array.isArray(full) && full.learner) {
    const l = full.learner;
    const trees = l.gradient_booster?.model?.trees;
    if (!Array.isArray(trees)) throw new ModelImportError('XGBoost model JSON without gradient_booster.model.trees (only gbtree boosters are supported)');
    const objective = l.objective?.name ?? opts.objective ?? 'binary:logistic';
    if (/^multi:|^rank:/.test(objective)) throw new ModelImportError(`objective '${objective}' is not supported: one score per application is needed (binary or regression models)`);
    const base = Number(String(l.learner_model_param?.base_score ?? '0.5').replace(/[[\]]/g, ''));
    const names = l.feature_names?.length ? l.feature_names : opts.featureNames;
    if (!names) throw new ModelImportError('the model has no feature_names; pass featureNames');
    return {
      kind: 'trees',
      featureNames: names,
      baseMargin: objective.startsWith('binary:logistic') ? Math.log(base / (1 - base)) : base,
      link: objective.startsWith('binary:logistic') ? 'sigmoid' : 'identity',
      trees: trees.map((t, i) => fromXgbJsonTree(t, i)),
    };
  }
  if (!Array.isArray(dump)) throw new ModelImportError('not an XGBoost model: expected save_model JSON or a get_dump JSON list');
  const nodes = dump as (XgbDumpNode | string)[];
  const featureNames = opts.featureNames ? [...opts.featureNames] : [];
  const featureIndex = (name: string): number => {
    let i = featureNames.indexOf(name);
    if (i >= 0) return i;
    const m = /^f(\d+)$/.exec(name);
    if (!opts.featureNames && m) {
      i = Number(m[1]);
      while (featureNames.length <= i) featureNames.push(`f${featureNames.length}`);
      return i;
    }
    if (opts.featureNames) throw new ModelImportError(`split on unknown feature '${name}'`);
    featureNames.push(name);
    return featureNames.length - 1;
  };
  const trees = nodes.map((raw, ti) => {
    const root = (typeof raw === 'string' ? JSON.parse(raw) : raw) as XgbDumpNode;
    const tree: FlatTree = { feature: [], threshold: [], left: [], right: [], defaultLeft: [], value: [] };
    const visit = (n: XgbDumpNode): number => {
      const id = tree.feature.length;
      tree.feature.push(-1); tree.threshold.push(0); tree.left.push(-1); tree.right.push(-1); tree.defaultLeft.push(false); tree.value.push(0);
      if (n.leaf !== undefined) {
        tree.value[id] = n.leaf;
        return id;
      }
      if (!n.children || n.split === undefined || n.split_condition === undefined) throw new ModelImportError(`tree ${ti}: malformed node ${n.nodeid}`);
      const yes = n.children.find((c) => c.nodeid === n.yes), no = n.children.find((c) => c.nodeid === n.no);
      if (!yes || !no) throw new ModelImportError(`tree ${ti}: node ${n.nodeid} children do not match yes/no`);
      tree.feature[id] = featureIndex(n.split);
      tree.threshold[id] = n.split_condition;
      tree.defaultLeft[id] = n.missing === n.yes;
      tree.left[id] = visit(yes);
      tree.right[id] = visit(no);
      return id;
    };
    visit(root);
    return tree;
  });
  const base = opts.baseScore ?? 0.5;
  const objective = opts.objective ?? 'binary:logistic';
  const logistic = objective.startsWith('binary:logistic');
  return { kind: 'trees', featureNames, baseMargin: logistic ? Math.log(base / (1 - base)) : base, link: logistic ? 'sigmoid' : 'identity', trees };
}

interface XgbJsonTree {
  left_children: number[];
  right_children: number[];
  split_indices: number[];
  split_conditions: number[];
  default_left: (number | boolean)[];
  split_type?: number[];
}

function fromXgbJsonTree(t: XgbJsonTree, ti: number): FlatTree {
  if (t.split_type?.some((x) => x !== 0)) throw new ModelImportError(`tree ${ti}: categorical splits are not supported`);
  const n = t.left_children.length;
  const tree: FlatTree = { feature: [], threshold: [], left: [], right: [], defaultLeft: [], value: [] };
  for (let i = 0; i < n; i++) {
    const leaf = t.left_children[i] === -1;
    tree.feature.push(leaf ? -1 : t.split_indices[i]!);
    tree.threshold.push(leaf ? 0 : t.split_conditions[i]!);
    tree.left.push(t.left_children[i]!);
    tree.right.push(t.right_children[i]!);
    tree.defaultLeft.push(Boolean(t.default_left[i]));
    tree.value.push(leaf ? t.split_conditions[i]! : 0); // XGBoost keeps a leaf's value in split_conditions
  }
  return tree;
}

/** Builds a predictor over a feature vector (NaN = missing). */
export function treePredictor(m: TreeEnsembleModel): (x: ArrayLike<number>) => number {
  const trees = m.trees.map((t) => ({
    feature: Int32Array.from(t.feature),
    threshold: Float64Array.from(t.threshold),
    left: Int32Array.from(t.left),
    right: Int32Array.from(t.right),
    defaultLeft: Uint8Array.from(t.defaultLeft.map((b) => (b ? 1 : 0))),
    value: Float64Array.from(t.value),
    leq: t.leq === true,
    zeroMissing: Uint8Array.from((t.zeroMissing ?? []).map((b) => (b ? 1 : 0))),
  }));
  const base = m.baseMargin;
  const sigmoid = m.link === 'sigmoid';
  return (x) => {
    let margin = base;
    for (let k = 0; k < trees.length; k++) {
      const t = trees[k]!;
      let i = 0;
      while (t.left[i] !== -1) {
        const v = x[t.feature[i]!]!;
        const missing = v !== v || (t.zeroMissing[i] === 1 && v >= -1e-35 && v <= 1e-35);
        const goLeft = missing ? t.defaultLeft[i] === 1 : t.leq ? v <= t.threshold[i]! : v < t.threshold[i]!;
        i = goLeft ? t.left[i]! : t.right[i]!;
      }
      margin += t.value[i]!;
    }
    return sigmoid ? 1 / (1 + Math.exp(-margin)) : margin;
  };
}
